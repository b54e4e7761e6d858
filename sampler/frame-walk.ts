// Walks one thread's Python frames in one sample, leaf to root, into a ThreadSample.
//
// Why a module: this is the hot path. From the thread state it finds the current frame
// (directly, or through 3.11/3.12's C-level cframe), reads the used part of the data-stack
// chunk in one go, follows `previous` through frames that are nearly always already in
// scratch, and inserts the synthetic frames (<GC>, <native>) where they belong. Every step is
// guarded (a loop check, the thread's interpreter, the code object's type), so a torn read costs
// that thread's record (the whole sample without -a), never a wrong stack. A stack deeper than
// maxFrames keeps its innermost frames and ends in a `<truncated at N frames>` marker.
import type {CodeInfo, CodeObjects} from './code-objects.js';
import type {FrameOpcodes} from './frame-opcodes.js';
import type {FrameTable} from './frame-table.js';
import type {InterpreterSnapshot} from './interpreter-words.js';
import {ThreadStatus} from '../common/profile-types.js';
import {thousands} from '../common/thousands.js';
import {rootVerdict, type ChainEnd} from './frame-root.js';
import {TornReadError} from './remote-memory.js';
import type {SampleReads} from './sample-reads.js';
import type {Target} from './target.js';
import type {ThreadIdMap} from './pid-namespace.js';
import type {ThreadIds} from './thread-ids.js';
import {chunkOf, type ChunkRead, type ThreadPlans} from './thread-plans.js';
import type {ThreadStatusReader} from './thread-status.js';
import {maxFrames, type ThreadSample, type UnwindOptions} from './unwind-types.js';

/** A data-stack chunk starts with {previous chunk, size, saved top}. */
const chunkHeaderSize = 24;
const maxChunkSize = 16 << 20;
/** How many older chunks a deep stack may span. */
const maxChunks = 4096;
/** A thread whose chain was read cut (see CutChainError) is read again at once, at most this many times. */
const cutRetries = 3;

/**
 * Generator and coroutine frames live in their generator objects, outside the data stack, and a
 * suspended one forgets its caller. A target recursing through nested generators suspends and
 * resumes every level for each value it yields, so a walk that reads the chain while it unwinds
 * meets a frame with no caller half way down: a torn read, not the root (frame-root.ts says what
 * a thread's outermost frame is), and it must not pass for a stack without its root.
 */
class CutChainError extends TornReadError {
	constructor() {
		super('the frame chain ends short of the thread\'s root (read while it unwound)');
	}
}

/** The parts of the unwinder a walk works with. */
export type WalkParts = {
	readonly target: Target;
	readonly options: UnwindOptions;
	/** The interpreter a thread state must belong to. */
	readonly interp: number;
	readonly reads: SampleReads;
	readonly plans: ThreadPlans;
	readonly codes: CodeObjects;
	readonly opcodes: FrameOpcodes;
	readonly statuses: ThreadStatusReader;
	readonly threadIds: ThreadIds;
	/** Thread ids of a target in a container, translated to ours. */
	readonly idMap: ThreadIdMap;
	readonly frameTable: FrameTable;
	/** Where walked threads go: samples[index] for the index a walk is given. */
	readonly samples: ThreadSample[];
};

export class FrameWalk {
	/** --async-aware: keep each frame's address in the samples, to cut a thread's stack at a task's coroutine. */
	recordAddresses = false;
	/** Set once the last walkThread had its thread state read (so the list can be followed past it). */
	threadStateRead = false;
	/** Where in scratch the last walkThread found its thread state (valid when threadStateRead). */
	threadStateAt = -1;
	/** Reads of a thread repeated because its chain was read cut (CutChainError). */
	chainRetries = 0;
	/** The root the last cut read of a thread ended at, to be confirmed by the next (see rootVerdict). */
	private unconfirmedRoot = 0;
	/** The end of the last walk, for rootVerdict: reused, not made per sample. */
	private readonly chainEnd: ChainEnd = {root: 0, rootAt: -1, ts: -1, cframe: 0, entryFrames: 0};
	private readonly parts: WalkParts;
	private readonly gcFrame: number;
	private readonly nativeFrame: number;
	private readonly truncatedFrame: number;
	// Per-walk scratch, reused: code info, instruction index and pointer, or a fixed frame id.
	private readonly walkCode: Array<CodeInfo | undefined> = [];
	private readonly walkAddrq: number[] = [];
	private readonly walkIp: number[] = [];
	private readonly walkFixed: number[] = [];
	private readonly walkFrameAddress: number[] = [];

	constructor(parts: WalkParts) {
		this.parts = parts;
		this.gcFrame = parts.frameTable.synthetic('gc', '<GC>');
		this.nativeFrame = parts.frameTable.synthetic('native', '<native>');
		this.truncatedFrame = parts.frameTable.synthetic('native', `<truncated at ${thousands(maxFrames)} frames>`);
	}

	/**
	 * Walks the thread whose state is at `tstate` into samples[index]. `queued`: the thread's
	 * reads may already be in this sample's reads (queued with the interpreter-wide words, or
	 * with every thread's under -a); a thread state not found there is read on its own. Returns false for
	 * a thread that has no stack to show (not bound to an OS thread yet, or, sampling the main
	 * thread only, a thread state that moved).
	 */
	walkThread(tstate: number, index: number, shared: InterpreterSnapshot, queued: boolean): boolean {
		this.unconfirmedRoot = 0;
		for (let attempt = 0; ; attempt++) {
			try {
				return this.walkOnce(tstate, index, shared, queued && attempt === 0, attempt === 0 ? 0 : this.unconfirmedRoot);
			} catch (error) {
				// A cut chain: read the thread again at once, its generator frames in one go this time.
				if (!(error instanceof CutChainError) || attempt >= cutRetries) {
					throw error;
				}

				this.chainRetries++;
				this.parts.reads.reset();
			}
		}
	}

	/**
	 * `confirming`: a root (3.8–3.11: a running generator's frame with no caller) that the last
	 * read of this thread ended at, to stand if this read ends at it again; else 0.
	 */
	private walkOnce(tstate: number, index: number, shared: InterpreterSnapshot, queued: boolean, confirming: number): boolean {
		const {target, options, reads, plans, statuses, samples} = this.parts;
		const {layout} = target;
		const {memory} = reads;
		this.threadStateRead = false;
		let ts = queued ? reads.locate(tstate, layout.tstate.size) : -1;
		if (ts < 0) {
			// Not read yet (a thread new since the last sample, or no read was batched): its own read.
			reads.setMark();
			ts = plans.queue(tstate).at;
			try {
				memory.flush();
			} catch (error) {
				// Last sample's reads replayed for this thread state may now fail (its thread has
				// gone and another reuses the address, its old stack chunks unmapped): read the
				// thread state alone, and build the plan afresh.
				if (!(error instanceof TornReadError) || !plans.forget(tstate)) {
					throw error;
				}

				reads.rollback();
				ts = plans.queue(tstate).at;
				memory.flush();
			}
		}

		this.threadStateRead = true;
		this.threadStateAt = ts;
		if (memory.pointerAt(ts + layout.tstate.interp) !== this.parts.interp) {
			plans.forget(tstate);
			if (options.allThreads) {
				throw new TornReadError('thread state does not belong to the interpreter');
			}

			return false;
		}

		const tidWord = layout.tstate.nativeThreadId >= 0 ? 0 : this.tidWord(ts);
		const tid = this.parts.idMap.toHost(layout.tstate.nativeThreadId >= 0
			? memory.pointerAt(ts + layout.tstate.nativeThreadId)
			: (tidWord === 0 ? 0 : memory.int32At(reads.fetch(tidWord, 4))));
		if (tid === 0) {
			// A thread state not yet bound to its OS thread (a thread still starting): no
			// thread runs Python code on it yet, and a "thread 0" would outlive it in every output.
			return false;
		}

		const sample = samples[index] ?? (samples[index] = {tid: 0, tstate: 0, status: 0, depth: 0, frames: []});
		sample.tid = tid;
		sample.tstate = tstate;
		let status = statuses.status(ts, tstate, tid, shared);
		const hasGil = (status & ThreadStatus.hasGil) !== 0;

		// The current frame: directly in 3.13+, through the C-level cframe in 3.11/3.12.
		let cframe = 0;
		let frame: number;
		if (layout.tstate.currentFrame >= 0) {
			frame = memory.pointerAt(ts + layout.tstate.currentFrame);
		} else {
			cframe = memory.pointerAt(ts + layout.tstate.cframe);
			frame = cframe === 0 ? 0 : memory.pointerAt(reads.fetch(cframe, 16) + layout.tstate.cframeCurrentFrame);
		}

		// The used part of the current data-stack chunk: [chunk, datastack_top) (3.11+; older
		// versions' frames are heap objects, each remembered in the plan's extras).
		const chunks: ChunkRead[] = [];
		const chunk = layout.tstate.datastackChunk >= 0 ? memory.pointerAt(ts + layout.tstate.datastackChunk) : 0;
		const top = chunk === 0 ? 0 : memory.pointerAt(ts + layout.tstate.datastackTop);
		if (chunk !== 0 && top > chunk && top - chunk <= maxChunkSize) {
			const used = top - chunk;
			if (reads.locate(chunk, used) < 0) {
				reads.queue(chunk, used);
				memory.flush();
			}

			chunks.push({address: chunk, length: used, capacity: memory.pointerAt(reads.locate(chunk, chunkHeaderSize) + 8)});
		}

		const extras: number[] = [];
		const {walkCode, walkAddrq, walkIp, walkFixed} = this;
		let depth = 0;
		const inGcHere = shared.gcCollecting && (shared.gcFrame === 0 ? hasGil : false);
		if (options.gc && inGcHere) {
			walkFixed[depth] = this.gcFrame;
			walkCode[depth++] = undefined;
		}

		let sawGcFrame = false;
		const frameSize = layout.frame.size;
		// Brent's loop check: a torn chain that comes back to a frame it passed is a loop, at
		// any depth, for one comparison a step and no memory.
		let steps = 0;
		let lap = 1;
		let marker = frame;
		let pythonFrames = 0;
		// The chunk the last frame was in: the next one nearly always is too (a deep stack spans hundreds).
		let lastChunk: ChunkRead | undefined;
		// The last frame visited and where it was read: the root tells a whole chain from a cut one.
		let lastAt = -1;
		let lastFrame = 0;
		/** 3.11: frames entered from C (is_entry) on the chain, one per evaluation below the current one (rootVerdict counts the C-level frames against them). */
		let entryFrames = 0;
		while (frame !== 0) {
			if (++steps === lap) {
				marker = frame;
				lap *= 2;
			} else if (frame === marker) {
				throw new TornReadError('loop in the frame chain');
			}

			if (steps > maxFrames * 4) {
				// Entry and shim frames between Python frames are few; this many is no stack.
				throw new TornReadError('too many frames in the chain');
			}

			let at = reads.locate(frame, frameSize);
			if (at < 0) {
				at = this.frameFromOlderChunk(frame, chunks) ?? -1;
				if (at < 0) {
					at = reads.fetch(frame, frameSize);
					extras.push(frame);
				}
			} else if (lastChunk === undefined || frame < lastChunk.address || frame >= lastChunk.address + lastChunk.length) {
				// Found in last sample's speculative reads: in a chunk of this walk, in an older chunk
				// of a deep stack (kept as a chunk of this walk), or outside the data stack (3.12+
				// entry frames live on the C stack): kept in the plan, or every other sample refetches it.
				lastChunk = chunkOf(frame, chunks);
				if (lastChunk === undefined) {
					lastChunk = plans.plannedChunk(tstate, frame);
					if (lastChunk) {
						chunks.push(lastChunk);
					} else {
						extras.push(frame);
					}
				}
			}

			const previous = memory.pointerAt(at + layout.frame.previous);
			if (previous === frame) {
				throw new TornReadError('frame points at itself');
			}

			lastAt = at;
			lastFrame = frame;
			if (layout.frame.isEntry >= 0 && memory.scratch[at + layout.frame.isEntry] !== 0) {
				entryFrames++;
			}

			if (shared.gcFrame !== 0 && frame === shared.gcFrame) {
				sawGcFrame = true;
				if (options.gc) {
					walkFixed[depth] = this.gcFrame;
					walkCode[depth++] = undefined;
				}
			}

			const code = this.codeOfFrame(at);
			if (code === undefined && layout.frame.owner < 0) {
				// 3.8–3.10: every frame object runs Python code; one that does not was read after it was freed.
				plans.rememberTorn(tstate, {cframe, chunks, extras, tidWord});
				throw new CutChainError();
			}

			if (code === undefined) {
				// An entry frame: C code called the Python frames above it (at the root too: the
				// interpreter's or thread bootstrap's C code, as 3.15's base frame makes Tachyon show).
				if (options.native && depth > 0 && walkFixed[depth - 1] !== this.nativeFrame && walkFixed[depth - 1] !== this.gcFrame) {
					walkFixed[depth] = this.nativeFrame;
					walkCode[depth++] = undefined;
				}
			} else {
				if (pythonFrames === maxFrames) {
					// Deeper than we read: the innermost frames are kept, the marker stands for the rest.
					walkFixed[depth] = this.truncatedFrame;
					walkCode[depth++] = undefined;
					break;
				}

				pythonFrames++;
				let ip: number;
				let addrq: number;
				if (layout.frame.lasti < 0) {
					ip = memory.pointerAt(at + layout.frame.instrPtr);
					addrq = Math.floor((ip - code.bytecode) / 2);
				} else {
					addrq = this.lastiIndex(at);
					ip = addrq >= 0 ? code.bytecode + (addrq * 2) : 0;
				}

				walkCode[depth] = code;
				walkIp[depth] = ip;
				walkAddrq[depth] = addrq;
				this.walkFrameAddress[depth] = frame;
				walkFixed[depth++] = -1;
				// 3.11 has no entry frames; the Python frame entered from C is flagged instead.
				if (options.native && layout.frame.isEntry >= 0 && memory.scratch[at + layout.frame.isEntry] !== 0) {
					walkFixed[depth] = this.nativeFrame;
					walkCode[depth++] = undefined;
				}
			}

			frame = previous;
		}

		const {chainEnd} = this;
		chainEnd.root = lastFrame;
		chainEnd.rootAt = lastAt;
		chainEnd.ts = ts;
		chainEnd.cframe = cframe;
		chainEnd.entryFrames = entryFrames;
		const verdict = frame === 0 && lastAt >= 0 ? rootVerdict(layout, target.traits, reads, chainEnd) : 'whole';
		if (verdict === 'cut' || (verdict === 'read-again' && lastFrame !== confirming)) {
			this.unconfirmedRoot = verdict === 'read-again' ? lastFrame : 0;
			plans.rememberTorn(tstate, {cframe, chunks, extras, tidWord});
			throw new CutChainError();
		}

		// 3.8–3.10 mark no frame as entered from C, but the outermost one always is (by the
		// interpreter's or the thread bootstrap's C code), as 3.11+'s entry frames show.
		if (options.native && depth > 0 && !target.traits.markedEntryFrames && walkFixed[depth - 1] !== this.nativeFrame && walkFixed[depth - 1] !== this.truncatedFrame) {
			walkFixed[depth] = this.nativeFrame;
			walkCode[depth++] = undefined;
		}

		if (sawGcFrame || inGcHere) {
			status |= ThreadStatus.inGc;
		}

		if (options.native && depth > 0 && walkFixed[0] === -1 && this.inCCall(tid, status)) {
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

		plans.remember(tstate, {cframe, chunks, extras, tidWord});
		return true;
	}

	/**
	 * The frame id of the interpreter frame at `address` (e.g. a coroutine's embedded frame),
	 * or -1 when it holds no Python code. Call between samples, not during one.
	 */
	frameIdAt(address: number): number {
		const {reads, target, codes} = this.parts;
		reads.reset();
		const at = reads.fetch(address, target.layout.frame.size);
		const code = this.codeOfFrame(at);
		if (!code) {
			return -1;
		}

		const {frame} = target.layout;
		const addrq = frame.lasti < 0 ? Math.floor((reads.memory.pointerAt(at + frame.instrPtr) - code.bytecode) / 2) : this.lastiIndex(at);
		return codes.frameId(code, addrq, -1);
	}

	/**
	 * 3.8–3.10: the index (in code units) of the instruction a frame object read to scratch at
	 * `at` stands on, from its f_lasti (bytes on 3.8/3.9, code units on 3.10); -1 before the
	 * first instruction.
	 */
	private lastiIndex(at: number): number {
		const {target, reads} = this.parts;
		const lasti = reads.memory.int32At(at + target.layout.frame.lasti);
		return target.traits.lastiInBytes ? lasti >> 1 : lasti;
	}

	/**
	 * 3.8–3.10: where the OS thread id of the thread state read to scratch at `ts` is (in its
	 * struct pthread); 0 while the state is not bound to a thread or the offset is not known yet.
	 */
	private tidWord(ts: number): number {
		const {target, reads, threadIds} = this.parts;
		const pthread = reads.memory.pointerAt(ts + target.layout.tstate.threadId);
		return pthread === 0 || threadIds.tidOffset < 0 ? 0 : pthread + threadIds.tidOffset;
	}

	/**
	 * The code object of the frame read to scratch at `at`; undefined for a frame that runs no
	 * Python code (an entry or shim frame of C code, or not a code object at all).
	 */
	private codeOfFrame(at: number): CodeInfo | undefined {
		const {target, reads, codes} = this.parts;
		const {layout} = target;
		const {memory} = reads;
		let executable = memory.pointerAt(at + layout.frame.executable);
		if (layout.frame.taggedExecutable) {
			// Clear _PyStackRef tag bits: they sit in the lowest byte (little-endian), and a
			// double's `% 8` would cost a call to fmod on every frame.
			executable -= memory.scratch[at + layout.frame.executable]! & 7;
		}

		// Frame objects (3.8–3.10) have no owner: every one is a Python frame.
		const nonPython = layout.frame.owner >= 0 && memory.scratch[at + layout.frame.owner]! >= layout.firstNonPythonOwner;
		return executable === 0 || executable === target.none || nonPython ? undefined : codes.info(executable);
	}

	/**
	 * The thread runs C code called by its top Python frame: it is on a CPU while that frame
	 * stands on a call instruction (a Python callee would have pushed a frame of its own).
	 */
	private inCCall(tid: number, status: number): boolean {
		const onCpu = (status & ThreadStatus.unknown) === 0 ? (status & ThreadStatus.onCpu) !== 0 : this.parts.statuses.cpu.state(tid) === ThreadStatus.onCpu;
		const ip = this.walkIp[0]!;
		if (!onCpu || ip <= 0) {
			return false;
		}

		return this.parts.opcodes.isCall(ip);
	}

	/** Puts a synthetic frame at the leaf end of the walk; returns the new depth. */
	private pushLeaf(frameId: number, depth: number): number {
		const {walkCode, walkAddrq, walkIp, walkFixed, walkFrameAddress} = this;
		for (let index = depth; index > 0; index--) {
			walkCode[index] = walkCode[index - 1];
			walkAddrq[index] = walkAddrq[index - 1]!;
			walkIp[index] = walkIp[index - 1]!;
			walkFixed[index] = walkFixed[index - 1]!;
			walkFrameAddress[index] = walkFrameAddress[index - 1]!;
		}

		walkCode[0] = undefined;
		walkFixed[0] = frameId;
		return depth + 1;
	}

	/** Deep stacks span several chunks: copy older ones (linked by `previous`) on demand. */
	private frameFromOlderChunk(frame: number, chunks: ChunkRead[]): number | undefined {
		const {reads, target} = this.parts;
		const {memory} = reads;
		for (let guard = 0; guard < maxChunks && chunks.length > 0; guard++) {
			const newest = chunks.at(-1)!;
			const newestAt = reads.locate(newest.address, chunkHeaderSize);
			if (newestAt < 0) {
				return undefined;
			}

			const older = memory.pointerAt(newestAt);
			if (older === 0) {
				return undefined;
			}

			// An older chunk's saved `top` tells how much of it is in use.
			const headerAt = reads.fetch(older, chunkHeaderSize);
			const size = memory.pointerAt(headerAt + 8);
			const top = memory.pointerAt(headerAt + 16);
			const used = top > older && top - older <= size && size <= maxChunkSize ? top - older : Math.min(size, maxChunkSize);
			if (used <= chunkHeaderSize) {
				return undefined;
			}

			if (reads.locate(older, used) < 0) {
				reads.queue(older, used);
				memory.flush();
			}

			chunks.push({address: older, length: used, capacity: size});
			const at = reads.locate(frame, target.layout.frame.size);
			if (at >= 0) {
				return at;
			}
		}

		return undefined;
	}

	/** Turns the walk's (code, instruction) pairs into interned frame ids, reading opcodes if asked. */
	private resolveFrames(sample: ThreadSample, depth: number): void {
		const {options, opcodes, codes} = this.parts;
		const {walkCode, walkAddrq, walkIp, walkFixed} = this;
		const frames = sample.frames;
		// One gather read for the instruction words of every Python frame.
		const opcodeAt = options.opcodes ? opcodes.gather(walkIp, walkFixed, depth) : -1;
		for (let index = 0; index < depth; index++) {
			const fixed = walkFixed[index]!;
			if (fixed !== -1) {
				frames[index] = fixed;
				continue;
			}

			const code = walkCode[index]!;
			const addrq = walkAddrq[index]!;
			const opcode = opcodeAt >= 0 ? opcodes.opcodeOf(opcodeAt, index, code, addrq) : -1;
			frames[index] = codes.frameId(code, addrq, opcode);
		}

		sample.depth = depth;
	}
}
