// Reads the Python stacks of every sampled thread of a target, once per call to sample().
//
// Cost model: a system call costs ~1 µs here, so a sample is built around doing as few as
// possible. The interpreter-wide words (interpreter-words.ts) and, for each thread, the reads
// of the previous sample (thread-plans.ts) are queued together and read in ONE
// process_vm_readv; the walk (frame-walk.ts) then checks each assumption against what it read
// and fetches only what moved. Code objects are cached by address (code-objects.ts).
//
// This file wires those parts together and walks the thread list; each part says why it exists.
import {CodeObjects} from './code-objects.js';
import {FrameOpcodes} from './frame-opcodes.js';
import type {FrameTable} from './frame-table.js';
import {FrameWalk} from './frame-walk.js';
import {InterpreterWords, type InterpreterSnapshot} from './interpreter-words.js';
import type {RemoteContext} from './remote-context.js';
import {readPointer, RemoteMemory, TornReadError} from './remote-memory.js';
import {RemoteStrings} from './remote-strings.js';
import {regionsStart, SampleReads} from './sample-reads.js';
import type {Target} from './target.js';
import {ThreadIdMap} from './pid-namespace.js';
import {ThreadIds} from './thread-ids.js';
import {ThreadPlans} from './thread-plans.js';
import {ThreadStatusReader} from './thread-status.js';
import type {ThreadSample, UnwindOptions} from './unwind-types.js';

const maxThreads = 4096;
/** Scratch for the reads of one sample: deep stacks with many chunks need megabytes. */
const scratchSize = 4 << 20;

export class Unwinder {
	readonly memory: RemoteMemory;
	readonly samples: ThreadSample[] = [];
	readonly target: Target;
	readonly frameTable: FrameTable;
	readonly options: UnwindOptions;
	/** What object readers (asyncio, thread names) read this target with. */
	readonly remote: RemoteContext;
	private readonly interp: number;
	private readonly reads: SampleReads;
	private readonly plans: ThreadPlans;
	private readonly words: InterpreterWords;
	private readonly codes: CodeObjects;
	private readonly statuses: ThreadStatusReader;
	private readonly threadIds: ThreadIds;
	private readonly idMap: ThreadIdMap;
	private readonly walk: FrameWalk;
	private mainTstate = 0;
	/** The thread states met in this sample's walk of the thread list. */
	private readonly seenStates = new Set<number>();
	/** Threads left out of a sample because their frames were torn as they were read. */
	threadsSkipped = 0;
	/** -a: samples whose batched read of every thread failed (each thread was read on its own). */
	batchFailures = 0;
	/** Walks of the thread list done again because it changed under the first. */
	listRetries = 0;

	constructor(target: Target, frameTable: FrameTable, options: UnwindOptions) {
		this.target = target;
		this.frameTable = frameTable;
		this.options = options;
		this.memory = new RemoteMemory(target.pid, scratchSize);
		const {layout} = target;
		this.reads = new SampleReads(this.memory);
		const strings = new RemoteStrings(this.reads, layout);

		this.interp = this.memory.pointer(target.runtimeAddress + layout.runtime.interpretersHead);
		this.words = new InterpreterWords(this.memory, layout, target.runtimeAddress, this.interp);
		this.plans = new ThreadPlans(this.reads, layout);
		this.codes = new CodeObjects(this.reads, strings, target, frameTable);
		this.statuses = new ThreadStatusReader(this.reads, target, options, this.words.gil);
		this.idMap = new ThreadIdMap(target.pid);
		this.remote = {memory: this.memory, target, layout, traits: target.traits, strings, ids: this.idMap};
		this.threadIds = new ThreadIds(target.pid, this.memory, this.idMap);
		this.walk = new FrameWalk({
			target,
			options,
			interp: this.interp,
			reads: this.reads,
			plans: this.plans,
			codes: this.codes,
			opcodes: new FrameOpcodes(this.reads, target, options.opcodes),
			statuses: this.statuses,
			threadIds: this.threadIds,
			idMap: this.idMap,
			frameTable,
			samples: this.samples,
		});
	}

	/** --async-aware: keep each frame's address in the samples, to cut a thread's stack at a task's coroutine. */
	get recordAddresses(): boolean {
		return this.walk.recordAddresses;
	}

	set recordAddresses(value: boolean) {
		this.walk.recordAddresses = value;
	}

	/** --blocking: each thread's on-CPU state from just before its threads were stopped. */
	get runningBeforePause(): ReadonlyMap<number, boolean> | undefined {
		return this.statuses.cpu.runningBeforePause;
	}

	set runningBeforePause(value: ReadonlyMap<number, boolean> | undefined) {
		this.statuses.cpu.runningBeforePause = value;
	}

	/** True once the target has an interpreter (a just-started process may not yet). */
	get ready(): boolean {
		return this.interp !== 0;
	}

	/**
	 * Takes one sample of the target. Fills this.samples[0, n) and returns n. Throws
	 * TornReadError for an inconsistent read (count it, go on) and TargetGoneError when the
	 * process is gone.
	 */
	sample(nowMs: number): number {
		if (!this.options.allThreads) {
			return this.sampleOnce(nowMs);
		}

		try {
			return this.sampleOnce(nowMs);
		} catch (error) {
			// The thread list changed under the walk (a thread state freed as we passed it):
			// threads come and go all the time in some programs, so walk it once more at once.
			if (!(error instanceof TornReadError)) {
				throw error;
			}

			this.listRetries++;
			return this.sampleOnce(nowMs);
		}
	}

	private sampleOnce(nowMs: number): number {
		this.codes.now = nowMs;
		const {reads, memory, walk} = this;
		this.words.queue();
		// Main-thread-only sampling: the main thread's speculative reads ride along.
		reads.reset();
		const singleThread = !this.options.allThreads && this.mainTstate !== 0;
		if (singleThread) {
			this.plans.queue(this.mainTstate);
		}

		const batched = this.options.allThreads && this.queueEveryThread();
		memory.flush();
		const shared = this.words.read();
		this.codes.setGeneration(shared.generation);
		if (this.threadIds.tidOffset < 0 && this.target.layout.tstate.nativeThreadId < 0) {
			this.learnThreadIds(shared.threadsHead);
		}

		if (!this.options.allThreads) {
			return this.sampleMainThread(shared, singleThread);
		}

		let count = 0;
		let tstate = shared.threadsHead;
		const seen = this.seenStates;
		seen.clear();
		while (tstate !== 0 && count < maxThreads) {
			if (seen.has(tstate)) {
				throw new TornReadError('thread list loops');
			}

			seen.add(tstate);
			if (!batched) {
				// Each thread read on its own: scratch is reused from thread to thread, so
				// thousands of deep stacks never need it all at once.
				reads.reset();
			}

			try {
				if (walk.walkThread(tstate, count, shared, batched)) {
					count++;
				}
			} catch (error) {
				// A thread torn down as we walked its frames costs only its own record; a thread
				// state that could not be read leaves no next pointer to follow: the sample fails.
				if (!(error instanceof TornReadError) || !walk.threadStateRead) {
					throw error;
				}

				this.plans.forget(tstate);
				this.threadsSkipped++;
			}

			tstate = memory.pointerAt(walk.threadStateAt + this.target.layout.tstate.next);
		}

		// What was kept for thread states and threads no longer listed, once it piles up.
		this.plans.forgetGone(seen);
		this.statuses.cpu.forgetGone(seen.size, () => new Set(this.samples.slice(0, count).map(sample => sample.tid)));
		return count;
	}

	/**
	 * -a: queues last sample's reads of every thread it walked, in its order, to be read with the
	 * interpreter-wide words in a few process_vm_readv calls (1,024 ranges each) instead of one
	 * call per thread: 1,000 threads took 1,002 calls a sample. A read that fails (a thread gone,
	 * its stack unmapped) costs the batch: this sample reads each thread on its own, as before.
	 */
	private queueEveryThread(): boolean {
		const {reads, memory} = this;
		if (this.seenStates.size <= 1) {
			return false;
		}

		try {
			// Queueing flushes by itself every 1,024 ranges: inside the try too.
			for (const tstate of this.seenStates) {
				this.plans.queue(tstate);
			}

			memory.flush();
			return true;
		} catch (error) {
			if (!(error instanceof TornReadError)) {
				throw error;
			}

			this.batchFailures++;
			reads.reset();
			this.words.queue();
			return false;
		}
	}

	/**
	 * The frame id of the interpreter frame at `address` (e.g. a coroutine's embedded frame),
	 * or -1 when it holds no Python code. Call between samples, not during one.
	 */
	frameIdAt(address: number): number {
		return this.walk.frameIdAt(address);
	}

	/** Releases /proc file descriptors. */
	close(): void {
		this.statuses.cpu.close();
	}

	/** `queued`: the main thread's reads came in with the interpreter-wide words. */
	private sampleMainThread(shared: InterpreterSnapshot, queued: boolean): number {
		if (queued && this.walk.walkThread(this.mainTstate, 0, shared, true)) {
			return 1;
		}

		// First sample, or the main thread state moved: find it again.
		this.mainTstate = this.findMainThread(shared.threadsHead, shared.threadsMain);
		if (this.mainTstate === 0) {
			return 0;
		}

		this.reads.reset();
		return this.walk.walkThread(this.mainTstate, 0, shared, false) ? 1 : 0;
	}

	private findMainThread(threadsHead: number, threadsMain: number): number {
		if (threadsMain !== 0) {
			return threadsMain;
		}

		// 3.8–3.13: the main thread is the one whose OS thread id is the process id.
		const {layout} = this.target;
		let tstate = threadsHead;
		for (let index = 0; tstate !== 0 && index < maxThreads; index++) {
			const words = this.memory.read(tstate, layout.tstate.size, regionsStart);
			const next = readPointer(words, layout.tstate.next);
			if (this.tidOf(words) === this.target.pid) {
				return tstate;
			}

			tstate = next;
		}

		return 0;
	}

	/** The OS thread id of a thread state read into `words`; 0 when it cannot be told yet. */
	private tidOf(words: Buffer): number {
		const {layout} = this.target;
		if (layout.tstate.nativeThreadId >= 0) {
			return this.idMap.toHost(readPointer(words, layout.tstate.nativeThreadId));
		}

		const pthread = readPointer(words, layout.tstate.threadId);
		const offset = this.threadIds.tidOffset;
		return pthread === 0 || offset < 0 ? 0 : this.idMap.toHost(this.memory.read(pthread + offset, 4, regionsStart).readInt32LE(0));
	}

	/** 3.8–3.10: learns where struct pthread keeps the TID, from the threads there are (thread-ids.ts). */
	private learnThreadIds(threadsHead: number): void {
		const {layout} = this.target;
		const pthreads: number[] = [];
		let tstate = threadsHead;
		for (let index = 0; tstate !== 0 && index < maxThreads; index++) {
			const words = this.memory.read(tstate, layout.tstate.size, regionsStart);
			const pthread = readPointer(words, layout.tstate.threadId);
			if (pthread !== 0) {
				pthreads.push(pthread);
			}

			tstate = readPointer(words, layout.tstate.next);
		}

		if (this.threadIds.learn(pthreads) < 0 && pthreads.length > 0) {
			throw new TornReadError('no struct pthread field holds the threads\' ids');
		}
	}
}
