// Generator and coroutine frames live in their generator objects, outside the thread's data
// stack, and a suspended generator's frame forgets its caller. A target recursing through nested
// generators suspends and resumes every level for each value, so a walk that reads the chain
// while it unwinds meets a frame with no caller half way down. Such a walk must not pass for a
// stack: every sample of these workloads starts at <module>, on every version.
import assert from 'node:assert/strict';
import {after, describe, test} from 'node:test';
import {attachCollapsed, startPython, testPythons, type PythonProcess} from './helpers.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

/** Samples whose outermost frame is not the script's <module>, and all samples. */
function unrooted(stacks: Map<string, number>): {unrooted: number; total: number; example: string} {
	let total = 0;
	let bad = 0;
	let example = '';
	for (const [stack, count] of stacks) {
		total += count;
		const outermost = stack.split(';')[1] ?? '';
		if (!outermost.startsWith('deep_generators.py:<module>:')) {
			bad += count;
			example ||= `${stack.split(';').slice(0, 4).join(';')}… ${count}`;
		}
	}

	return {unrooted: bad, total, example};
}

/** The generator levels (200 down to 0), the driver and <module>. */
const fullDepth = 203;
/** Captures of 2 seconds to reach full depth in, on a busy machine. */
const captures = 5;

for (const python of testPythons()) {
	describe(`deep generator stacks on Python ${python.version}`, () => {
		for (const mode of ['gen', 'coro']) {
			test(`${mode === 'gen' ? 'nested generators' : 'nested coroutines'} 200 deep: samples rooted at <module>`, async () => {
				const target = await startPython(python, 'deep_generators.py', [mode, '200']);
				running.push(target);
				// Read far past any fixed cap: the leaf at full depth, 201 levels (200 down to 0)
				// under the driver and <module>. On a loaded machine a 2-second capture may hold
				// few samples and every full-depth read torn (and read again, then dropped), so
				// capture again until one reaches it, at most `captures` times; no sample of any
				// capture may lose its root.
				let deepest = 0;
				let total = 0;
				for (let capture = 0; capture < captures && deepest < fullDepth; capture++) {
					const stacks = await attachCollapsed(['-r', '20khz', String(target.pid)], 2);
					const found = unrooted(stacks);
					total += found.total;
					assert.equal(found.unrooted, 0, `${found.unrooted} of ${found.total} samples lost their root, e.g. ${found.example}`);
					deepest = Math.max(deepest, ...[...stacks.keys()].map(stack => stack.split(';').length - 1));
				}

				await target.stop();
				assert.ok(total > 200, `enough samples to tell, got ${total}`);
				assert.ok(deepest >= fullDepth, `the chain is read at full depth (deepest stack ${deepest} frames of ${fullDepth})`);
			});
		}
	});
}

for (const python of testPythons()) {
	test(`Python ${python.version}: a generator that C resumes with no Python frame below is a thread's root, its samples kept`, async () => {
		const target = await startPython(python, 'c_driven_generator.py');
		running.push(target);
		const stacks = await attachCollapsed(['-a', '-r', '2khz', String(target.pid)], 2);
		await target.stop();
		let generatorRooted = 0;
		let sleeping = 0;
		for (const [stack, count] of stacks) {
			const outermost = stack.split(';')[1] ?? '';
			if (outermost.startsWith('c_driven_generator.py:produce:')) {
				generatorRooted += count;
			} else if (outermost.startsWith('c_driven_generator.py:<module>:')) {
				sleeping += count;
			}
		}

		// Both threads are sampled alike; a root taken for a cut chain would drop every sample of the generator's thread.
		assert.ok(sleeping > 200, `the main thread sampled: ${sleeping}`);
		assert.ok(generatorRooted > sleeping / 2, `the generator's thread sampled: ${generatorRooted} samples rooted at produce, ${sleeping} at <module>`);
	});
}
