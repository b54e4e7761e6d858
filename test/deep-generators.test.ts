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

/**
 * A walk that reads the chain while it unwinds is caught by the last frame it reaches: a
 * generator's. 3.8–3.10's frames carry no owner, so there such a walk cannot be told from a
 * stack (a known limit, in the README's version table): not tested there.
 */
const ownedFrames = (version: string) => !['3.8', '3.9', '3.10'].includes(version);

/**
 * On a quiet machine the target unwinds 200 levels faster than a read crosses them, and a walk
 * torn in some other way than a cut at a suspended generator gets through now and then (in one
 * quiet CI run: 1 of 7,968 samples on 3.13, 6 of 10,061 on 3.14, 35 of 20,405 on 3.12 rooted at
 * the interpreter's trampoline): at most this share of samples, not yet none.
 */
const unrootedAllowed = 0.005;

for (const python of testPythons()) {
	describe(`deep generator stacks on Python ${python.version}`, () => {
		for (const mode of ['gen', 'coro']) {
			test(`${mode === 'gen' ? 'nested generators' : 'nested coroutines'} 200 deep: samples rooted at <module>`, {skip: ownedFrames(python.version) ? false : `Python ${python.version}'s frames carry no owner: a chain read while it unwinds is not detected there`}, async () => {
				const target = await startPython(python, 'deep_generators.py', [mode, '200']);
				running.push(target);
				const stacks = await attachCollapsed(['-r', '20khz', String(target.pid)], 2);
				await target.stop();
				const {unrooted: bad, total, example} = unrooted(stacks);
				assert.ok(total > 200, `enough samples to tell, got ${total}`);
				assert.ok(bad <= total * unrootedAllowed, `${bad} of ${total} samples lost their root, e.g. ${example}`);
				// Read far past any fixed cap (the leaf at full depth: 200 generators under <module>
				// and its driver); a read across all 200 levels that a fast target keeps changing is
				// itself cut, and read again, so the deepest sample may stop a few levels short.
				const deepest = Math.max(...[...stacks.keys()].map(stack => stack.split(';').length - 1));
				assert.ok(deepest >= 150, `the chain is read deep (deepest stack ${deepest} frames)`);
			});
		}
	});
}
