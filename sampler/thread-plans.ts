// What was read for each thread in the last sample, replayed speculatively in the next.
//
// Why: a thread's stack rarely changes much between two samples, so the ranges that held it
// last time (its thread state, the used part of its data-stack chunks, frames living outside
// them) most likely hold it now. They are all queued with the thread state, read in ONE
// process_vm_readv, and the walk then checks every assumption against what it read, fetching
// only what moved.
import type {Layout} from './layouts.js';
import type {Region, SampleReads} from './sample-reads.js';

/** The used part of a data-stack chunk, and how far it could grow. */
export type ChunkRead = {address: number; length: number; capacity: number};

export type ThreadPlan = {
	/** 3.11/3.12: the C-level frame that points at the current frame, else 0. */
	cframe: number;
	chunks: ChunkRead[];
	/** Frames read outside the chunks (entry frames on the C stack, 3.14+'s base frame, every frame object of 3.8–3.10). */
	extras: number[];
	/** 3.8–3.10: the address of the thread's TID in its struct pthread (thread-ids.ts), else 0. */
	tidWord: number;
};

/** How far past the thread state a remembered frame may lie and still be read with it. */
const nearThreadState = 512;
/** A chunk is read a little past where it was used last time: the stack may have grown. */
const chunkSlack = 1024;
/** Frames outside the chunks kept from a torn walk for the next read (a deep generator chain has hundreds). */
const maxExtras = 4096;

/** The chunk holding `address`, if any, newest first (a walk meets them in that order). */
export function chunkOf(address: number, chunks: readonly ChunkRead[]): ChunkRead | undefined {
	for (let index = chunks.length - 1; index >= 0; index--) {
		const chunk = chunks[index]!;
		if (address >= chunk.address && address < chunk.address + chunk.length) {
			return chunk;
		}
	}

	return undefined;
}

export class ThreadPlans {
	private readonly plans = new Map<number, ThreadPlan>();
	private readonly reads: SampleReads;
	private readonly layout: Layout;

	constructor(reads: SampleReads, layout: Layout) {
		this.reads = reads;
		this.layout = layout;
	}

	remember(tstate: number, plan: ThreadPlan): void {
		this.plans.set(tstate, plan);
	}

	/**
	 * After a walk found its chain cut (frame-walk.ts): that walk's reads together with last
	 * sample's frames outside the chunks, so that reading the thread again gets all of them in
	 * one go, as close to one instant as one system call comes.
	 */
	rememberTorn(tstate: number, plan: ThreadPlan): void {
		const extras = new Set(plan.extras);
		for (const extra of this.plans.get(tstate)?.extras ?? []) {
			if (extras.size >= maxExtras) {
				break;
			}

			extras.add(extra);
		}

		this.plans.set(tstate, {...plan, extras: [...extras]});
	}

	/**
	 * The chunk of last sample's plan that holds `address`, if any: a deep stack's older chunks
	 * are replayed too, and a frame found in one belongs to that chunk, not among the extras
	 * (thousands of extras, each its own range, made every lookup of a 10,000-frame walk slow).
	 */
	plannedChunk(tstate: number, address: number): ChunkRead | undefined {
		for (const chunk of this.plans.get(tstate)?.chunks ?? []) {
			if (address >= chunk.address && address < chunk.address + Math.min(chunk.capacity, chunk.length + chunkSlack)) {
				return chunk;
			}
		}

		return undefined;
	}

	/** Forgets a thread state's plan; true if there was one. */
	forget(tstate: number): boolean {
		return this.plans.delete(tstate);
	}

	/**
	 * Drops the plans of thread states no longer listed, once they pile up: a program that starts
	 * thousands of short-lived threads would otherwise keep one per thread ever seen, and replay
	 * gone threads' stale reads.
	 */
	forgetGone(listed: ReadonlySet<number>): void {
		if (this.plans.size > (2 * listed.size) + 64) {
			for (const tstate of this.plans.keys()) {
				if (!listed.has(tstate)) {
					this.plans.delete(tstate);
				}
			}
		}
	}

	/** Queues the thread state and whatever was read for it last time; returns the thread state's region. */
	queue(tstate: number): Region {
		const {reads} = this;
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

		const state = reads.queue(tstate, end - tstate);
		if (!plan) {
			return state;
		}

		if (plan.cframe !== 0) {
			reads.queue(plan.cframe, 16);
		}

		if (plan.tidWord !== 0) {
			reads.queue(plan.tidWord, 4);
		}

		for (const chunk of plan.chunks) {
			reads.queue(chunk.address, Math.min(chunk.capacity, chunk.length + chunkSlack));
		}

		for (const extra of plan.extras) {
			if (extra < tstate || extra + frameSize > end) {
				reads.queue(extra, frameSize);
			}
		}

		return state;
	}
}
