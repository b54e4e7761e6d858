// Stack interning (sampler/stack-table.ts): whatever order stacks come in, from whichever
// thread, each id names exactly its stack, rebuilt from the (parent, frame) pairs sent.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {StackTable} from '../../sampler/stack-table.js';

test('every stack id rebuilds its own stack, with shared roots and repeats across threads', () => {
	const table = new StackTable();
	const parents: number[] = [];
	const frames: number[] = [];
	const rebuild = (id: number): number[] => {
		const stack: number[] = [];
		for (let at = id; at >= 0; at = parents[at]!) {
			stack.push(frames[at]!);
		}

		return stack;
	};

	// A seeded generator, so a failure repeats: stacks share roots, repeat, and frame ids reach 2^22 - 1.
	let seed = 12_345;
	const random = (below: number) => {
		seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
		return seed % below;
	};

	const byStack = new Map<string, number>();
	const roots = [[1, 2, 3], [1, 2, 4], [9], [4_194_303, 7]];
	for (let index = 0; index < 20_000; index++) {
		const root = roots[random(roots.length)]!;
		const leaf = Array.from({length: random(6)}, () => random(3) === 0 ? 4_194_303 : random(50));
		const stack = [...leaf, ...root.toReversed()];
		const id = table.intern(random(4), stack, stack.length);
		const fresh = table.takeNew();
		for (let pair = 0; pair < fresh.length; pair += 2) {
			parents.push(fresh[pair]!);
			frames.push(fresh[pair + 1]!);
		}

		assert.deepEqual(rebuild(id), stack, `stack ${index}`);
		const key = stack.join(',');
		assert.equal(byStack.get(key) ?? id, id, `stack ${index} was interned before under another id`);
		byStack.set(key, id);
	}

	assert.equal(new Set(byStack.values()).size, byStack.size);
});
