// The shapes the unwinder's parts and its users share: what a sample reads, and what it gives.
import type {SamplerOptions} from './protocol.js';

/** What to read in each sample: the reading part of the sampler's options. */
export type UnwindOptions = Pick<SamplerOptions, 'allThreads' | 'gc' | 'native' | 'opcodes' | 'cpuState' | 'exceptionState'>;

/** One thread's stack in one sample. The objects are reused from sample to sample. */
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

/**
 * The most Python frames a stack is read with: a deeper one (a real program may recurse this far)
 * keeps its innermost maxFrames frames and a `<truncated at N frames>` marker at its root end. A
 * loop in a torn frame chain is found as a loop, not by depth.
 */
export const maxFrames = 100_000;
