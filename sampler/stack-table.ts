// Interns stacks as a prefix tree: a stack id names (parent stack, frame), root first, so a
// stack costs one small record the first time it is seen and one number afterwards.

import {AddressMap} from './address-map.js';

export class StackTable {
	/** (parent, frame) keys → stack ids: keys pass 2^31, where a Map would box each one. */
	private readonly ids = new AddressMap(0, 12);
	private count = 0;
	private pending: number[] = [];
	// The last stack seen per thread: most consecutive samples repeat it exactly.
	/** The stack interned last, root first: its frames and the id of each prefix. */
	private readonly rootFrames: number[] = [];
	private readonly rootIds: number[] = [];
	private rootDepth = 0;
	private readonly lastFrames = new Map<number, {frames: number[]; depth: number; id: number}>();

	/** The id of the stack whose frames are frames[0, depth), innermost first. */
	intern(tid: number, frames: readonly number[], depth: number): number {
		const last = this.lastFrames.get(tid);
		if (last && last.depth === depth) {
			let same = true;
			for (let index = 0; index < depth; index++) {
				if (last.frames[index] !== frames[index]) {
					same = false;
					break;
				}
			}

			if (same) {
				return last.id;
			}
		}

		// Shared roots: the stack interned last (any thread) often starts like this one, root
		// first (--async-aware all: every task under the same parents; -a: every thread from the
		// same entry frames), and its ids are reused without a lookup.
		let parent = -1;
		let index = depth - 1;
		const {rootFrames, rootIds} = this;
		for (let position = 0; index >= 0 && position < this.rootDepth && rootFrames[position] === frames[index]; position++, index--) {
			parent = rootIds[position]!;
		}

		for (; index >= 0; index--) {
			const frame = frames[index]!;
			// Parent ids stay far below 2^31 and frame ids below 2^22: the key is exact in a double.
			const key = ((parent + 1) * 4_194_304) + frame;
			let id = this.ids.get(key);
			if (id < 0) {
				id = this.count++;
				this.ids.set(key, id);
				this.pending.push(parent, frame);
			}

			parent = id;
			const position = depth - 1 - index;
			rootFrames[position] = frame;
			rootIds[position] = id;
		}

		this.rootDepth = depth;
		const entry = last ?? {frames: [], depth: 0, id: 0};
		entry.frames.length = depth;
		for (let index = 0; index < depth; index++) {
			entry.frames[index] = frames[index]!;
		}

		entry.depth = depth;
		entry.id = parent;
		this.lastFrames.set(tid, entry);
		return parent;
	}

	/** (parent, frame) pairs of the stacks interned since the last call, in id order. */
	takeNew(): Int32Array {
		const fresh = Int32Array.from(this.pending);
		this.pending = [];
		return fresh;
	}
}
