// Merges a thread's native stack with its Python stack, as py-spy does: each native frame of
// the interpreter's eval function is replaced by the Python frames that call ran, in order.
//
// Since 3.11 one C eval call runs several Python frames (Python-to-Python calls stay in the
// loop) until the frame it was entered with; the Python walk marks where each call's frames
// end (the <native> marker: `is_entry` on 3.11, the C-stack-owned shim frame on 3.12+). Which
// native frame is which call is told by an address that lives in that call's C stack frame
// (the anchor: its _PyCFrame on 3.11, its shim frame on 3.12+): the native frame whose
// [sp, CFA) holds it. Where no anchor is known, eval frames are matched by symbol, in order.
import type {NativeFrameInfo} from './native-frames.js';

/** A group of Python frames run by one eval call: python[start, end), innermost first. */
export type PythonGroup = {start: number; end: number};

/**
 * Splits a Python stack (innermost first, `marker` ids between the eval calls' frames) into
 * groups, innermost first. A marker at index 0 is the leaf "in C code" marker, not a boundary.
 */
export function splitGroups(frames: readonly number[], depth: number, marker: number, into: PythonGroup[]): number {
	let count = 0;
	let start = 0;
	const close = (end: number) => {
		if (end > start) {
			const group = into[count] ?? (into[count] = {start: 0, end: 0});
			group.start = start;
			group.end = end;
			count++;
		}
	};

	for (let index = 0; index < depth; index++) {
		if (frames[index] === marker) {
			close(index);
			start = index + 1;
		}
	}

	close(depth);
	return count;
}

/**
 * 3.8–3.10 run every Python frame in its own eval call and mark none: each Python frame
 * (leaving out `marker`s: the root's and the leaf's) is a group of its own.
 */
export function splitEachFrame(frames: readonly number[], depth: number, marker: number, into: PythonGroup[]): number {
	let count = 0;
	for (let index = 0; index < depth; index++) {
		if (frames[index] !== marker) {
			const group = into[count] ?? (into[count] = {start: 0, end: 0});
			group.start = index;
			group.end = index + 1;
			count++;
		}
	}

	return count;
}

export type NativeStackView = {
	readonly count: number;
	readonly sps: Float64Array;
	readonly cfas: Float64Array;
	readonly infos: readonly NativeFrameInfo[];
};

/**
 * Writes the merged stack (innermost first) into `out`; returns its depth. `anchors[g]` is the
 * C-stack address of group g's eval call, or 0 when unknown. Python frames whose eval frame was
 * not found keep their place relative to the others: before the next placed group, or at the
 * root end when the native walk stopped short.
 */
export function mergeStacks(python: readonly number[], groups: readonly PythonGroup[], groupCount: number, anchors: readonly number[], native: NativeStackView, showInternal: boolean, out: number[], evalOf: Int32Array): number {
	const {count, sps, cfas, infos} = native;
	evalOf.fill(-1, 0, count);
	// 1. Anchors: the frame whose own stack holds the call's C-stack address.
	const placed = new Int32Array(groupCount).fill(-1);
	let searchFrom = 0;
	for (let group = 0; group < groupCount; group++) {
		const anchor = anchors[group] ?? 0;
		if (anchor === 0) {
			continue;
		}

		for (let frame = searchFrom; frame < count; frame++) {
			if (anchor >= sps[frame]! && anchor < cfas[frame]!) {
				if (evalOf[frame] === -1) {
					evalOf[frame] = group;
					placed[group] = frame;
					searchFrom = frame + 1;
				}

				break;
			}
		}
	}

	// 2. Groups left over: the eval frames by symbol, in order, between the placed neighbours.
	let lowest = 0;
	for (let group = 0; group < groupCount; group++) {
		if (placed[group] !== -1) {
			lowest = placed[group]! + 1;
			continue;
		}

		let limit = count;
		for (let later = group + 1; later < groupCount; later++) {
			if (placed[later] !== -1) {
				limit = placed[later]!;
				break;
			}
		}

		for (let frame = lowest; frame < limit; frame++) {
			if (evalOf[frame] === -1 && infos[frame]!.evalFunction) {
				evalOf[frame] = group;
				placed[group] = frame;
				lowest = frame + 1;
				break;
			}
		}
	}

	// 3. Emit, innermost first. By default the interpreter's and libc's frames below the
	// outermost Python frame (process and thread start-up) are left out.
	let rootStart = count;
	if (!showInternal) {
		while (rootStart > 0 && evalOf[rootStart - 1] === -1 && infos[rootStart - 1]!.startUp) {
			rootStart--;
		}

		if (rootStart === 0 && groupCount === 0) {
			rootStart = count; // No Python frame at all: keep the whole native stack.
		}
	}

	let depth = 0;
	let nextGroup = 0;
	const emitGroupsThrough = (last: number) => {
		for (; nextGroup <= last; nextGroup++) {
			const {start, end} = groups[nextGroup]!;
			for (let index = start; index < end; index++) {
				out[depth++] = python[index]!;
			}
		}
	};

	for (let frame = 0; frame < rootStart; frame++) {
		const group = evalOf[frame]!;
		if (group >= 0) {
			emitGroupsThrough(group);
			continue;
		}

		const info = infos[frame]!;
		if (showInternal || (!info.internal && !info.evalFunction)) {
			out[depth++] = info.id;
		}
	}

	emitGroupsThrough(groupCount - 1);
	return depth;
}
