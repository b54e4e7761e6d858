// Reads the Python stacks of every sampled thread of a target, once per call to sample().
//
// Cost model: a system call costs ~1 µs here, so the walk is built around doing as few as
// possible. For each thread the reads of the previous sample (thread state, the used part of
// its data-stack chunks, frames that live outside them) are replayed speculatively in ONE
// process_vm_readv; the walk then checks each assumption against what it read and fetches
// only what moved. Code objects are cached by address, (code, instruction) → frame id too.
// Every walk is guarded (frame cap, self-loop, type check): with -a a torn read in one thread's
// frames costs that thread's record, and a torn thread list one more walk; else the sample.
import fs from 'node:fs';
import {FrameTable} from './frame-table.js';
import {locationOf} from './linetable.js';
import {callOpcodes, inlineCaches} from './opcodes.js';
import {ThreadStatus} from '../common/profile-types.js';
import type {SamplerOptions} from './protocol.js';
import {readPointer, RemoteMemory, TornReadError} from './remote-memory.js';
import type {Target} from './target.js';

/** What to read in each sample: the reading part of the sampler's options. */
export type UnwindOptions = Pick<SamplerOptions, 'allThreads' | 'gc' | 'native' | 'opcodes' | 'cpuState' | 'exceptionState'>;

export type ThreadSample = {
	tid: number;
	tstate: number;
	status: number;
	depth: number;
	/** Frame ids, innermost first; only [0, depth) is valid. */
	readonly frames: number[];
	/** With recordAddresses: each frame's remote address (0 for synthetic ones), for --async-aware. */
	addresses?: number[];
};

type CodeInfo = {
	readonly filename: string;
	readonly qualname: string;
	readonly firstLine: number;
	readonly linetable: Buffer;
	readonly bytecode: number;
	/** The pointers the entry was built from, to re-validate it cheaply. */
	readonly signature: string;
	/** 3.11/3.12 --opcodes: instruction index (maybe a cache word) → index of its instruction. */
	instructionStarts?: Map<number, number>;
	/** (instruction index × 256 + opcode + 1) → frame id. */
	readonly frames: Map<number, number>;
	checkedAt: number;
};

/** Where a remote range was copied to in scratch, for this sample. */
type Region = {address: number; length: number; at: number};

/** What was read for a thread last time; replayed speculatively next time. */
type ThreadPlan = {cframe: number; chunks: Array<{address: number; length: number; capacity: number}>; extras: number[]};

function withinChunks(address: number, chunks: ThreadPlan['chunks']): boolean {
	for (const chunk of chunks) {
		if (address >= chunk.address && address < chunk.address + chunk.length) {
			return true;
		}
	}

	return false;
}

export const maxFrames = 4096;
const maxThreads = 4096;
const chunkHeaderSize = 24;
const maxChunkSize = 16 << 20;
const stringPeek = 256;
/** Code-cache entries older than this are re-validated before use (3.11–3.13 have no generation counter). */
const codeRecheckMs = 1000;
const interpWordsAt = 0;
/** Interpreter words this close together are read as one range straight into scratch. */
const interpSpanMax = 2048;
const threadRegionAt = 4096;
/** How far past the thread state a remembered frame may lie and still be read with it. */
const nearThreadState = 512;

/** Scratch offsets of the interpreter-wide words a sample reads (-1: this version has none). */
type WordSlots = {threadsHead: number; gilLocked: number; gilHolder: number; gcCollecting: number; gcFrame: number; generation: number; threadsMain: number};
type WordName = keyof WordSlots;

/**
 * Plans the per-sample reads of the interpreter-wide words once: those inside the interpreter
 * state lie within a few hundred bytes of each other, so one range covers them all and lands
 * where they are read from, with no per-sample sorting, merging or copying. Words elsewhere
 * (the GIL in the runtime or behind a pointer) get their own range.
 */
function planInterpReads(words: Array<{name: WordName; address: number; length: number; inInterp: boolean}>): {reads: Region[]; slots: WordSlots} {
	const slots: WordSlots = {threadsHead: -1, gilLocked: -1, gilHolder: -1, gcCollecting: -1, gcFrame: -1, generation: -1, threadsMain: -1};
	const reads: Region[] = [];
	const near = words.filter(word => word.inInterp);
	const start = Math.min(...near.map(word => word.address));
	const end = Math.max(...near.map(word => word.address + word.length));
	const oneRange = near.length > 0 && end - start <= interpSpanMax;
	if (oneRange) {
		reads.push({address: start, length: end - start, at: interpWordsAt});
	}

	let spare = interpWordsAt + interpSpanMax;
	for (const word of words) {
		if (oneRange && word.inInterp) {
			slots[word.name] = interpWordsAt + (word.address - start);
		} else {
			slots[word.name] = spare;
			reads.push({address: word.address, length: word.length, at: spare});
			spare += 16;
		}
	}

	return {reads, slots};
}

export class Unwinder {
	readonly memory: RemoteMemory;
	readonly samples: ThreadSample[] = [];
	private readonly layout: Target['layout'];
	private readonly interp: number;
	private readonly gilStruct: number;
	/** The reads that fetch the interpreter-wide words each sample, and where each word lands. */
	private readonly interpReads: Region[];
	private readonly wordSlots: WordSlots;
	private readonly codeCache = new Map<number, CodeInfo>();
	private codeGeneration = -1;
	private mainTstate = 0;
	private readonly plans = new Map<number, ThreadPlan>();
	/** The thread states met in this sample's walk of the thread list. */
	private readonly seenStates = new Set<number>();
	/** Set once walkThread has read its thread state (so the list can be followed past it). */
	private threadStateRead = false;
	/** Threads left out of a sample because their frames were torn as they were read. */
	threadsSkipped = 0;
	/** Walks of the thread list done again because it changed under the first. */
	listRetries = 0;
	/** This sample's regions are regions[0, regionCount); the objects are reused from sample to sample. */
	private readonly regions: Region[] = [];
	private regionCount = 0;
	private cursor = threadRegionAt;
	private readonly gcFrame: number;
	private readonly nativeFrame: number;
	/** Per opcode, 1 for the call instructions of the target's version (leaf `<native>`). */
	private readonly callOps: Uint8Array;
	/** 3.11/3.12 with --opcodes: inline cache words per opcode, to step from a cache word back to its instruction. */
	private readonly caches: Uint8Array | undefined;
	private readonly statFiles = new Map<number, number>();
	private readonly statBuffer = Buffer.alloc(512);
	private now = 0;
	// Per-walk scratch, reused: code info, instruction index and pointer, or a fixed frame id.
	private readonly walkCode: Array<CodeInfo | undefined> = [];
	private readonly walkAddrq: number[] = [];
	private readonly walkIp: number[] = [];
	private readonly walkFixed: number[] = [];

	readonly target: Target;
	readonly frameTable: FrameTable;
	readonly options: UnwindOptions;
	constructor(target: Target, frameTable: FrameTable, options: UnwindOptions) {
		this.target = target;
		this.frameTable = frameTable;
		this.options = options;
		this.memory = new RemoteMemory(target.pid, 4 << 20);
		this.layout = target.layout;
		this.gcFrame = frameTable.synthetic('gc', '<GC>');
		this.nativeFrame = frameTable.synthetic('native', '<native>');
		this.callOps = callOpcodes(target.version.text);
		this.caches = options.opcodes && target.version.minor <= 12 ? inlineCaches(target.version.text) : undefined;
		this.interp = this.memory.pointer(target.runtimeAddress + this.layout.runtime.interpretersHead);
		// 3.12 keeps a pointer to the GIL in the interpreter; it does not move once set.
		this.gilStruct = this.layout.interp.gilPointer >= 0 && this.interp !== 0
			? this.memory.pointer(this.interp + this.layout.interp.gilPointer)
			: 0;
		({reads: this.interpReads, slots: this.wordSlots} = planInterpReads(this.interpWords()));
	}

	/** The interpreter-wide words each sample needs, where they live in this version. */
	private interpWords(): Array<{name: WordName; address: number; length: number; inInterp: boolean}> {
		const {layout, interp} = this;
		const words: Array<{name: WordName; address: number; length: number; inInterp: boolean}> = [
			{name: 'threadsHead', address: interp + layout.interp.threadsHead, length: 8, inInterp: true},
		];
		if (layout.interp.gilLocked >= 0 && this.gilStruct === 0) {
			words.push(
				{name: 'gilLocked', address: interp + layout.interp.gilLocked, length: 4, inInterp: true},
				{name: 'gilHolder', address: interp + layout.interp.gilHolder, length: 8, inInterp: true},
			);
		} else if (this.gilStruct === 0) {
			words.push(
				{name: 'gilLocked', address: this.target.runtimeAddress + layout.runtime.gilLocked, length: 4, inInterp: false},
				{name: 'gilHolder', address: this.target.runtimeAddress + layout.runtime.gilHolder, length: 8, inInterp: false},
			);
		} else {
			words.push(
				{name: 'gilLocked', address: this.gilStruct + layout.interp.gilLocked, length: 4, inInterp: false},
				{name: 'gilHolder', address: this.gilStruct + layout.interp.gilHolder, length: 8, inInterp: false},
			);
		}

		words.push({name: 'gcCollecting', address: interp + layout.interp.gc + layout.gc.collecting, length: 4, inInterp: true});
		if (layout.gc.frame >= 0) {
			words.push({name: 'gcFrame', address: interp + layout.interp.gc + layout.gc.frame, length: 8, inInterp: true});
		}

		if (layout.interp.codeObjectGeneration >= 0) {
			words.push({name: 'generation', address: interp + layout.interp.codeObjectGeneration, length: 8, inInterp: true});
		}

		if (layout.interp.threadsMain >= 0) {
			words.push({name: 'threadsMain', address: interp + layout.interp.threadsMain, length: 8, inInterp: true});
		}

		return words;
	}

	/** --async-aware: keep each frame's address in the samples, to cut a thread's stack at a task's coroutine. */
	recordAddresses = false;
	private readonly walkFrameAddress: number[] = [];
	/** --blocking: each thread's on-CPU state from just before its threads were stopped. */
	runningBeforePause: ReadonlyMap<number, boolean> | undefined;

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
		this.now = nowMs;
		const {layout, memory} = this;
		// Interpreter-wide words: thread list head, GIL, GC, code generation, main thread.
		for (const read of this.interpReads) {
			memory.queue(read.address, read.length, read.at);
		}

		// Main-thread-only sampling: the main thread's speculative reads ride along.
		this.regionCount = 0;
		this.cursor = threadRegionAt;
		const singleThread = !this.options.allThreads && this.mainTstate !== 0;
		if (singleThread) {
			this.queueThread(this.mainTstate);
		}

		memory.flush();
		const slots = this.wordSlots;
		const threadsHead = this.memory.pointerAt(slots.threadsHead);
		const gilLocked = this.memory.int32At(slots.gilLocked) > 0;
		const gilHolder = this.memory.pointerAt(slots.gilHolder);
		const gcCollecting = this.memory.int32At(slots.gcCollecting) !== 0;
		const gcFrame = slots.gcFrame >= 0 ? this.memory.pointerAt(slots.gcFrame) : 0;
		if (slots.generation >= 0) {
			const generation = this.memory.pointerAt(slots.generation);
			if (generation !== this.codeGeneration) {
				this.codeCache.clear();
				this.codeGeneration = generation;
			}
		}

		const threadsMain = slots.threadsMain >= 0 ? this.memory.pointerAt(slots.threadsMain) : 0;
		const shared = {gilLocked, gilHolder, gcCollecting, gcFrame, threadsMain};

		if (!this.options.allThreads) {
			if (singleThread) {
				const ok = this.walkThread(this.mainTstate, 0, shared, true);
				if (ok) {
					return 1;
				}
			}

			// First sample, or the main thread state moved: find it again.
			this.mainTstate = this.findMainThread(threadsHead, threadsMain);
			if (this.mainTstate === 0) {
				return 0;
			}

			this.regionCount = 0;
			this.cursor = threadRegionAt;
			return this.walkThread(this.mainTstate, 0, shared, false) ? 1 : 0;
		}

		let count = 0;
		let tstate = threadsHead;
		const seen = this.seenStates;
		seen.clear();
		while (tstate !== 0 && count < maxThreads) {
			if (seen.has(tstate)) {
				throw new TornReadError('thread list loops');
			}

			seen.add(tstate);
			this.regionCount = 0;
			this.cursor = threadRegionAt;
			this.threadStateRead = false;
			try {
				if (this.walkThread(tstate, count, shared, false)) {
					count++;
				}
			} catch (error) {
				// A thread torn down as we walked its frames costs only its own record; a thread
				// state that could not be read leaves no next pointer to follow: the sample fails.
				if (!(error instanceof TornReadError) || !this.threadStateRead) {
					throw error;
				}

				this.plans.delete(tstate);
				this.threadsSkipped++;
			}

			tstate = this.memory.pointerAt(this.regions[0]!.at + layout.tstate.next);
		}

		this.forgetGoneThreads(seen, count);
		return count;
	}

	/**
	 * Drops what was kept for thread states and threads no longer in the list (a program that
	 * starts thousands of short-lived threads would otherwise keep a plan and a /proc file per
	 * thread ever seen, and replay gone threads' stale reads). Only when they have piled up.
	 */
	private forgetGoneThreads(seen: ReadonlySet<number>, count: number): void {
		if (this.plans.size > 2 * seen.size + 64) {
			for (const tstate of this.plans.keys()) {
				if (!seen.has(tstate)) {
					this.plans.delete(tstate);
				}
			}
		}

		if (this.statFiles.size > 2 * seen.size + 64) {
			const live = new Set<number>();
			for (let index = 0; index < count; index++) {
				live.add(this.samples[index]!.tid);
			}

			for (const [tid, fd] of this.statFiles) {
				if (!live.has(tid)) {
					fs.closeSync(fd);
					this.statFiles.delete(tid);
				}
			}
		}
	}

	/** Releases /proc file descriptors. */
	close(): void {
		for (const fd of this.statFiles.values()) {
			fs.closeSync(fd);
		}

		this.statFiles.clear();
	}

	private findMainThread(threadsHead: number, threadsMain: number): number {
		if (threadsMain !== 0) {
			return threadsMain;
		}

		// 3.11–3.13: the main thread is the one whose OS thread id is the process id.
		let tstate = threadsHead;
		for (let index = 0; tstate !== 0 && index < maxThreads; index++) {
			const words = this.memory.read(tstate, this.layout.tstate.size, threadRegionAt);
			if (readPointer(words, this.layout.tstate.nativeThreadId) === this.target.pid) {
				return tstate;
			}

			tstate = readPointer(words, this.layout.tstate.next);
		}

		return 0;
	}

	private allocate(length: number): number {
		const at = this.cursor;
		this.cursor += (length + 15) & ~15;
		if (this.cursor > this.memory.scratch.length) {
			throw new TornReadError('stack too large for one sample');
		}

		return at;
	}

	private queueRegion(address: number, length: number): Region {
		const at = this.allocate(length);
		let region = this.regions[this.regionCount];
		if (region === undefined) {
			region = {address, length, at};
			this.regions.push(region);
		} else {
			region.address = address;
			region.length = length;
			region.at = at;
		}

		this.regionCount++;
		this.memory.queue(address, length, at);
		return region;
	}

	/** Queues the thread state and, speculatively, whatever was read for this thread last time. */
	private queueThread(tstate: number): void {
		const plan = this.plans.get(tstate);
		const frameSize = this.layout.frame.size;
		// A frame that lives just past the thread state (3.14+ keep the base frame there) rides
		// in the thread state's range: one range fewer to queue, merge and copy per sample.
		let end = tstate + this.layout.tstate.size;
		if (plan) {
			for (const extra of plan.extras) {
				if (extra >= tstate && extra < end + nearThreadState) {
					end = Math.max(end, extra + frameSize);
				}
			}
		}

		this.queueRegion(tstate, end - tstate);
		if (!plan) {
			return;
		}

		if (plan.cframe !== 0) {
			this.queueRegion(plan.cframe, 16);
		}

		// Ask for a little more of each chunk than was used last time: the stack may have grown.
		for (const chunk of plan.chunks) {
			this.queueRegion(chunk.address, Math.min(chunk.capacity, chunk.length + 1024));
		}

		for (const extra of plan.extras) {
			if (extra < tstate || extra + frameSize > end) {
				this.queueRegion(extra, frameSize);
			}
		}
	}

	/** The scratch offset holding [address, address + length), if this sample read it. */
	private locate(address: number, length: number): number {
		const {regions, regionCount} = this;
		for (let index = 0; index < regionCount; index++) {
			const region = regions[index]!;
			if (address >= region.address && address + length <= region.address + region.length) {
				return region.at + (address - region.address);
			}
		}

		return -1;
	}

	/** Reads a range now unless this sample already has it; returns its scratch offset. */
	private fetch(address: number, length: number): number {
		const at = this.locate(address, length);
		if (at >= 0) {
			return at;
		}

		if (address <= 0) {
			throw new TornReadError('null pointer in stack');
		}

		const region = this.queueRegion(address, length);
		this.memory.flush();
		return region.at;
	}

	private walkThread(tstate: number, index: number, shared: {gilLocked: boolean; gilHolder: number; gcCollecting: boolean; gcFrame: number; threadsMain: number}, queued: boolean): boolean {
		const {layout, memory} = this;
		const scratch = memory.scratch;
		if (!queued) {
			this.queueThread(tstate);
			try {
				memory.flush();
			} catch (error) {
				// Last sample's reads replayed for this thread state may now fail (its thread has
				// gone and another reuses the address, its old stack chunks unmapped): read the
				// thread state alone, and build the plan afresh.
				if (!(error instanceof TornReadError) || !this.plans.delete(tstate)) {
					throw error;
				}

				this.regionCount = 0;
				this.cursor = threadRegionAt;
				this.queueThread(tstate);
				memory.flush();
			}
		}

		this.threadStateRead = true;

		const ts = this.regions[0]!.at;
		if (this.memory.pointerAt(ts + layout.tstate.interp) !== this.interp) {
			this.plans.delete(tstate);
			if (this.options.allThreads) {
				throw new TornReadError('thread state does not belong to the interpreter');
			}

			return false;
		}

		const tid = this.memory.pointerAt(ts + layout.tstate.nativeThreadId);
		if (tid === 0) {
			// A thread state not yet bound to its OS thread (a thread still starting): no
			// thread runs Python code on it yet, and a "thread 0" would outlive it in every output.
			return false;
		}

		const sample = this.samples[index] ?? (this.samples[index] = {tid: 0, tstate: 0, status: 0, depth: 0, frames: []});
		sample.tid = tid;
		sample.tstate = tstate;
		let status = 0;
		if (shared.threadsMain === 0 ? tid === this.target.pid : shared.threadsMain === tstate) {
			status |= ThreadStatus.mainThread;
		}

		const hasGil = layout.tstate.holdsGil >= 0
			? this.memory.int32At(ts + layout.tstate.holdsGil) !== 0
			: shared.gilLocked && shared.gilHolder === tstate;
		if (hasGil) {
			status |= ThreadStatus.hasGil;
		} else if (layout.tstate.gilRequested >= 0 && this.memory.int32At(ts + layout.tstate.gilRequested) !== 0) {
			status |= ThreadStatus.gilRequested;
		}

		status |= this.options.cpuState ? this.cpuState(tid) : ThreadStatus.unknown;
		if (this.options.exceptionState && this.hasException(ts)) {
			status |= ThreadStatus.hasException;
		}

		// The current frame: directly in 3.13+, through the C-level cframe in 3.11/3.12.
		let cframe = 0;
		let frame: number;
		if (layout.tstate.currentFrame >= 0) {
			frame = this.memory.pointerAt(ts + layout.tstate.currentFrame);
		} else {
			cframe = this.memory.pointerAt(ts + layout.tstate.cframe);
			frame = cframe === 0 ? 0 : this.memory.pointerAt(this.fetch(cframe, 16) + layout.tstate.cframeCurrentFrame);
		}

		// The used part of the current data-stack chunk: [chunk, datastack_top).
		const chunk = this.memory.pointerAt(ts + layout.tstate.datastackChunk);
		const top = this.memory.pointerAt(ts + layout.tstate.datastackTop);
		const chunks: ThreadPlan['chunks'] = [];
		if (chunk !== 0 && top > chunk && top - chunk <= maxChunkSize) {
			const used = top - chunk;
			if (this.locate(chunk, used) < 0) {
				this.queueRegion(chunk, used);
				memory.flush();
			}

			chunks.push({address: chunk, length: used, capacity: this.memory.pointerAt(this.locate(chunk, chunkHeaderSize) + 8)});
		}

		const extras: number[] = [];
		const walkCode = this.walkCode;
		const walkAddrq = this.walkAddrq;
		const walkIp = this.walkIp;
		const walkFixed = this.walkFixed;
		let depth = 0;
		const inGcHere = shared.gcCollecting && (shared.gcFrame === 0 ? hasGil : false);
		if (this.options.gc && inGcHere) {
			walkFixed[depth] = this.gcFrame;
			walkCode[depth++] = undefined;
		}

		let sawGcFrame = false;
		const frameSize = layout.frame.size;
		let steps = 0;
		while (frame !== 0) {
			if (++steps > maxFrames) {
				throw new TornReadError('too many frames (loop in the frame chain?)');
			}

			let at = this.locate(frame, frameSize);
			if (at < 0) {
				at = this.frameFromOlderChunk(frame, chunks) ?? -1;
				if (at < 0) {
					at = this.fetch(frame, frameSize);
					extras.push(frame);
				}
			} else if (!withinChunks(frame, chunks)) {
				// Found in last sample's speculative read of a frame outside the data stack (3.12+
				// entry frames live on the C stack): keep it in the plan, or every other sample refetches it.
				extras.push(frame);
			}

			const previous = this.memory.pointerAt(at + layout.frame.previous);
			if (previous === frame) {
				throw new TornReadError('frame points at itself');
			}

			if (shared.gcFrame !== 0 && frame === shared.gcFrame) {
				sawGcFrame = true;
				if (this.options.gc) {
					walkFixed[depth] = this.gcFrame;
					walkCode[depth++] = undefined;
				}
			}

			let executable = this.memory.pointerAt(at + layout.frame.executable);
			if (layout.frame.taggedExecutable) {
				// Clear _PyStackRef tag bits: they sit in the lowest byte (little-endian), and a
				// double's `% 8` would cost a call to fmod on every frame.
				executable -= scratch[at + layout.frame.executable]! & 7;
			}

			const owner = scratch[at + layout.frame.owner]!;
			const code = executable === 0 || executable === this.target.none || owner >= layout.firstNonPythonOwner
				? undefined
				: this.codeInfo(executable);
			if (code === undefined) {
				// An entry frame: C code called the Python frames above it (at the root too: the
				// interpreter's or thread bootstrap's C code, as 3.15's base frame makes Tachyon show).
				if (this.options.native && depth > 0 && walkFixed[depth - 1] !== this.nativeFrame && walkFixed[depth - 1] !== this.gcFrame) {
					walkFixed[depth] = this.nativeFrame;
					walkCode[depth++] = undefined;
				}
			} else {
				if (depth >= maxFrames) {
					throw new TornReadError('too many frames');
				}

				const ip = this.memory.pointerAt(at + layout.frame.instrPtr);
				walkCode[depth] = code;
				walkIp[depth] = ip;
				walkAddrq[depth] = Math.floor((ip - code.bytecode) / 2);
				this.walkFrameAddress[depth] = frame;
				walkFixed[depth++] = -1;
				// 3.11 has no entry frames; the Python frame entered from C is flagged instead.
				if (this.options.native && layout.frame.isEntry >= 0 && scratch[at + layout.frame.isEntry] !== 0) {
					walkFixed[depth] = this.nativeFrame;
					walkCode[depth++] = undefined;
				}
			}

			frame = previous;
		}

		if (sawGcFrame) {
			status |= ThreadStatus.inGc;
		} else if (inGcHere) {
			status |= ThreadStatus.inGc;
		}

		if (this.options.native && depth > 0 && walkFixed[0] === -1 && this.inCCall(tid, status)) {
			status |= ThreadStatus.onCpu;
			depth = this.pushLeaf(this.nativeFrame, depth);
		}

		sample.status = status;
		this.resolveFrames(sample, depth);
		if (this.recordAddresses) {
			const addresses = sample.addresses ?? (sample.addresses = []);
			for (let index = 0; index < depth; index++) {
				addresses[index] = walkFixed[index] === -1 ? this.walkFrameAddress[index]! : 0;
			}
		}

		this.plans.set(tstate, {cframe, chunks, extras});
		return true;
	}

	/**
	 * The thread runs C code called by its top Python frame: it is on a CPU while that frame
	 * stands on a call instruction (a Python callee would have pushed a frame of its own).
	 */
	private inCCall(tid: number, status: number): boolean {
		const onCpu = (status & ThreadStatus.unknown) === 0 ? (status & ThreadStatus.onCpu) !== 0 : this.cpuState(tid) === ThreadStatus.onCpu;
		const ip = this.walkIp[0]!;
		if (!onCpu || ip <= 0) {
			return false;
		}

		return this.callOps[this.memory.scratch[this.fetch(ip, 2)]!] === 1;
	}

	/** Puts a synthetic frame at the leaf end of the walk; returns the new depth. */
	private pushLeaf(frameId: number, depth: number): number {
		const {walkCode, walkAddrq, walkIp, walkFixed} = this;
		for (let index = depth; index > 0; index--) {
			walkCode[index] = walkCode[index - 1];
			walkAddrq[index] = walkAddrq[index - 1]!;
			walkIp[index] = walkIp[index - 1]!;
			walkFixed[index] = walkFixed[index - 1]!;
			this.walkFrameAddress[index] = this.walkFrameAddress[index - 1]!;
		}

		walkCode[0] = undefined;
		walkFixed[0] = frameId;
		return depth + 1;
	}

	/**
	 * 3.11/3.12 leave a calling frame's prev_instr on the last inline cache word of its call,
	 * whose low byte is data, not an opcode. Decoding the code from its start (cache words
	 * per instruction from the version's table) finds the instruction that word belongs to.
	 */
	private callerOpcode(code: CodeInfo, addrq: number, fallback: number): number {
		const starts = code.instructionStarts ?? (code.instructionStarts = new Map());
		let start = starts.get(addrq);
		if (start === undefined) {
			if (addrq < 0 || addrq > 1 << 20) {
				return fallback;
			}

			const units = this.memory.copy(code.bytecode, (addrq + 1) * 2);
			start = 0;
			for (let unit = 0; unit <= addrq;) {
				start = unit;
				unit += 1 + this.caches![units[unit * 2]!]!;
			}

			starts.set(addrq, start);
		}

		return start === addrq ? fallback : this.memory.copy(code.bytecode + (start * 2), 1)[0]!;
	}

	/**
	 * The frame id of the interpreter frame at `address` (e.g. a coroutine's embedded frame),
	 * or -1 when it holds no Python code. Call between samples, not during one.
	 */
	frameIdAt(address: number): number {
		const {layout, memory} = this;
		this.regionCount = 0;
		this.cursor = threadRegionAt;
		const at = this.fetch(address, layout.frame.size);
		let executable = this.memory.pointerAt(at + layout.frame.executable);
		if (layout.frame.taggedExecutable) {
			executable -= memory.scratch[at + layout.frame.executable]! & 7;
		}

		const owner = memory.scratch[at + layout.frame.owner]!;
		const ip = this.memory.pointerAt(at + layout.frame.instrPtr);
		const code = executable === 0 || executable === this.target.none || owner >= layout.firstNonPythonOwner ? undefined : this.codeInfo(executable);
		if (!code) {
			return -1;
		}

		const addrq = Math.floor((ip - code.bytecode) / 2);
		let id = code.frames.get(addrq * 256);
		if (id === undefined) {
			const location = locationOf(code.linetable, code.firstLine, addrq);
			id = this.frameTable.intern({
				filename: code.filename, funcname: code.qualname, line: location.line, endLine: location.endLine,
				col: location.col, endCol: location.endCol, opcode: -1, kind: 'python', firstLine: code.firstLine,
			});
			code.frames.set(addrq * 256, id);
		}

		return id;
	}

	/** Deep stacks span several chunks: copy older ones (linked by `previous`) on demand. */
	private frameFromOlderChunk(frame: number, chunks: ThreadPlan['chunks']): number | undefined {
		for (let guard = 0; guard < 4096 && chunks.length > 0; guard++) {
			const newest = chunks.at(-1)!;
			const newestAt = this.locate(newest.address, chunkHeaderSize);
			if (newestAt < 0) {
				return undefined;
			}

			const older = this.memory.pointerAt(newestAt);
			if (older === 0) {
				return undefined;
			}

			// An older chunk's saved `top` tells how much of it is in use.
			const headerAt = this.fetch(older, chunkHeaderSize);
			const size = this.memory.pointerAt(headerAt + 8);
			const top = this.memory.pointerAt(headerAt + 16);
			const used = top > older && top - older <= size && size <= maxChunkSize ? top - older : Math.min(size, maxChunkSize);
			if (used <= chunkHeaderSize) {
				return undefined;
			}

			if (this.locate(older, used) < 0) {
				this.queueRegion(older, used);
				this.memory.flush();
			}

			chunks.push({address: older, length: used, capacity: size});
			const at = this.locate(frame, this.layout.frame.size);
			if (at >= 0) {
				return at;
			}
		}

		return undefined;
	}

	/** Reads at least `need` and, where mapped, up to `want` bytes: peeking past an object may cross into an unmapped page. */
	private peek(address: number, need: number, want: number): number {
		try {
			return this.fetch(address, want);
		} catch (error) {
			if (!(error instanceof TornReadError)) {
				throw error;
			}

			return this.fetch(address, need);
		}
	}

	/** Turns the walk's (code, instruction) pairs into interned frame ids, reading opcodes if asked. */
	private resolveFrames(sample: ThreadSample, depth: number): void {
		const {walkCode, walkAddrq, walkIp, walkFixed} = this;
		const frames = sample.frames;
		let opcodeAt = -1;
		if (this.options.opcodes) {
			// One gather read for the instruction words of every Python frame.
			opcodeAt = this.allocate(depth * 2);
			let queued = 0;
			for (let index = 0; index < depth; index++) {
				if (walkFixed[index] === -1 && walkIp[index]! > 0) {
					this.memory.queue(walkIp[index]!, 2, opcodeAt + (index * 2));
					queued++;
				}
			}

			if (queued > 0) {
				this.memory.flush();
			}
		}

		for (let index = 0; index < depth; index++) {
			const fixed = walkFixed[index]!;
			if (fixed !== -1) {
				frames[index] = fixed;
				continue;
			}

			const code = walkCode[index]!;
			let opcode = opcodeAt >= 0 ? this.memory.scratch[opcodeAt + (index * 2)]! : -1;
			if (this.caches && opcode >= 0 && index > 0) {
				opcode = this.callerOpcode(code, walkAddrq[index]!, opcode);
			}

			const key = (walkAddrq[index]! * 256) + opcode + 1;
			let id = code.frames.get(key);
			if (id === undefined) {
				const location = locationOf(code.linetable, code.firstLine, walkAddrq[index]!);
				id = this.frameTable.intern({
					filename: code.filename,
					funcname: code.qualname,
					line: location.line,
					endLine: location.endLine,
					col: location.col,
					endCol: location.endCol,
					opcode,
					kind: 'python',
					firstLine: code.firstLine,
				});
				code.frames.set(key, id);
			}

			frames[index] = id;
		}

		sample.depth = depth;
	}

	private codeInfo(address: number): CodeInfo | undefined {
		const cached = this.codeCache.get(address);
		if (cached && (this.codeGeneration >= 0 || this.now - cached.checkedAt < codeRecheckMs)) {
			return cached;
		}

		const {layout} = this;
		const at = this.fetch(address, layout.code.size);
		const type = this.memory.pointerAt(at + layout.object.type);
		if (this.target.codeType !== 0 && type !== this.target.codeType) {
			return undefined;
		}

		const filenamePointer = this.memory.pointerAt(at + layout.code.filename);
		const qualnamePointer = this.memory.pointerAt(at + layout.code.qualname);
		const linetablePointer = this.memory.pointerAt(at + layout.code.linetable);
		const firstLine = this.memory.int32At(at + layout.code.firstlineno);
		const signature = `${filenamePointer}:${qualnamePointer}:${linetablePointer}:${firstLine}`;
		if (cached && cached.signature === signature) {
			cached.checkedAt = this.now;
			return cached;
		}

		const info: CodeInfo = {
			filename: this.readString(filenamePointer),
			qualname: this.readString(qualnamePointer),
			firstLine,
			linetable: this.readBytes(linetablePointer),
			bytecode: address + layout.code.codeAdaptive,
			signature,
			frames: new Map(),
			checkedAt: this.now,
		};
		this.codeCache.set(address, info);
		return info;
	}

	/** Decodes a remote str (compact ASCII, latin-1, UCS-2 or UCS-4). */
	readString(address: number): string {
		const {layout, memory} = this;
		const header = layout.unicode.compactSize;
		let at = this.peek(address, header, header + stringPeek);
		const scratch = memory.scratch;
		const length = this.memory.pointerAt(at + layout.unicode.length);
		const state = scratch.readUInt32LE(at + layout.unicode.state);
		const kind = (state >> 2) & 7;
		const compact = (state >> 5) & 1;
		const ascii = (state >> 6) & 1;
		if (length > 1_000_000 || (kind !== 1 && kind !== 2 && kind !== 4)) {
			throw new TornReadError('not a str object');
		}

		let dataOffset: number;
		let dataAddress: number;
		if (compact === 0) {
			// A legacy (non-compact) string keeps its characters behind a pointer.
			dataAddress = this.memory.pointerAt(at + header);
			dataOffset = -1;
		} else {
			dataOffset = ascii ? layout.unicode.asciiSize : header;
			dataAddress = address + dataOffset;
		}

		const size = length * (ascii ? 1 : kind);
		if (dataOffset < 0 || this.locate(dataAddress, size) < 0) {
			at = this.fetch(dataAddress, size);
		} else {
			at = this.locate(dataAddress, size);
		}

		const data = scratch.subarray(at, at + size);
		if (ascii || kind === 1) {
			return data.toString('latin1');
		}

		if (kind === 2) {
			return data.toString('utf16le');
		}

		let text = '';
		for (let offset = 0; offset < size; offset += 4) {
			text += String.fromCodePoint(data.readUInt32LE(offset));
		}

		return text;
	}

	/** Copies a remote bytes object's contents. */
	private readBytes(address: number): Buffer {
		const {layout, memory} = this;
		let at = this.peek(address, layout.bytes.data, layout.bytes.data + stringPeek);
		const size = this.memory.pointerAt(at + layout.bytes.size);
		if (size > 16 << 20) {
			throw new TornReadError('not a bytes object');
		}

		if (this.locate(address + layout.bytes.data, size) < 0) {
			at = this.fetch(address + layout.bytes.data, size) - layout.bytes.data;
		}

		return Buffer.from(memory.scratch.subarray(at + layout.bytes.data, at + layout.bytes.data + size));
	}

	/** On-CPU state from /proc/PID/task/TID/stat, kept open and re-read from offset 0. */
	private cpuState(tid: number): number {
		const before = this.runningBeforePause?.get(tid);
		if (before !== undefined) {
			return before ? ThreadStatus.onCpu : 0;
		}

		let fd = this.statFiles.get(tid);
		try {
			if (fd === undefined) {
				fd = fs.openSync(`/proc/${this.target.pid}/task/${tid}/stat`, 'r');
				this.statFiles.set(tid, fd);
			}

			const length = fs.readSync(fd, this.statBuffer, 0, this.statBuffer.length, 0);
			const close = this.statBuffer.lastIndexOf(0x29, length); // ')'
			return close >= 0 && this.statBuffer[close + 2] === 0x52 ? ThreadStatus.onCpu : 0; // 'R'
		} catch {
			if (fd !== undefined) {
				fs.closeSync(fd);
				this.statFiles.delete(tid);
			}

			return ThreadStatus.unknown;
		}
	}

	/** Like sys.exception(): an exception is being raised or handled in this thread. */
	private hasException(ts: number): boolean {
		const {layout} = this;
		if (this.memory.pointerAt(ts + layout.tstate.currentException) !== 0) {
			return true;
		}

		let item = this.memory.pointerAt(ts + layout.tstate.excInfo);
		for (let guard = 0; item !== 0 && guard < 64; guard++) {
			const at = this.fetch(item, 16);
			const value = this.memory.pointerAt(at);
			if (value !== 0 && value !== this.target.none) {
				return true;
			}

			item = this.memory.pointerAt(at + 8);
		}

		return false;
	}
}
