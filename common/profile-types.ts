// The vocabulary every layer shares: what a frame is, what a thread's status bits mean, which
// modes a profile can be viewed in. The sampler produces these, the model keeps them, the
// exporters and the live view read them.

/** One distinct frame: a source position in a function, or a synthetic marker. */
export type FrameDef = {
	readonly filename: string;
	readonly funcname: string;
	/** Current line of the frame; 0 for synthetic frames, -1 when the instruction has no line. */
	readonly line: number;
	readonly endLine: number;
	/** UTF-8 byte columns, -1 when unknown. */
	readonly col: number;
	readonly endCol: number;
	/** The instruction being executed (with --opcodes), else -1. */
	readonly opcode: number;
	readonly kind: FrameKind;
	/** The function's first line (co_firstlineno), where the sampler read it (not in binary captures). */
	readonly firstLine?: number;
};

export type FrameKind = 'python' | 'gc' | 'native' | 'task';

/** Thread status bits, the same values as Tachyon's (and its binary format's status byte). */
export const ThreadStatus = {
	hasGil: 1,
	onCpu: 2,
	unknown: 4,
	gilRequested: 8,
	hasException: 16,
	mainThread: 32,
	/** Ours: the collector was running in this thread's interpreter when sampled. */
	inGc: 64,
} as const;

/** What a profile counts: all time, time on a CPU, time holding the GIL, time handling an exception. */
export const profilingModes = ['wall', 'cpu', 'gil', 'exception'] as const;
export type ProfilingMode = typeof profilingModes[number];

/**
 * The per-thread state a mode needs read at each sample (a /proc read for the run state, a
 * remote read for the exception), so a capture in another mode pays for neither.
 */
export function stateReadsFor(mode: ProfilingMode): {cpuState: boolean; exceptionState: boolean} {
	return {cpuState: mode === 'cpu', exceptionState: mode === 'exception'};
}

/** How asyncio tasks are shown with --async-aware: only the running ones, or every task. */
export const asyncModes = ['running', 'all'] as const;
export type AsyncMode = typeof asyncModes[number];
