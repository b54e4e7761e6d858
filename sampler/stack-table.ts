// Interns stacks as a prefix tree: a stack id names (parent stack, frame), root first, so a
// stack costs one small record the first time it is seen and one number afterwards.

export class StackTable {
	private readonly ids = new Map<number, number>();
	private count = 0;
	private pending: number[] = [];
	// The last stack seen per thread: most consecutive samples repeat it exactly.
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

		let parent = -1;
		for (let index = depth - 1; index >= 0; index--) {
			const frame = frames[index]!;
			// Parent ids stay far below 2^31 and frame ids below 2^22: the key is exact in a double.
			const key = ((parent + 1) * 4_194_304) + frame;
			let id = this.ids.get(key);
			if (id === undefined) {
				id = this.count++;
				this.ids.set(key, id);
				this.pending.push(parent, frame);
			}

			parent = id;
		}

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
