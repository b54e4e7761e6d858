// Source lines for dumps and reports, read as the target sees its files (its root and cwd).
import fs from 'node:fs';
import path from 'node:path';

export class SourceLines {
	private readonly files = new Map<string, string[] | undefined>();
	private readonly pid: number | undefined;

	constructor(pid?: number) {
		this.pid = pid;
	}

	/** Line `line` (1-based) of `filename`, without its indentation, or undefined. */
	line(filename: string, line: number): string | undefined {
		if (line <= 0 || filename.startsWith('<') || filename === '~') {
			return undefined;
		}

		let lines = this.files.get(filename);
		if (!this.files.has(filename)) {
			lines = this.read(filename);
			this.files.set(filename, lines);
		}

		return lines?.[line - 1]?.trim();
	}

	private read(filename: string): string[] | undefined {
		const candidates = path.isAbsolute(filename)
			? [filename, ...(this.pid ? [`/proc/${this.pid}/root${filename}`] : [])]
			: [...(this.pid ? [`/proc/${this.pid}/cwd/${filename}`] : []), filename];
		for (const candidate of candidates) {
			try {
				return fs.readFileSync(candidate, 'utf8').split('\n');
			} catch {
				// Not there, or not readable: the next candidate, else no source line.
			}
		}

		return undefined;
	}
}
