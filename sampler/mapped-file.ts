// Where to read a file that a process has mapped. Normally the path as the process sees it
// (/proc/PID/root/PATH, which also works inside containers, then PATH itself). Once the file is
// deleted or replaced on disk (a virtualenv removed, Python upgraded under a running process:
// /proc/PID/maps says "(deleted)"), that path names nothing or another file, so the mapped copy
// itself is read: /proc/PID/map_files/START-END (the kernel allows it with CAP_SYS_ADMIN or
// CAP_CHECKPOINT_RESTORE), else /proc/PID/exe when the file is the executable (readable by
// whoever may trace the process).
import fs from 'node:fs';
import {readElf, type ElfInfo} from './elf.js';

export type MappedFile = {
	readonly path: string;
	readonly deleted: boolean;
	readonly start: bigint;
	readonly end: bigint;
};

/** Files to try for a mapping, in order. */
export function mappedFileSources(pid: number, mapping: MappedFile, procRoot = '/proc'): string[] {
	if (!mapping.deleted) {
		return [`${procRoot}/${pid}/root${mapping.path}`, mapping.path];
	}

	const sources = [`${procRoot}/${pid}/map_files/${mapping.start.toString(16)}-${mapping.end.toString(16)}`];
	let exe: string | undefined;
	try {
		exe = fs.readlinkSync(`${procRoot}/${pid}/exe`).replace(/ \(deleted\)$/, '');
	} catch {
		exe = undefined;
	}

	if (exe === mapping.path) {
		sources.push(`${procRoot}/${pid}/exe`);
	}

	return sources;
}

/** The ELF file behind a mapping, read from wherever it still can be. */
export function readMappedElf(pid: number, mapping: MappedFile, procRoot = '/proc'): ElfInfo | undefined {
	for (const source of mappedFileSources(pid, mapping, procRoot)) {
		const elf = readElf(source);
		if (elf) {
			return elf;
		}
	}

	return undefined;
}
