// <GC> frames while the collector runs (gone with --no-gc) and <native> frames where C code
// runs between or under Python frames (--native), on every installed CPython.
import assert from 'node:assert/strict';
import {after, describe, test} from 'node:test';
import {minorOf, namesOn, runCli, shareOf, startPython, testPythons, type PythonProcess, attachCollapsed as collapsed, tachyonCollapsed} from './helpers.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

const dumpStacks = (stacks: Map<string, number>) => [...stacks].map(([stack, count]) => `${stack} ${count}`).join('\n');

for (const py of testPythons()) {
	describe(`<GC> and <native> on Python ${py.version}`, () => {
		test('<GC> on top of the allocating frame while collecting; none with --no-gc or without garbage', async () => {
			const target = await startPython(py, 'gc_heavy.py');
			running.push(target);
			const stacks = await collapsed([String(target.pid)]);
			const gcShare = shareOf(stacks, '<GC>');
			assert.ok(gcShare > 10, `the collector shows: ${gcShare}%\n${dumpStacks(stacks)}`);
			// <GC> is the leaf: nothing runs Python code during these collections. The sampler
			// reads the collector's state and the stack at two instants a few µs apart, so a
			// collection that ends in between can leave a stray <GC> inside a stack, rarely.
			let atLeaf = 0;
			let anywhere = 0;
			for (const [stack, count] of stacks) {
				if (stack.includes('<GC>')) {
					anywhere += count;
					atLeaf += stack.endsWith('<GC>') ? count : 0;
				}
			}

			assert.ok(atLeaf >= anywhere * 0.95, `<GC> is the leaf: ${atLeaf} of ${anywhere}\n${dumpStacks(stacks)}`);
			assert.ok(shareOf(stacks, 'gc_heavy.py:make_cycles:') > 50);
			const without = await collapsed(['--no-gc', String(target.pid)]);
			assert.equal(shareOf(without, '<GC>'), 0);
			assert.ok(shareOf(without, 'gc_heavy.py:make_cycles:') > 50);
			if (py.version === '3.15') {
				const tachyon = shareOf(await tachyonCollapsed(py.path, [String(target.pid)]), '<GC>');
				assert.ok(Math.abs(tachyon - gcShare) < 30, `Tachyon sees a like share of GC: ${tachyon}% vs ${gcShare}%`);
			}

			await target.stop();
			// The collecting flag must fall again: a workload without garbage shows no <GC>.
			const calm = await startPython(py, 'threads.py');
			running.push(calm);
			assert.equal(shareOf(await collapsed(['-a', String(calm.pid)]), '<GC>'), 0);
			await calm.stop();
		});

		test('--native marks C called from Python and Python called back from C', async () => {
			const target = await startPython(py, 'native_calls.py');
			running.push(target);
			const stacks = await collapsed(['--native', String(target.pid)]);
			const text = dumpStacks(stacks);
			// hashlib and json run in C under their Python callers.
			assert.ok(shareOf(stacks, 'native_calls.py:hash_it:10;<native>') > 5, text);
			assert.ok(shareOf(stacks, namesOn(py, 'encoder.py:JSONEncoder.iterencode:')) > 5, text);
			// The interpreter's C entry is the root of every stack.
			// (A rare sample caught mid-call is torn: no frames, or a chain cut short.)
			let total = 0;
			let rooted = 0;
			for (const [stack, count] of stacks) {
				total += count;
				rooted += /^tid:\d+;<native>;/.test(stack) ? count : 0;
			}

			assert.ok(rooted / total > 0.97, text);
			const plain = await collapsed([String(target.pid)]);
			assert.equal(shareOf(plain, '<native>'), 0, 'no <native> without --native');
			await target.stop();
		});

		test('--native: sorted() calling a key function, and thread bootstrap', async () => {
			const target = await startPython(py, 'native_calls.py');
			running.push(target);
			// 4 s: sort_with_key is a short part of each round, and a loaded machine samples in bursts.
			const stacks = await collapsed(['--native', '-r', '5khz', String(target.pid)], 4);
			if (minorOf(py) >= 11) {
				assert.ok(shareOf(stacks, 'native_calls.py:sort_with_key:22;<native>;native_calls.py:key_of:18') > 0, dumpStacks(stacks));
			} else {
				// 3.8–3.10 do not mark frames entered from C: the key function shows right above
				// its caller, and one line says why.
				assert.ok(shareOf(stacks, 'native_calls.py:sort_with_key:22;native_calls.py:key_of:18') > 0, dumpStacks(stacks));
				const dump = await runCli(['dump', '--native', String(target.pid)]);
				assert.match(dump.stderr, new RegExp(`^tachyon-top: Python ${py.version} does not mark frames entered from C: --native shows <native> at the root and the leaf of each stack, and between Python frames only on 3\\.11\\+\n$`));
			}

			await target.stop();
			const threads = await startPython(py, 'threads.py');
			running.push(threads);
			const threadStacks = await collapsed(['--native', '-a', String(threads.pid)]);
			assert.ok(shareOf(threadStacks, namesOn(py, ';<native>;threading.py:Thread._bootstrap:')) > 50, dumpStacks(threadStacks));
			if (py.version === '3.15') {
				const tachyon = await tachyonCollapsed(py.path, ['--native', '-a', String(threads.pid)]);
				// Tachyon marks C between Python frames the same way (it adds no leaf <native>).
				for (const stack of ['<native>;threading.py:Thread._bootstrap:', 'Thread._bootstrap_inner:1219;<native>;threading.py:Thread.run:']) {
					assert.ok(shareOf(tachyon, stack) > 50, `Tachyon: ${stack}`);
					assert.ok(shareOf(threadStacks, stack) > 50, `ours: ${stack}`);
				}
			}

			await threads.stop();
		});
	});
}
