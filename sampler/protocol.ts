// What the sampler worker and the main thread say to each other, and the shapes both sides share.
import type {AsyncMode, FrameDef} from '../common/profile-types.js';

export type SamplerOptions = {
	readonly pid: number;
	/** Microseconds between samples. */
	readonly intervalUs: number;
	/** Seconds, or 0 for no limit. */
	readonly durationS: number;
	readonly allThreads: boolean;
	readonly gc: boolean;
	readonly native: boolean;
	readonly opcodes: boolean;
	/** Read each thread's run state from /proc (cpu mode, live view). */
	readonly cpuState: boolean;
	/** Read each thread's exception state (exception mode, live view). */
	readonly exceptionState: boolean;
	/** How often the worker sends a batch, in milliseconds. */
	readonly batchMs: number;
	/** Sample asyncio task chains instead of threads (3.14+), of the running tasks or of all. */
	readonly asyncAware?: boolean;
	readonly asyncMode?: AsyncMode;
	/** Stop the target's threads (ptrace) around each sample. */
	readonly blocking?: boolean;
	/** Unwind each thread's native stack too (stops the threads, as blocking): 'all' keeps the interpreter's own frames. */
	readonly nativeStacks?: NativeStacksMode;
	/**
	 * The live view's `n`: --native-stacks may be turned on and off while sampling (the
	 * `native-stacks` control message), so its unwinder is loaded with the worker.
	 */
	readonly nativeStacksToggle?: boolean;
	/** Wait this long for a just-started process to become a readable Python (run mode). */
	readonly waitForRuntimeMs: number;
	/**
	 * run: the write end of the script's start gate (source/commands/start-gate.ts). The worker
	 * writes one byte once it has read the script waiting there, and closes it on every way out.
	 */
	readonly gateFd?: number;
	/**
	 * --subprocesses: the worker also finds the target's Python descendants and samples each in
	 * the same loop, with these options (sampler/followed-children.ts); each child's batches
	 * carry its pid, and `child-*` messages say when one starts, ends or could not be read.
	 */
	readonly followChildren?: boolean;
};

/** --native-stacks: the interpreter's own frames hidden (default) or kept (all). */
export type NativeStacksMode = 'default' | 'all';

export type ThreadDef = {readonly tid: number; readonly name: string};

/**
 * A batch of samples. `ticks` holds, per sampling tick: timestamp (µs since start),
 * the µs this tick stands for, and the number of thread records that follow in `records`,
 * or -1 for a repeat: the tick has the records of the tick before it in this batch, again
 * (none follow; the first tick of a batch is never a repeat). Each repeated sample counts as
 * if it had been sent whole, at its own time. `records` holds per thread record: tid, status,
 * stack id. Stacks are interned as a prefix tree: `stacks` holds (parent stack id or -1,
 * frame id) pairs for new stack ids. Read the records with forEachRecord.
 */
export type SampleBatch = {
	readonly type: 'batch';
	readonly frames: FrameDef[];
	readonly threads: ThreadDef[];
	readonly stacks: Int32Array;
	readonly ticks: Float64Array;
	readonly records: Uint32Array;
	readonly stats: SamplerStats;
	/** --subprocesses: the child these samples are of (absent: the target itself). */
	readonly pid?: number;
};

/** A tick count that means "the previous tick's records again" (SampleBatch). */
export const repeatTick = -1;

/**
 * Calls `record` for every thread record of every tick of a batch, a repeat tick's as its own:
 * `first` is true for the first record of each tick; `repeated` for the records of a repeat.
 */
export function forEachRecord(batch: SampleBatch, record: (tid: number, status: number, stack: number, standsFor: number, time: number, repeated: boolean, first: boolean) => void): void {
	const {ticks, records} = batch;
	let start = 0;
	let count = 0;
	let next = 0;
	for (let tick = 0; tick < ticks.length; tick += 3) {
		const time = ticks[tick]!;
		const standsFor = ticks[tick + 1]!;
		const repeated = ticks[tick + 2] === repeatTick;
		if (!repeated) {
			start = next;
			count = ticks[tick + 2]!;
			next += count * 3;
		}

		for (let index = 0, at = start; index < count; index++, at += 3) {
			// A Uint32Array: an empty stack (-1) arrives as 2^32 − 1; `| 0` makes it -1 again.
			record(records[at]!, records[at + 1]!, records[at + 2]! | 0, standsFor, time, repeated, index === 0);
		}
	}
}

export type SamplerStats = {
	/** Sampling ticks attempted, successful or not. */
	readonly attempts: number;
	readonly errors: number;
	/** Ticks that fell due but were skipped (owed for over a second: a stall too long to catch up on). */
	readonly missed: number;
	/** Ticks taken late, back to back after a stall (counted in attempts too). */
	readonly late?: number;
	/** µs the sampler's thread waited for a CPU while sampling (its schedstat run-queue time): why ticks came late. */
	readonly cpuWaitUs?: number;
	/** µs since sampling started. */
	readonly elapsedUs: number;
	readonly lastError?: string;
	readonly reads: number;
	readonly bytesRead: number;
	/** Worker CPU time in µs (user + system), for the bench. */
	readonly cpuUs: number;
	/** --blocking: µs spent stopping and resuming the target, and over how many samples. */
	readonly pauseUs?: number;
	readonly pauses?: number;
};

export type TargetInfo = {
	readonly pid: number;
	readonly version: string;
	/** The PID inside the target's own PID namespace (a container), where it differs. */
	readonly nsPid?: number;
	/** One line each: what was asked for that this version cannot give in full (version-notes.ts). */
	readonly notes?: readonly string[];
	readonly binary: string;
	readonly command: string[];
	/** Wall-clock time sampling started, ms since the epoch. */
	readonly startedAt: number;
	/** --subprocesses below a process that is not Python (a shell, a launcher): only its descendants are read. */
	readonly notPython?: true;
};

/** --subprocesses: what the worker says about the target's children (their batches carry `pid`). */
export type ChildMessage =
	| {readonly type: 'child-attached'; readonly target: TargetInfo}
	/** A child's sampling ended: it exited, or was stopped (stop-child, or the capture ended). */
	| {readonly type: 'child-ended'; readonly pid: number; readonly reason: 'exited' | 'stopped'}
	/** A Python child that ended (or could not be opened) before a single sample of it was taken: reported, not dropped. */
	| {readonly type: 'child-unread'; readonly pid: number; readonly command: string[]; readonly why: string};

export type WorkerMessage =
	| {readonly type: 'attached'; readonly target: TargetInfo}
	| SampleBatch
	| ChildMessage
	| {readonly type: 'done'; readonly reason: 'duration' | 'stopped' | 'exited'}
	/** The target exec'd another program, read from now on; `atUs` since sampling started. */
	| {readonly type: 'exec'; readonly atUs: number; readonly target: TargetInfo}
	/** The answer to a `native-stacks` control message: the mode sampled now (absent: off), and why it did not change when it did not. */
	| {readonly type: 'native-stacks'; readonly mode?: NativeStacksMode; readonly error?: string}
	| {readonly type: 'error'; readonly message: string; readonly userError: boolean; readonly exitCode: number};

/** What the main thread may ask a running worker (read between batches). */
export type ControlMessage =
	| {readonly type: 'stop-child'; readonly pid: number}
	/** Native stacks on (a mode) or off (no mode) from the next tick (SamplerOptions.nativeStacksToggle). */
	| {readonly type: 'native-stacks'; readonly mode?: NativeStacksMode}
	/** A batch's buffers, taken in and given back, for the next batches to be copied into (Sampler.recycle). */
	| {readonly type: 'recycle'; readonly buffers: readonly ArrayBuffer[]};

/** Control words shared with the worker through a SharedArrayBuffer. */
export const Control = {
	/** Set to 1 to stop sampling. */
	stop: 0,
	/** A cell to wake the worker's waits with (Atomics.notify). */
	wake: 1,
	/**
	 * Set to 1 before tachyon-top suspends itself (Ctrl-Z): the worker lets every thread of the
	 * target go (no ptrace stop may outlast us), says so in `suspended`, and waits for 0.
	 */
	suspend: 2,
	suspended: 3,
	length: 4,
} as const;
