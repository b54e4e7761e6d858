// Tells a whole thread stack from a frame chain read while it unwound.
//
// Why a module: a walk follows `previous` (f_back) links read over several system calls, and a
// frame's link can change between them. A generator or coroutine frame lives in its generator
// object and forgets its caller each time it suspends, so a target that suspends and resumes
// nested generators for every value leaves a walk, now and then, at a frame whose caller link
// was just cleared: a chain that looks ended but is cut. Such a walk must be read again, never
// pass for a stack without its root. What the outermost frame of a whole stack is differs by
// version (VersionTraits.threadRoot); the test here is one check of that frame, read already.
import type {Layout, VersionTraits} from './layouts.js';
import type {SampleReads} from './sample-reads.js';

/** FRAME_OWNED_BY_THREAD: a frame in the thread's data stack (3.11+). */
const ownedByThread = 0;
/** FRAME_OWNED_BY_GENERATOR: a frame embedded in its generator or coroutine (3.11+). */
const ownedByGenerator = 1;
/** 3.11's gi_frame_state of a generator that runs (FRAME_EXECUTING). */
const generatorExecuting = 0;

/**
 * What the outermost frame of a walk says: the stack is whole, the chain was cut, or (3.8–3.10)
 * the root may be either and is whole only if the next read of the thread ends at it again.
 */
export type RootVerdict = 'whole' | 'cut' | 'read-again';

/** The end of a walked chain, as rootVerdict needs it (one per walker, filled again for each walk: nothing allocated per sample). */
export type ChainEnd = {
	/** The outermost frame (its caller link is NULL), read to scratch at `rootAt`. */
	root: number;
	rootAt: number;
	/** Where the thread state was read to scratch. */
	ts: number;
	/** 3.11/3.12: the thread's current C-level frame (tstate->cframe); else 0. */
	cframe: number;
	/** 3.11: how many frames on the chain were entered from C (is_entry). */
	entryFrames: number;
};

const whole = (is: boolean): RootVerdict => is ? 'whole' : 'cut';

/** Whether the chain's outermost frame ends a whole thread stack. */
export function rootVerdict(layout: Layout, traits: VersionTraits, reads: SampleReads, end: ChainEnd): RootVerdict {
	const {root, rootAt, ts} = end;
	const {memory} = reads;
	const {frame} = layout;
	switch (traits.threadRoot) {
		case 'running-frame': {
			// 3.8–3.10: gen_send_ex sets a generator frame's f_back as it resumes and clears it
			// after the frame stopped running; the thread's outermost frame runs as long as the
			// thread does. A root that is not running is a suspended generator's: a cut chain.
			// A generator's frame that runs with no caller is a root only when C code with no
			// Python frame below resumed it, and is more often one read across its resume (f_back
			// read before it was set, f_executing after, the copy preempted between them on a
			// busy machine), so it stands only when the next read ends at it again.
			if (memory.scratch[rootAt + frame.runState] !== frame.running) {
				return 'cut';
			}

			if (memory.pointerAt(rootAt + frame.generator) === 0) {
				return 'whole';
			}

			return stillCallerless(reads, root + frame.previous, () => memory.int8(root + frame.runState) === frame.running);
		}

		case 'entry-flag': {
			// 3.11: the outermost frame was entered from C (is_entry) and lives in the thread's
			// data stack, or is a generator's that C resumed with no Python frame below: that one
			// runs (its generator's gi_frame_state), and, as a suspended one read before its
			// caller link was set looks the same, stands only when the next read ends at it again.
			if (memory.scratch[rootAt + frame.isEntry] === 0) {
				return 'cut';
			}

			const owner = memory.scratch[rootAt + frame.owner];
			if (owner !== ownedByGenerator) {
				return whole(owner === ownedByThread);
			}

			const stateAddress = root - layout.gen.iframe + layout.gen.frameState;
			const verdict = stillCallerless(reads, root + frame.previous, () => memory.int8(stateAddress) === generatorExecuting);
			return verdict === 'read-again' && firstEvaluation(layout, reads, end) ? 'read-again' : 'cut';
		}

		case 'c-stack': {
			// 3.12–3.14: every evaluation starts with an entry frame on the C stack, owned by it
			// (FRAME_OWNED_BY_CSTACK, 3.14 FRAME_OWNED_BY_INTERPRETER); a Python frame with no
			// caller was read after its caller link was cleared.
			return whole(memory.scratch[rootAt + frame.owner]! >= layout.firstNonPythonOwner);
		}

		case 'base-frame': {
			// 3.15: every thread state has a base frame below all others (as Tachyon checks:
			// "did not reach base frame").
			return whole(root === memory.pointerAt(ts + layout.tstate.baseFrame));
		}
	}
}

/**
 * A generator frame read with no caller link: 'read-again' if, read afresh, it still has no
 * caller, runs, and still has no caller; else 'cut'. A resume sets the caller link before it
 * marks the frame running, and a suspension marks it suspended before it clears the link, so
 * a frame merely read across a suspension or a resume (the two words copied at different
 * moments, in either order when a retry reads the whole chain in one go) fails one of the
 * three fresh reads unless it completes a whole resume and suspension between two of them.
 * What passes still stands only if the next read of the thread ends at it again (frame-walk).
 */
function stillCallerless(reads: SampleReads, callerLink: number, runs: () => boolean): RootVerdict {
	const {memory} = reads;
	return memory.pointer(callerLink) === 0 && runs() && memory.pointer(callerLink) === 0 ? 'read-again' : 'cut';
}

/** C-level frames followed at most, past the chain's entry frames, before the chain counts as cut. */
const maxExtraCFrames = 1;

/**
 * 3.11: whether the chain's entry frames are all the thread's evaluations, so its root is that
 * of the thread's first one. Each evaluation pushes a C-level frame linked to the one below,
 * down to the thread state's root cframe (whose link is NULL): a whole chain has exactly one
 * C-level frame more than entry frames; a chain cut below an entry frame has fewer entry frames.
 */
function firstEvaluation(layout: Layout, reads: SampleReads, end: ChainEnd): boolean {
	const link = layout.tstate.cframePrevious;
	if (link < 0 || end.cframe === 0) {
		return true; // Nothing to count against: the confirming read decides alone.
	}

	let cframe = end.cframe;
	let count = 0;
	while (cframe !== 0 && count <= end.entryFrames + maxExtraCFrames) {
		cframe = reads.memory.pointer(cframe + link);
		count++;
	}

	return cframe === 0 && count === end.entryFrames + 1;
}
