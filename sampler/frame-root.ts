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

/**
 * Whether the chain's outermost frame (`root`, read to scratch at `rootAt`; its caller link is
 * NULL) ends a whole thread stack. `ts`: where the thread state was read to scratch.
 */
export function rootVerdict(layout: Layout, traits: VersionTraits, reads: SampleReads, root: number, rootAt: number, ts: number): RootVerdict {
	const {memory} = reads;
	const whole = (is: boolean): RootVerdict => is ? 'whole' : 'cut';
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

			return memory.pointerAt(rootAt + frame.generator) === 0 ? 'whole' : 'read-again';
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

			const state = reads.fetch(root - layout.gen.iframe + layout.gen.frameState, 1);
			return memory.scratch.readInt8(state) === generatorExecuting ? 'read-again' : 'cut';
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
