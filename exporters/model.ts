// The one profile model. Sampler batches go in; every exporter and the live view read it.
//
// Stacks are a prefix tree (stack id → parent stack, frame), root first. Samples are kept
// aggregated per (thread, stack, status) cell, with the number of samples and the real
// time they stand for, so memory grows with distinct stacks, not with samples. Exporters
// that need each sample's timestamp (gecko) ask for a timeline when the profile is created.
import {type FrameDef, type ProfilingMode, ThreadStatus} from '../common/profile-types.js';
import {repeatTick, type SampleBatch, type SamplerStats, type TargetInfo} from '../sampler/protocol.js';
import {noSources, type SourceStore} from '../sampler/source-lines.js';
import {RecentSamples} from './recent-samples.js';

export type ProfileMeta = {
	pid: number;
	/** The PID inside the target's own PID namespace (a container), where it differs. */
	nsPid?: number;
	pythonVersion: string;
	command: string[];
	mode: ProfilingMode;
	/** Requested µs between samples. */
	intervalUs: number;
	/** Wall clock at the start of sampling, ms since the epoch. */
	startedAt: number;
	allThreads: boolean;
	gc: boolean;
	native: boolean;
	opcodes: boolean;
	asyncAware: boolean;
};

/** The target exec'd another program at `atUs` (µs since sampling started), and went on as this one. */
export type ExecEvent = {readonly atUs: number; readonly pythonVersion: string; readonly command: readonly string[]};

export type ThreadInfo = {
	readonly tid: number;
	readonly name: string;
	/** Order of first appearance, 0-based. */
	readonly index: number;
};

/** All samples of one thread with one stack and one status. */
export type Cell = {
	readonly tid: number;
	readonly stack: number;
	readonly status: number;
	count: number;
	/** µs of real time these samples stand for (each tick stands for the time since the previous one). */
	timeUs: number;
};

/** The samples taken between two cuts (the agent's windows), with the time they cover. */
export type ProfileWindow = {
	readonly cells: readonly Cell[];
	/** µs since the start of sampling: the end of the previous window (or 0) and the last tick in this one. */
	readonly startUs: number;
	readonly endUs: number;
	/** Thread samples in the window. */
	readonly samples: number;
};

/** Which samples to look at: a mode keeps the samples whose thread status fits it. */
export type View = {
	readonly mode?: ProfilingMode;
	/** Only this thread; undefined for all. */
	readonly tid?: number;
	/** Only the samples taken since this time (µs since the start of sampling): needs a profile that keeps recent samples. */
	readonly sinceUs?: number;
};

export type Timeline = {
	length: number;
	/** µs since the start of sampling. */
	time: Float64Array;
	tid: Uint32Array;
	status: Uint8Array;
	stack: Int32Array;
};

export const emptyStats: SamplerStats = {attempts: 0, errors: 0, missed: 0, elapsedUs: 0, reads: 0, bytesRead: 0, cpuUs: 0};

export function statusFitsMode(status: number, mode: ProfilingMode | undefined): boolean {
	switch (mode) {
		case 'cpu': {
			return (status & ThreadStatus.onCpu) !== 0;
		}

		case 'gil': {
			return (status & ThreadStatus.hasGil) !== 0;
		}

		case 'exception': {
			return (status & ThreadStatus.hasException) !== 0;
		}

		default: {
			return true;
		}
	}
}

export function isSynthetic(frame: FrameDef): boolean {
	return frame.kind !== 'python' && !isNativeFunction(frame);
}

/**
 * A C/C++/Rust function from --native-stacks: kind 'native' with the ELF's name as its file
 * (and line 0), unlike the synthetic `<native>` marker, whose file is `~`.
 */
export function isNativeFunction(frame: FrameDef): boolean {
	return frame.kind === 'native' && frame.filename !== '~';
}

/** Distinct threads a profile's cell keys tell apart (a thread index is its order of appearance). */
const threadKeySpan = 1 << 20;

export class Profile {
	readonly meta: ProfileMeta;
	readonly frames: FrameDef[] = [];
	readonly threads = new Map<number, ThreadInfo>();
	/** The sampler's counters since it started (sampledStats: since the last reset). */
	stats: SamplerStats = emptyStats;
	/** Sampling ticks that produced a sample (at least one thread or none). */
	ticks = 0;
	/** Thread samples: one per thread per tick. */
	samples = 0;
	/** µs covered by the ticks seen. */
	timeUs = 0;
	/** Why sampling ended, once it has. */
	endReason: 'duration' | 'stopped' | 'exited' | undefined;
	timeline: Timeline | undefined;
	/** Programs the target exec'd while sampled, in order: where the capture changes program. */
	readonly execs: ExecEvent[] = [];
	/** The code of the target's files, as read from it while it ran (or stored in an archive). */
	sources: SourceStore = noSources;
	/** The last minute of samples by time (the live view's window), when asked for. */
	readonly recent: RecentSamples | undefined;
	private stackParent = new Int32Array(1024);
	private stackFrame = new Int32Array(1024);
	private stackCount = 0;
	private readonly cellMap = new Map<number, Cell>();
	/** Within one ingest: the cells (and keys) of the last tick sent whole, which a repeat tick adds to again. */
	private readonly tickCells: Cell[] = [];
	private readonly tickKeys: number[] = [];
	/** µs since the start of sampling of the last tick ingested, and of the last cut. */
	private lastTickUs = 0;
	private windowStartUs = 0;
	/** Counts of the samples added since the last reset, for "reset" in the live view. */
	private generation = 0;
	/** The sampler's counters when the samples were last reset. */
	private statsAtReset: SamplerStats = emptyStats;

	constructor(meta: ProfileMeta, options: {timeline?: boolean; recent?: boolean} = {}) {
		this.meta = meta;
		this.recent = options.recent ? new RecentSamples() : undefined;
		if (options.timeline) {
			this.timeline = {length: 0, time: new Float64Array(4096), tid: new Uint32Array(4096), status: new Uint8Array(4096), stack: new Int32Array(4096)};
		}
	}

	get stackCountTotal(): number {
		return this.stackCount;
	}

	/** Bumped whenever samples are added or cleared: cheap change detection for the UI. */
	get version(): number {
		return this.generation;
	}

	get cells(): Iterable<Cell> {
		return this.cellMap.values();
	}

	/** Records what the sampler learnt on attaching: the version, command line and start time. */
	setTarget(target: TargetInfo): void {
		this.meta.pythonVersion = target.version;
		if (target.nsPid !== undefined) {
			this.meta.nsPid = target.nsPid;
		}

		this.meta.command = target.command;
		this.meta.startedAt = target.startedAt;
	}

	/** The target exec'd another program: its version and command line from now on, the boundary kept. */
	noteExec(atUs: number, target: TargetInfo): void {
		this.execs.push({atUs, pythonVersion: target.version, command: target.command});
		this.meta.pythonVersion = target.version;
		this.meta.command = target.command;
		this.generation++;
	}

	/** Adds one batch from the sampler. */
	ingest(batch: SampleBatch): void {
		for (const frame of batch.frames) {
			this.frames.push(frame);
		}

		for (const thread of batch.threads) {
			const known = this.threads.get(thread.tid);
			if (!known) {
				this.threads.set(thread.tid, {tid: thread.tid, name: thread.name, index: this.threads.size});
			} else if (known.name === '' && thread.name !== '') {
				// Named late: a thread first sampled while it was still starting.
				this.threads.set(thread.tid, {...known, name: thread.name});
			}
		}

		for (let index = 0; index < batch.stacks.length; index += 2) {
			this.addStack(batch.stacks[index]!, batch.stacks[index + 1]!);
		}

		const {ticks, records} = batch;
		const {tickCells, tickKeys} = this;
		let record = 0;
		let count = 0;
		for (let tick = 0; tick < ticks.length; tick += 3) {
			const time = ticks[tick]!;
			const standsFor = ticks[tick + 1]!;
			this.ticks++;
			this.timeUs += standsFor;
			this.lastTickUs = time;
			this.recent?.tick(time);
			if (ticks[tick + 2] === repeatTick) {
				// The previous tick's records again: their cells are known, no lookup.
				for (let index = 0; index < count; index++) {
					this.addToCell(tickCells[index]!, tickKeys[index]!, standsFor, time, 1);
				}

				continue;
			}

			count = ticks[tick + 2]!;
			for (let index = 0; index < count; index++, record += 3) {
				// `records` is a Uint32Array: an empty stack (-1) arrives as 2^32 − 1; `| 0` makes it -1 again.
				const key = this.keyOf(records[record]!, records[record + 1]!, records[record + 2]! | 0);
				const cell = this.cellOf(key, records[record]!, records[record + 1]!, records[record + 2]! | 0);
				tickCells[index] = cell;
				tickKeys[index] = key;
				this.addToCell(cell, key, standsFor, time, 1);
			}
		}

		this.stats = batch.stats;
		this.generation++;
	}

	/** Adds `count` samples of one stack; used by ingest and by replay. */
	addSample(tid: number, status: number, stack: number, timeUs: number, at: number, count = 1): void {
		const key = this.keyOf(tid, status, stack);
		this.addToCell(this.cellOf(key, tid, status, stack), key, timeUs, at, count);
	}

	/** One number per (stack, thread, status), exact below 2^53: 2^20 threads and 2^25 stacks per profile. */
	private keyOf(tid: number, status: number, stack: number): number {
		return (((stack + 1) * threadKeySpan) + this.threadIndex(tid)) * 256 + (status & 255);
	}

	private cellOf(key: number, tid: number, status: number, stack: number): Cell {
		let cell = this.cellMap.get(key);
		if (cell === undefined) {
			cell = {tid, stack, status, count: 0, timeUs: 0};
			this.cellMap.set(key, cell);
		}

		return cell;
	}

	private addToCell(cell: Cell, key: number, timeUs: number, at: number, count: number): void {
		const {tid, stack, status} = cell;
		cell.count += count;
		cell.timeUs += timeUs * count;
		this.samples += count;
		this.recent?.add(key, tid, stack, status, count, timeUs, at);
		if (this.timeline) {
			for (let index = 0; index < count; index++) {
				this.pushTimeline(at, tid, status, stack);
			}
		}
	}

	/** Interns a stack from outside the sampler (replay): returns the id of (parent, frame). */
	addStack(parent: number, frame: number): number {
		if (this.stackCount === this.stackParent.length) {
			this.stackParent = grow(this.stackParent);
			this.stackFrame = grow(this.stackFrame);
		}

		this.stackParent[this.stackCount] = parent;
		this.stackFrame[this.stackCount] = frame;
		return this.stackCount++;
	}

	addThread(tid: number, name: string): void {
		if (!this.threads.has(tid)) {
			this.threads.set(tid, {tid, name, index: this.threads.size});
		}
	}

	stackParentOf(stack: number): number {
		return this.stackParent[stack]!;
	}

	stackFrameOf(stack: number): number {
		return this.stackFrame[stack]!;
	}

	/** Frame ids of a stack, root first. */
	stackFrames(stack: number): number[] {
		const frames: number[] = [];
		for (let id = stack; id >= 0; id = this.stackParent[id]!) {
			frames.push(this.stackFrame[id]!);
		}

		return frames.reverse();
	}

	/** The cells a view selects. */
	*select(view: View = {}): Iterable<Cell> {
		const cells = view.sinceUs !== undefined && this.recent ? this.recent.cellsSince(view.sinceUs) : this.cellMap.values();
		for (const cell of cells) {
			if ((view.tid === undefined || cell.tid === view.tid) && statusFitsMode(cell.status, view.mode ?? this.meta.mode)) {
				yield cell;
			}
		}
	}

	/** Forgets every sample (the live view's reset); frames, stacks and threads stay interned. */
	reset(): void {
		this.statsAtReset = this.stats;
		this.cellMap.clear();
		this.recent?.reset();
		this.samples = 0;
		this.ticks = 0;
		this.timeUs = 0;
		if (this.timeline) {
			this.timeline.length = 0;
		}

		this.generation++;
	}

	/**
	 * Takes the samples since the previous cut (or the start) out of the profile, as a window
	 * of their own. Frames, stacks and threads stay interned, so a long-running capture keeps
	 * only one window of samples in memory.
	 */
	cut(): ProfileWindow {
		const window = {cells: [...this.cellMap.values()], startUs: this.windowStartUs, endUs: Math.max(this.lastTickUs, this.windowStartUs), samples: this.samples};
		this.windowStartUs = window.endUs;
		this.reset();
		return window;
	}

	/**
	 * The sampler's counters since the last reset (the live view's `r`, an agent's cut): the
	 * span the samples held now cover, so an export after a reset reports that span only.
	 */
	get sampledStats(): SamplerStats {
		const now = this.stats;
		const base = this.statsAtReset;
		if (base === emptyStats) {
			return now;
		}

		return {
			...now,
			attempts: now.attempts - base.attempts,
			errors: now.errors - base.errors,
			missed: now.missed - base.missed,
			elapsedUs: now.elapsedUs - base.elapsedUs,
			reads: now.reads - base.reads,
			bytesRead: now.bytesRead - base.bytesRead,
			cpuUs: now.cpuUs - base.cpuUs,
			...(now.late === undefined ? {} : {late: now.late - (base.late ?? 0)}),
			...(now.cpuWaitUs === undefined ? {} : {cpuWaitUs: now.cpuWaitUs - (base.cpuWaitUs ?? 0)}),
		};
	}

	/**
	 * The time sampled since the last reset: the time the ticks held stand for (whole µs, kept
	 * exactly by the binary format), or the sampler's clock where no tick was counted (a
	 * profile built sample by sample).
	 */
	sampledTimeUs(): number {
		return this.timeUs > 0 ? this.timeUs : this.sampledStats.elapsedUs;
	}

	/**
	 * The time one thread sample stands for: the time sampled, shared equally among the ticks
	 * held (a tick samples every thread at once, so each thread's sample stands for the whole
	 * tick). tottime and cumtime are samples × this: they follow the sample counts, and the
	 * direct times of one thread add up to the time sampled. A stall (a late tick) lengthens
	 * every sample's share a little instead of one sample's a lot.
	 */
	sampleTimeUs(): number {
		const span = this.sampledTimeUs();
		return this.ticks > 0 && span > 0 ? span / this.ticks : this.meta.intervalUs;
	}

	/** The sampling statistics a report shows: rate achieved, error rate, missed samples. */
	summary(): {durationS: number; attempts: number; rate: number; errorRate: number; missedRate: number; missed: number; late: number | undefined; lateRate: number; cpuWaitS: number | undefined} {
		const stats = this.sampledStats;
		const durationS = stats.elapsedUs / 1e6;
		const attempts = stats.attempts;
		const expected = stats.elapsedUs / this.meta.intervalUs;
		return {
			durationS,
			attempts,
			rate: durationS > 0 ? attempts / durationS : 0,
			errorRate: attempts > 0 ? (stats.errors / attempts) * 100 : 0,
			missed: stats.missed,
			missedRate: expected > 0 ? (stats.missed / expected) * 100 : 0,
			late: stats.late,
			lateRate: attempts > 0 ? ((stats.late ?? 0) / attempts) * 100 : 0,
			cpuWaitS: stats.cpuWaitUs === undefined ? undefined : stats.cpuWaitUs / 1e6,
		};
	}

	private threadIndex(tid: number): number {
		let thread = this.threads.get(tid);
		if (thread === undefined) {
			thread = {tid, name: '', index: this.threads.size};
			this.threads.set(tid, thread);
		}

		return thread.index;
	}

	private pushTimeline(time: number, tid: number, status: number, stack: number): void {
		const timeline = this.timeline!;
		if (timeline.length === timeline.time.length) {
			timeline.time = grow(timeline.time);
			timeline.tid = grow(timeline.tid);
			timeline.status = grow(timeline.status);
			timeline.stack = grow(timeline.stack);
		}

		const index = timeline.length++;
		timeline.time[index] = time;
		timeline.tid[index] = tid;
		timeline.status[index] = status;
		timeline.stack[index] = stack;
	}
}

function grow<T extends Int32Array | Uint32Array | Uint8Array | Float64Array>(array: T): T {
	const bigger = new (array.constructor as new (length: number) => T)(array.length * 2);
	bigger.set(array);
	return bigger;
}
