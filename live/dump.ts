// One look at every thread's stack (or every asyncio task's chain), with source lines: the
// data behind `tachyon-top dump` and the live view's dump screen.
import {FrameTable} from '../sampler/frame-table.js';
import {formatOpcode} from '../sampler/opcodes.js';
import {ThreadFreezer} from '../sampler/ptrace.js';
import type {AsyncStacks} from '../sampler/asyncio.js';
import type {NativeStacks, NativeStacksMode} from '../sampler/native/native-stacks.js';
import {type AsyncMode, type FrameDef, ThreadStatus} from '../common/profile-types.js';
import {TargetGoneError, TornReadError} from '../sampler/remote-memory.js';
import {UserError} from '../common/errors.js';
import {describeReadError, openTarget} from '../sampler/target.js';
import {ThreadNames} from '../sampler/thread-names.js';
import {Unwinder} from '../sampler/unwinder.js';
import {versionNotes} from '../sampler/version-notes.js';
import {SourceLines} from '../sampler/source-lines.js';
import {terminalText} from '../common/terminal-text.js';

export type DumpOptions = {
	readonly pid: number;
	readonly allThreads: boolean;
	readonly native: boolean;
	readonly gc: boolean;
	readonly opcodes: boolean;
	/** Stop the target's threads (ptrace) while reading them. */
	readonly blocking?: boolean;
	/** Native frames between the Python frames (the threads stand still while read). */
	readonly nativeStacks?: NativeStacksMode;
	/** Each asyncio task's await chain instead of the threads; Tachyon's dump shows all tasks. */
	readonly asyncAware?: boolean;
	readonly asyncMode?: AsyncMode;
};

export function statusWords(status: number): string[] {
	const words: string[] = [];
	if (status & ThreadStatus.mainThread) {
		words.push('main thread');
	}

	if (status & ThreadStatus.hasGil) {
		words.push('has GIL');
	}

	if (status & ThreadStatus.onCpu) {
		words.push('on CPU');
	}

	if (status & ThreadStatus.gilRequested) {
		words.push('waiting for GIL');
	}

	if (status & ThreadStatus.hasException) {
		words.push('has exception');
	}

	if (status & ThreadStatus.inGc) {
		words.push('in GC');
	}

	if ((status & (ThreadStatus.hasGil | ThreadStatus.onCpu | ThreadStatus.gilRequested)) === 0) {
		words.push('idle');
	}

	return words;
}

/** One frame as the dump shows it; `source` is the line's text when the file is readable. */
export type DumpFrame = {
	readonly kind: FrameDef['kind'];
	readonly filename: string;
	readonly funcname: string;
	readonly line: number;
	/** The instruction's name (with --opcodes), else undefined. */
	readonly opcode: string | undefined;
	readonly source: string | undefined;
};

export type DumpThread = {
	readonly tid: number;
	readonly name: string;
	readonly status: number;
	/** Most recent call last, as printed. */
	readonly frames: DumpFrame[];
};

/** What one look at a process found: the data behind `dump` and the live view's dump screen. */
export type DumpData = {
	readonly pid: number;
	readonly version: string;
	readonly command: string[];
	readonly threads: DumpThread[];
	/** What this version cannot show of what was asked for, one line each. */
	readonly notes?: readonly string[];
	/** The PID inside the target's own PID namespace (a container), where it differs. */
	readonly nsPid?: number;
};

/**
 * The readers a dump uses beyond the threads' own stacks, loaded only for the dumps that ask
 * for them: the native unwinder (--native-stacks) and the asyncio reader (--async-aware) cost
 * a plain `dump` ~15 ms of CPU to load, a tenth of all it does.
 */
export type DumpReaders = {
	readonly AsyncStacks?: typeof AsyncStacks;
	readonly NativeStacks?: typeof NativeStacks;
};

/** The readers `options` needs (none for a plain dump). */
export async function loadDumpReaders(options: DumpOptions): Promise<DumpReaders> {
	const [asyncio, native] = await Promise.all([
		options.asyncAware ? import('../sampler/asyncio.js') : undefined,
		options.nativeStacks ? import('../sampler/native/native-stacks.js') : undefined,
	]);
	return {...(asyncio && {AsyncStacks: asyncio.AsyncStacks}), ...(native && {NativeStacks: native.NativeStacks})};
}

/** A reader `options` asked for: loaded beforehand by loadDumpReaders. */
function loaded<T>(reader: T | undefined, flag: string): T {
	if (reader === undefined) {
		throw new Error(`collectDump: ${flag} needs its reader from loadDumpReaders`);
	}

	return reader;
}

/** One sample; with --blocking the threads stand still for it and always run on after. */
function sampleStill(unwinder: Unwinder, blocking: boolean, nativeStacks?: NativeStacks): number {
	if (!blocking && !nativeStacks) {
		return unwinder.sample(performance.now());
	}

	const freezer = new ThreadFreezer(unwinder.target.pid);
	unwinder.runningBeforePause = freezer.runningBefore;
	freezer.pause(true);
	try {
		const count = unwinder.sample(performance.now());
		nativeStacks?.rewrite(unwinder.samples, count);
		return count;
	} finally {
		freezer.resume();
	}
}

export function collectDump(options: DumpOptions, readers: DumpReaders, opcodeName?: (opcode: number) => string): DumpData {
	const target = openTarget(options.pid);
	// Named with the target's own opcode table (specialised forms as `NAME (BASE)`, like Tachyon).
	const nameOpcode = opcodeName ?? ((opcode: number) => formatOpcode(target.version.text, opcode));
	const frames = new FrameTable();
	const unwinder = new Unwinder(target, frames, {
		allThreads: options.allThreads || options.asyncAware === true, gc: options.gc, native: options.native || options.nativeStacks !== undefined,
		opcodes: options.opcodes, cpuState: true, exceptionState: true,
	});
	const nativeStacks = options.nativeStacks ? new (loaded(readers.NativeStacks, '--native-stacks'))(target, frames, options.nativeStacks) : undefined;
	unwinder.recordAddresses = nativeStacks !== undefined;
	const tasks = options.asyncAware ? new (loaded(readers.AsyncStacks, '--async-aware'))(unwinder.remote, unwinder, options.asyncMode ?? 'all') : undefined;
	let count: number;
	for (let attempt = 0; ; attempt++) {
		try {
			count = sampleStill(unwinder, options.blocking === true, nativeStacks);
			if (tasks) {
				count = tasks.rewrite(performance.now(), count);
			}

			// A running interpreter has a stack to show: none is a moment between states (one dump
			// --async-aware of 3.15 under load found none), so it is tried again like a torn read.
			if (count === 0 && attempt < 20) {
				tasks?.walkNext();
				continue;
			}

			break;
		} catch (error) {
			if (error instanceof TargetGoneError) {
				throw new UserError(`No such process: ${options.pid}`);
			}

			if (!(error instanceof TornReadError)) {
				throw describeReadError(options.pid, error);
			}

			// The target moved under us; a few tries give a consistent picture.
			if (attempt >= 20) {
				throw new UserError(`Could not read a consistent stack from process ${options.pid}: ${error.message}`);
			}
		}
	}

	unwinder.close();
	tasks?.close();
	const sources = new SourceLines(options.pid);
	// Every file the dump shows, read in one go while the target is there.
	sources.readNow(unwinder.samples.slice(0, count).flatMap(sample => sample.frames.slice(0, sample.depth).map(id => frames.defs[id]!.filename)));
	const threads: DumpThread[] = [];
	const threadNames = new ThreadNames(unwinder.remote);
	for (let index = 0; index < count; index++) {
		const sample = unwinder.samples[index]!;
		const threadFrames: DumpFrame[] = [];
		for (let depth = sample.depth - 1; depth >= 0; depth--) {
			const frame = frames.defs[sample.frames[depth]!]!;
			const python = frame.kind === 'python';
			const source = python ? sources.line(frame.filename, frame.line) : undefined;
			// Dumps are read on a terminal (the CLI's text, the live view's screen): every name and
			// line from the target is made safe here, once.
			threadFrames.push({
				kind: frame.kind,
				filename: terminalText(frame.filename),
				funcname: terminalText(frame.funcname),
				line: frame.line,
				opcode: python && frame.opcode >= 0 ? nameOpcode(frame.opcode) : undefined,
				source: source ? terminalText(source) : undefined,
			});
		}

		const name = tasks ? `task ${tasks.leafNames[index]!}` : threadNames.name(sample);
		threads.push({tid: sample.tid, name: terminalText(name), status: sample.status, frames: threadFrames});
	}

	return {pid: options.pid, version: target.version.text, command: target.command.map(arg => terminalText(arg)), threads, notes: versionNotes(target.version, target.traits, options), ...(target.nsPid === undefined ? {} : {nsPid: target.nsPid})};
}

export type LiveDump = {readonly threads: DumpData; readonly tasks?: DumpData | undefined};
