// Which instructions the samples were executing (--opcodes): per opcode, the samples whose
// innermost Python frame stood on it. Shared by pstats, the live view and the heatmap.
import type {Profile, View} from './model.js';

export type OpcodeCount = {readonly opcode: number; samples: number};

/** The innermost Python frame of a stack (synthetic <GC>/<native> leaves are skipped), or -1. */
export function leafPythonFrame(profile: Profile, stack: number): number {
	for (let node = stack; node >= 0; node = profile.stackParentOf(node)) {
		const frame = profile.stackFrameOf(node);
		if (profile.frames[frame]?.kind === 'python') {
			return frame;
		}
	}

	return -1;
}

/**
 * Opcode counts over a view, most samples first. `keep` narrows them to leaf frames of
 * interest (one function, one line) by frame id.
 */
export function opcodeCounts(profile: Profile, view: View = {}, keep?: (frameId: number) => boolean): OpcodeCount[] {
	const counts = new Map<number, OpcodeCount>();
	const leafOf = new Map<number, number>();
	for (const cell of profile.select(view)) {
		let frameId = leafOf.get(cell.stack);
		if (frameId === undefined) {
			frameId = leafPythonFrame(profile, cell.stack);
			leafOf.set(cell.stack, frameId);
		}

		const opcode = frameId >= 0 ? profile.frames[frameId]!.opcode : -1;
		if (opcode < 0 || (keep && !keep(frameId))) {
			continue;
		}

		const entry = counts.get(opcode) ?? {opcode, samples: 0};
		entry.samples += cell.count;
		counts.set(opcode, entry);
	}

	return [...counts.values()].sort((a, b) => b.samples - a.samples || a.opcode - b.opcode);
}
