// 3.8–3.10 have no Py_Version word: their exact version is the text Py_GetVersion() left in
// the runtime's .bss. Read by the attach (target.ts) and the picker's list (process-list.ts).
import {versionFromText, type PythonVersion} from './layouts.js';
import {RemoteMemory} from './remote-memory.js';

/** How much of .bss to scan for the version text, at most (a static build's .bss holds the whole runtime). */
const maxBssScan = 4 << 20;
const bssChunk = 64 << 10;

/**
 * 3.8–3.10 have no Py_Version word. Py_GetVersion() formats "3.9.2 (default, Feb 28 2021, ...)"
 * into a static buffer in .bss at startup (sys.version is made from it), so the running
 * interpreter's exact version is there to read.
 */
export function versionFromMemory(pid: number, bss: {address: number; size: number} | undefined): PythonVersion | undefined {
	if (!bss) {
		return undefined;
	}

	const memory = new RemoteMemory(pid, bssChunk + 256);
	const pattern = /(?:^|\0)(3\.\d+\.\d+(?:(?:a|b|rc)\d+)?\+?) \(/;
	for (let offset = 0; offset < Math.min(bss.size, maxBssScan); offset += bssChunk) {
		// Chunks overlap by a line's length, so a version text across a boundary is found whole.
		const length = Math.min(bssChunk + 256, bss.size - offset);
		let text: string;
		try {
			text = memory.read(bss.address + offset, length).toString('latin1');
		} catch {
			return undefined;
		}

		const match = pattern.exec(text);
		if (match) {
			return versionFromText(match[1]!);
		}
	}

	return undefined;
}
