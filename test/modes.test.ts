// --mode cpu / gil / exception against real threads of every installed CPython, and Tachyon
// (python3.15 -m profiling.sampling) on the same workload keeping the same threads.
import assert from 'node:assert/strict';
import {after, describe, test} from 'node:test';
import {python, runCli, shareOf, startPython, testPythons, type PythonProcess, attachCollapsed as collapsed, tachyonCollapsed} from './helpers.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

function keepsSpinnersOnly(stacks: Map<string, number>, what: string): void {
	const text = [...stacks].map(([stack, count]) => `${stack} ${count}`).join('\n');
	assert.ok(shareOf(stacks, 'threads.py:spin_one:') > 25, `${what}: spin_one kept\n${text}`);
	assert.ok(shareOf(stacks, 'threads.py:spin_two:') > 25, `${what}: spin_two kept\n${text}`);
	// The sleepers wake now and then; on a loaded machine a woken thread stays runnable
	// (state R) while it queues for a CPU and the GIL, so a few samples may catch it.
	assert.ok(shareOf(stacks, 'threads.py:sleeper:') < 10, `${what}: the sleeper is dropped\n${text}`);
	assert.ok(shareOf(stacks, 'threads.py:<module>:') < 10, `${what}: the sleeping main thread is dropped\n${text}`);
}

for (const py of testPythons()) {
	describe(`modes on Python ${py.version}`, () => {
		test('wall keeps every thread; gil and cpu keep the two spinning ones', async () => {
			const target = await startPython(py, 'threads.py');
			running.push(target);
			const wall = await collapsed(['-a', String(target.pid)]);
			for (const name of ['spin_one', 'spin_two', 'sleeper', '<module>']) {
				assert.ok(shareOf(wall, `threads.py:${name}:`) > 15, `wall has ${name}`);
			}

			keepsSpinnersOnly(await collapsed(['-a', '--mode', 'gil', String(target.pid)]), 'gil');
			keepsSpinnersOnly(await collapsed(['-a', '--mode', 'cpu', String(target.pid)]), 'cpu');
			if (py.version === '3.15') {
				keepsSpinnersOnly(await tachyonCollapsed(py.path, ['-a', '--mode', 'gil', String(target.pid)]), 'Tachyon gil');
			}

			await target.stop();
		});

		test('exception keeps the function that raises, not the one that does not', async () => {
			const target = await startPython(py, 'exceptions.py');
			running.push(target);
			const stacks = await collapsed(['-a', '--mode', 'exception', String(target.pid)]);
			const text = [...stacks.keys()].join('\n');
			assert.ok(shareOf(stacks, 'exceptions.py:with_exceptions:') > 95, text);
			assert.equal(shareOf(stacks, 'exceptions.py:without_exceptions:'), 0, text);
			if (py.version === '3.15') {
				const tachyon = await tachyonCollapsed(py.path, ['-a', '--mode', 'exception', String(target.pid)]);
				assert.ok(shareOf(tachyon, 'exceptions.py:with_exceptions:') > 95, 'Tachyon agrees');
				assert.equal(shareOf(tachyon, 'exceptions.py:without_exceptions:'), 0);
			}

			await target.stop();
		});
	});
}

describe('mode errors', () => {
	test('an unknown mode is one line on stderr', async () => {
		const py = python('3.11') ?? testPythons()[0]!;
		const {code, stderr} = await runCli(['run', '--mode', 'bogus', '--python', py.path, 'x.py']);
		assert.notEqual(code, 0);
		assert.match(stderr, /mode/);
		assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
	});
});
