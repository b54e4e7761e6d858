// Source lines for every output that shows code: dumps (the CLI's and the live view's), the
// flame graph's tooltips and the heatmap's pages. The one reader.
//
// Filenames come from the target, or from an archive someone sent: untrusted. So a file is read
// only from the live target, as the target sees it (/proc/PID/root for absolute paths,
// /proc/PID/cwd for relative ones), at capture time; a replayed archive brings the texts it
// stored and nothing is ever read for it. Each read is done by a short-lived helper process
// that runs as the target's user when we are root (so a target naming /etc/shadow gets nothing
// it could not read itself), opens without blocking, takes regular files only, at most
// maxSourceBytes of them, and is killed after readTimeoutMs: a FIFO, /dev/zero, a huge file or a
// hung filesystem never stalls the profiler.
import {spawn, spawnSync} from 'node:child_process';
import path from 'node:path';
import {readStatusField} from './proc.js';

/** Larger files are not shown (no Python source file is this long). */
export const maxSourceBytes = 4 << 20;
/** Text kept per profile: beyond this, no more files are read. */
const maxTotalBytes = 64 << 20;
/** A helper still reading after this long is killed, and the file it was on is left out. */
const readTimeoutMs = 3000;
/** After this many timeouts, the target's files are not read any more (its filesystem hangs). */
const maxTimeouts = 2;

/** Code text by file: what the outputs need from a profile's sources. */
export type SourceStore = {
	/** Every line of the file (as the target saw it), or undefined when it was not read. */
	lines(filename: string): readonly string[] | undefined;
	/** Line `line` (1-based) without its indentation, or undefined. */
	line(filename: string, line: number): string | undefined;
	/** The texts read so far, by filename: what an archive stores. */
	texts(): ReadonlyMap<string, string>;
	/** Resolves once the reads asked for so far are done. */
	settled(): Promise<void>;
};

/** Whether a frame's filename can name a file at all (`<frozen …>`, `<string>`, `~`, `[native]` cannot). */
export function isSourcePath(filename: string): boolean {
	return filename !== '' && filename !== '~' && !filename.startsWith('<') && !filename.startsWith('[') && !filename.includes('\0');
}

// Run by `node -e` as the helper: argv is [node, maxBytes, path…]; one JSON line per path, in
// order, written as soon as it is read (so a kill keeps what was done).
const helperScript = `
const fs = require('fs');
const max = Number(process.argv[1]);
const {O_RDONLY, O_NONBLOCK, O_NOCTTY} = fs.constants;
process.argv.slice(2).forEach((file, index) => {
	let result;
	try {
		const fd = fs.openSync(file, O_RDONLY | O_NONBLOCK | O_NOCTTY);
		try {
			const stat = fs.fstatSync(fd);
			if (!stat.isFile()) {
				result = {index, error: 'not a regular file'};
			} else if (stat.size > max) {
				result = {index, error: 'too large'};
			} else {
				const buffer = Buffer.alloc(max + 1);
				let length = 0;
				for (let got; length <= max && (got = fs.readSync(fd, buffer, length, max + 1 - length, null)) > 0;) {
					length += got;
				}

				result = length > max ? {index, error: 'too large'} : {index, text: buffer.toString('utf8', 0, length)};
			}
		} finally {
			fs.closeSync(fd);
		}
	} catch (error) {
		result = {index, error: String(error && error.code || error)};
	}

	fs.writeSync(1, JSON.stringify(result) + '\\n');
});
`;

type HelperResult = {index: number; text?: string; error?: string};

/** The user and group the helper reads as: the target's (file system ids), when we are root and it is not. */
function targetCredentials(pid: number): {uid: number; gid: number} | undefined {
	if (process.getuid?.() !== 0) {
		return undefined;
	}

	// Uid: real effective saved filesystem
	const uid = Number(readStatusField(pid, 'Uid')?.split(/\s+/)[3]);
	const gid = Number(readStatusField(pid, 'Gid')?.split(/\s+/)[3]);
	return Number.isInteger(uid) && Number.isInteger(gid) && uid !== 0 ? {uid, gid} : undefined;
}

function parseResults(output: string): HelperResult[] {
	const results: HelperResult[] = [];
	for (const line of output.split('\n')) {
		if (line === '') {
			continue;
		}

		try {
			results.push(JSON.parse(line) as HelperResult);
		} catch {
			break; // Cut short by the kill.
		}
	}

	return results;
}

const noTexts: ReadonlyMap<string, string> = new Map();

/** Sources that are not there: a profile made without a target (tests, Tachyon's archives). */
export const noSources: SourceStore = {
	lines: () => undefined,
	line: () => undefined,
	texts: () => noTexts,
	settled: async () => Promise.resolve(),
};

/** The texts an archive stored, and nothing else. */
export class StoredSources implements SourceStore {
	private readonly stored: ReadonlyMap<string, string>;
	private readonly split = new Map<string, string[]>();

	constructor(texts: ReadonlyMap<string, string>) {
		this.stored = texts;
	}

	lines(filename: string): readonly string[] | undefined {
		const text = this.stored.get(filename);
		if (text === undefined) {
			return undefined;
		}

		return splitOnce(this.split, filename, text);
	}

	line(filename: string, line: number): string | undefined {
		return lineOf(this.lines(filename), line);
	}

	texts(): ReadonlyMap<string, string> {
		return this.stored;
	}

	async settled(): Promise<void> {
		return Promise.resolve();
	}
}

/** The file's lines, split on first use and kept in `split`. */
function splitOnce(split: Map<string, string[]>, filename: string, text: string): string[] {
	let lines = split.get(filename);
	if (lines === undefined) {
		lines = text.split(/\r?\n/);
		split.set(filename, lines);
	}

	return lines;
}

function lineOf(lines: readonly string[] | undefined, line: number): string | undefined {
	return Number.isSafeInteger(line) && line > 0 ? lines?.[line - 1]?.trim() : undefined;
}

/** The files of one live target, read as it sees them, each once. */
export class SourceLines implements SourceStore {
	readonly pid: number;
	/** Per filename: its text, or undefined once a read gave nothing. */
	private readonly read = new Map<string, string | undefined>();
	private readonly split = new Map<string, string[]>();
	private readonly kept = new Map<string, string>();
	private totalBytes = 0;
	private timeouts = 0;
	private pending: Promise<void> = Promise.resolve();
	private credentials: {uid: number; gid: number} | undefined;
	private credentialsKnown = false;

	constructor(pid: number) {
		this.pid = pid;
	}

	lines(filename: string): readonly string[] | undefined {
		if (!this.read.has(filename)) {
			this.readNow([filename]);
		}

		const text = this.read.get(filename);
		if (text === undefined) {
			return undefined;
		}

		return splitOnce(this.split, filename, text);
	}

	line(filename: string, line: number): string | undefined {
		return lineOf(this.lines(filename), line);
	}

	texts(): ReadonlyMap<string, string> {
		return this.kept;
	}

	/** Reads these files now (one helper for all), those not read yet. For dumps: one look, then done. */
	readNow(filenames: Iterable<string>): void {
		const wanted = this.unread(filenames);
		while (wanted.length > 0) {
			const helper = this.helperCommand(wanted);
			const result = spawnSync(process.execPath, helper.args, {...helper.options, timeout: readTimeoutMs, killSignal: 'SIGKILL', maxBuffer: (maxSourceBytes * 2) + (1 << 20), encoding: 'utf8'});
			const timedOut = result.error !== undefined || result.signal !== null;
			wanted.splice(0, this.take(wanted, parseResults(result.stdout ?? ''), timedOut));
		}
	}

	/** Reads these files in the background (capture time, batch by batch); settled() waits for it. */
	prefetch(filenames: Iterable<string>): void {
		const wanted = this.unread(filenames);
		if (wanted.length === 0) {
			return;
		}

		// Claimed now, so a later batch does not ask again while this read runs.
		for (const filename of wanted) {
			this.read.set(filename, undefined);
		}

		this.pending = this.pending.then(async () => this.readInBackground(wanted));
	}

	/** Resolves once every prefetch asked so far has been read (or given up). */
	async settled(): Promise<void> {
		await this.pending;
	}

	private async readInBackground(wanted: string[]): Promise<void> {
		while (wanted.length > 0 && this.canRead()) {
			const helper = this.helperCommand(wanted);
			const {output, timedOut} = await new Promise<{output: string; timedOut: boolean}>(resolve => {
				let output = '';
				let timedOut = false;
				const child = spawn(process.execPath, helper.args, {...helper.options, stdio: ['ignore', 'pipe', 'ignore']});
				const timer = setTimeout(() => {
					timedOut = true;
					child.kill('SIGKILL');
				}, readTimeoutMs);
				child.stdout.setEncoding('utf8');
				child.stdout.on('data', (data: string) => {
					output += data;
				});
				child.on('error', () => {
					timedOut = true;
				});
				child.on('close', () => {
					clearTimeout(timer);
					resolve({output, timedOut});
				});
			});
			for (const filename of wanted) {
				this.read.delete(filename);
			}

			const done = this.take(wanted, parseResults(output), timedOut);
			for (const filename of wanted.slice(done)) {
				this.read.set(filename, undefined);
			}

			wanted.splice(0, done);
		}
	}

	/** Files among these worth reading and not read yet. */
	private unread(filenames: Iterable<string>): string[] {
		const wanted = new Set<string>();
		for (const filename of filenames) {
			if (!this.read.has(filename) && isSourcePath(filename)) {
				if (this.canRead()) {
					wanted.add(filename);
				} else {
					this.read.set(filename, undefined);
				}
			}
		}

		return [...wanted];
	}

	private canRead(): boolean {
		return this.timeouts < maxTimeouts && this.totalBytes < maxTotalBytes;
	}

	/**
	 * Records a helper's results for `wanted` (in order); returns how many of them are settled.
	 * A helper killed on a timeout settled the files it answered and the one it hung on; the
	 * rest are for the next helper. One that ended without answering all (it could not start,
	 * say) settles them all, unread.
	 */
	private take(wanted: string[], results: HelperResult[], timedOut: boolean): number {
		let done = 0;
		for (const result of results) {
			const filename = wanted[result.index];
			if (filename === undefined || result.index !== done) {
				break;
			}

			done++;
			const text = typeof result.text === 'string' && this.totalBytes + result.text.length <= maxTotalBytes ? result.text : undefined;
			this.read.set(filename, text);
			if (text !== undefined) {
				this.kept.set(filename, text);
				this.totalBytes += text.length;
			}
		}

		if (timedOut && done < wanted.length) {
			this.timeouts++;
			this.read.set(wanted[done]!, undefined);
			done++;
		}

		if (!timedOut || !this.canRead()) {
			for (const filename of wanted.slice(done)) {
				this.read.set(filename, undefined);
			}

			return wanted.length;
		}

		return done;
	}

	/** `node -e helper maxBytes paths…`, as the target's user when we are root, with no environment of ours. */
	private helperCommand(filenames: string[]): {args: string[]; options: {env: NodeJS.ProcessEnv; uid?: number; gid?: number}} {
		if (!this.credentialsKnown) {
			this.credentials = targetCredentials(this.pid);
			this.credentialsKnown = true;
		}

		const paths = filenames.map(filename => (path.isAbsolute(filename) ? `/proc/${this.pid}/root${filename}` : `/proc/${this.pid}/cwd/${filename}`));
		return {
			args: ['--max-old-space-size=64', '-e', helperScript, String(maxSourceBytes), ...paths],
			options: {env: {}, ...(this.credentials ?? {})},
		};
	}
}
