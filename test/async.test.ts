// --async-aware: each asyncio task's await chain (<task> frames) on 3.14+, as Tachyon shows
// it; a clear error on the versions that keep no task lists.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {parseCollapsed, python, runCli, shareOf, startPython, tempDir, testPythons, type PythonProcess, attachCollapsed} from './helpers.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

const collapsed = async (args: string[]) => attachCollapsed(['--async-aware', ...args]);

/** The chain of task names of each stack, root first: what must agree with Tachyon. */
function taskChains(stacks: Map<string, number>): Set<string> {
	return new Set([...stacks.keys()].map(stack => stack.split(';').filter(frame => frame.startsWith('<task>:')).join(' > ')));
}

/** Root of every task stack: main's task, main, the supervisor task and its TaskGroup. */
const rootChain = '<task>:Task-1:0;async_tasks.py:main:38;<task>:supervisor:0;async_tasks.py:supervisor:29;taskgroups.py:TaskGroup.__aexit__:';

for (const py of testPythons().filter(candidate => ['3.14', '3.15'].includes(candidate.version))) {
	describe(`--async-aware on Python ${py.version}`, () => {
		test('running: the two busy tasks through supervisor and main; all: the sleeper too', async () => {
			const target = await startPython(py, 'async_tasks.py');
			running.push(target);
			const runningStacks = await collapsed(['--async-mode', 'running', String(target.pid)]);
			const text = [...runningStacks.keys()].join('\n');
			assert.ok(shareOf(runningStacks, rootChain) > 80, text);
			for (const worker of ['worker-1', 'worker-2']) {
				assert.ok(shareOf(runningStacks, `<task>:${worker}:0;async_tasks.py:busy_worker:20;async_tasks.py:cpu_leaf:14;async_tasks.py:spin:`) > 20, `${worker}\n${text}`);
			}

			assert.ok(shareOf(runningStacks, '<task>:sleeper:') < 5, 'a sleeping task is not running');
			const all = await collapsed(['--async-mode', 'all', String(target.pid)]);
			assert.ok(shareOf(all, '<task>:sleeper:0;async_tasks.py:sleepy_worker:25;tasks.py:sleep:') > 20, [...all.keys()].join('\n'));
			assert.deepEqual(taskChains(all), new Set(['worker-1', 'worker-2', 'sleeper'].map(leaf => `<task>:Task-1:0 > <task>:supervisor:0 > <task>:${leaf}:0`)));
			if (py.version === '3.15') {
				const out = path.join(tempDir(), 'tachyon.txt');
				const child = spawn(py.path, ['-m', 'profiling.sampling', 'attach', '--async-aware', '--async-mode', 'all', '--collapsed', '-o', out, '-d', '1', String(target.pid)], {stdio: 'ignore'});
				assert.equal(await new Promise(resolve => child.on('exit', resolve)), 0);
				assert.deepEqual(taskChains(parseCollapsed(fs.readFileSync(out, 'utf8'))), taskChains(all), 'the same task chains as Tachyon');
			}

			const dump = await runCli(['dump', '--async-aware', String(target.pid)]);
			assert.equal(dump.code, 0, dump.stderr);
			assert.match(dump.stdout, /\(task sleeper, [^)]*\):\n {2}<task> Task-1\n.*line 38, in main\n.*\n {2}<task> supervisor\n/);
			await target.stop();
		});
	});
}

describe('--async-aware errors', () => {
	for (const py of testPythons().filter(candidate => ['3.11', '3.12', '3.13'].includes(candidate.version))) {
		test(`Python ${py.version}: one line naming the versions that have it`, async () => {
			const target = await startPython(py, 'async_tasks.py');
			running.push(target);
			const {code, stderr} = await runCli(['attach', '--async-aware', '-d', '1', String(target.pid)]);
			assert.equal(code, 2);
			assert.match(stderr, /^tachyon-top: --async-aware needs CPython 3\.14 or newer.*Python 3\.1[1-3]/);
			assert.equal(stderr.trim().split('\n').length, 1);
			await target.stop();
		});
	}

	test('--mode with --async-aware is refused, as in Tachyon', async () => {
		const py = python('3.15') ?? testPythons()[0]!;
		const {code, stderr} = await runCli(['run', '--async-aware', '--mode', 'cpu', '--python', py.path, 'x.py']);
		assert.equal(code, 2);
		assert.match(stderr, /^tachyon-top: --mode cannot be used with --async-aware/);
	});
});
