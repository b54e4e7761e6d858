// --async-aware: each asyncio task's await chain (<task> frames), as Tachyon shows it, on every
// version: from the task lists of 3.14+, and from asyncio's Python objects on 3.11–3.13.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {fixtures, minorOf, missingVersions, parseCollapsed, python, runCli, shareOf, startPython, tempDir, testPythons, type PythonProcess, type TestPython, attachCollapsed} from './helpers.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

const collapsed = async (args: string[]) => attachCollapsed(['--async-aware', ...args]);

/** The stacks of tasks only: running mode also keeps samples outside any task, under <no task>. */
const inTasks = (stacks: Map<string, number>) => new Map([...stacks].filter(([stack]) => !stack.includes('<task>:<no task>:0')));

/** The chain of task names of each stack, root first: what must agree with Tachyon. */
function taskChains(stacks: Map<string, number>): Set<string> {
	return new Set([...stacks.keys()].map(stack => stack.split(';').filter(frame => frame.startsWith('<task>:')).join(' > ')));
}

/** Root of every task stack: main's task, main, the supervisor task and its TaskGroup (3.8–3.10: gather). */
function rootChain(py: TestPython): string {
	return minorOf(py) <= 10
		? '<task>:Task-1:0;async_tasks.py:main:46;<task>:supervisor:0;async_tasks.py:supervisor:42;'
		: '<task>:Task-1:0;async_tasks.py:main:46;<task>:supervisor:0;async_tasks.py:supervisor:33;taskgroups.py:TaskGroup.__aexit__:';
}

/** Between the supervisor and its children: 3.13 moved TaskGroup.__aexit__'s body into _aexit. */
function groupFrames(py: TestPython): RegExp {
	if (minorOf(py) <= 10) {
		return /;async_tasks\.py:supervisor:42;<task>:/;
	}

	return ['3.11', '3.12'].includes(py.version)
		? /;async_tasks\.py:supervisor:33;taskgroups\.py:TaskGroup\.__aexit__:\d+;<task>:/
		: /;async_tasks\.py:supervisor:33;taskgroups\.py:TaskGroup\.__aexit__:\d+;taskgroups\.py:TaskGroup\._aexit:\d+;<task>:/;
}

/** `attach --async-mode all` against Tachyon 3.15 on the same process: the same task chains. */
async function assertTachyonChains(py: {path: string}, pid: number, ours: Map<string, number>): Promise<void> {
	const out = path.join(tempDir(), 'tachyon.txt');
	const child = spawn(py.path, ['-m', 'profiling.sampling', 'attach', '--async-aware', '--async-mode', 'all', '--collapsed', '-o', out, '-d', '1', String(pid)], {stdio: 'ignore'});
	assert.equal(await new Promise(resolve => child.on('exit', resolve)), 0);
	assert.deepEqual(taskChains(parseCollapsed(fs.readFileSync(out, 'utf8'))), taskChains(ours), 'the same task chains as Tachyon');
}

for (const version of missingVersions(['3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14', '3.15'])) {
	test(`--async-aware on Python ${version}`, {skip: `Python ${version} is not installed on this machine`}, () => {});
}

for (const py of testPythons()) {
	describe(`--async-aware on Python ${py.version}`, () => {
		test('running: the two busy tasks through supervisor and main; all: the sleeper too', async () => {
			const file = 'async_tasks.py';
			const target = await startPython(py, file);
			running.push(target);
			const runningStacks = inTasks(await collapsed(['--async-mode', 'running', String(target.pid)]));
			const text = [...runningStacks.keys()].join('\n');
			assert.ok(shareOf(runningStacks, rootChain(py)) > 80, text);
			for (const worker of ['worker-1', 'worker-2']) {
				assert.ok(shareOf(runningStacks, `<task>:${worker}:0;${file}:busy_worker:20;${file}:cpu_leaf:14;${file}:spin:`) > 20, `${worker}\n${text}`);
			}

			assert.ok(shareOf(runningStacks, '<task>:sleeper:') < 5, 'a sleeping task is not running');
			const all = await collapsed(['--async-mode', 'all', String(target.pid)]);
			assert.ok(shareOf(all, `<task>:sleeper:0;${file}:sleepy_worker:25;tasks.py:sleep:`) > 20, [...all.keys()].join('\n'));
			assert.deepEqual(taskChains(all), new Set(['worker-1', 'worker-2', 'sleeper'].map(leaf => `<task>:Task-1:0 > <task>:supervisor:0 > <task>:${leaf}:0`)));
			for (const stack of [...runningStacks.keys(), ...all.keys()]) {
				assert.match(stack, groupFrames(py));
			}

			if (py.version === '3.15') {
				await assertTachyonChains(py, target.pid, all);
			}

			const dump = await runCli(['dump', '--async-aware', String(target.pid)]);
			assert.equal(dump.code, 0, dump.stderr);
			assert.match(dump.stdout, /\(task sleeper, [^)]*\):\n {2}<task> Task-1\n.*line 46, in main\n.*\n {2}<task> supervisor\n/);
			// One section per leaf task, each ending in that task's own frames.
			assert.deepEqual(new Set([...dump.stdout.matchAll(/\(task ([^,]+),/g)].map(match => match[1])), new Set(['worker-1', 'worker-2', 'sleeper']));
			assert.match(dump.stdout, /\n {2}<task> sleeper\n.*line 25, in sleepy_worker\n/);
			await target.stop();
		});

		test('gather() children and an awaited task chain up to main', async () => {
			const target = await startPython(py, 'async_gather.py');
			running.push(target);
			const all = await collapsed(['--async-mode', 'all', String(target.pid)]);
			const text = [...all.keys()].join('\n');
			assert.deepEqual(taskChains(all), new Set(['gathered-1', 'gathered-2'].map(leaf => `<task>:Task-1:0 > <task>:gatherer:0 > <task>:${leaf}:0`)), text);
			assert.ok(shareOf(all, '<task>:Task-1:0;async_gather.py:main:27;<task>:gatherer:0;async_gather.py:gatherer:19;<task>:gathered-') > 95, text);
			const runningStacks = inTasks(await collapsed(['--async-mode', 'running', String(target.pid)]));
			assert.ok(shareOf(runningStacks, 'async_gather.py:gatherer:19;<task>:gathered-1:0;async_gather.py:busy:14;async_gather.py:spin:') > 20, [...runningStacks.keys()].join('\n'));
			if (py.version === '3.15') {
				await assertTachyonChains(py, target.pid, all);
			}

			await target.stop();
		});

		test('500 tasks and tasks that come and go: every sleeper under main, samples not lost', async () => {
			const file = 'async_many.py';
			const main = minorOf(py) <= 10 ? `<task>:Task-1:0;${file}:main:33;` : `<task>:Task-1:0;${file}:main:24;`;
			const target = await startPython(py, file);
			running.push(target);
			const all = await collapsed(['--async-mode', 'all', String(target.pid)]);
			const sleepers = [...taskChains(all)].filter(chain => /^<task>:Task-1:0 > <task>:sleeper-\d+:0$/.test(chain));
			assert.ok(sleepers.length > 450, `${sleepers.length} sleeper chains`);
			// Every sleeper is a long-lived task under main. churn's short-lived gather() children can be
			// caught between their creation and their link to churn, more often on a loaded machine
			// (2–4 % of samples at load 20), so the whole profile's share under main is looser.
			const sleeperStacks = new Map([...all].filter(([stack]) => stack.includes('<task>:sleeper-')));
			assert.ok(shareOf(sleeperStacks, main) > 95, [...sleeperStacks.keys()].filter(stack => !stack.includes(main)).slice(0, 20).join('\n'));
			assert.ok(shareOf(all, main) > 85, [...all.keys()].filter(stack => !stack.includes(main)).slice(0, 20).join('\n'));
			const runningStacks = inTasks(await collapsed(['--async-mode', 'running', String(target.pid)]));
			const samples = [...runningStacks.values()].reduce((sum, count) => sum + count, 0);
			assert.ok(samples > 20, `${samples} running samples`);
			// Tasks torn down mid-read show as a lone <task> now and then (3.14+ too): most, not all.
			assert.ok(shareOf(runningStacks, main) > 80, [...runningStacks.keys()].slice(0, 20).join('\n'));
			await target.stop();
		});
	});
}

describe('--async-aware in run mode', () => {
	const py = testPythons().find(candidate => minorOf(candidate) >= 11 && minorOf(candidate) <= 13);
	test('asyncio imported after the start: its tasks are found once it is', {skip: py ? false : 'no Python 3.11–3.13 here'}, async () => {
		const out = path.join(tempDir(), 'run.txt');
		const {code, stderr} = await runCli(['run', '--async-aware', '--collapsed', '-o', out, '-d', '2', '--python', py!.path, path.join(fixtures, 'async_tasks.py')]);
		assert.equal(code, 0, stderr);
		const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
		assert.ok(shareOf(inTasks(stacks), rootChain(py!)) > 80, [...stacks.keys()].join('\n'));
	});
});

describe('--async-aware: samples outside any task', () => {
	for (const py of testPythons()) {
		test(`Python ${py.version}: an idle loop and plain callbacks are counted under <no task>, none dropped`, async () => {
			const target = await startPython(py, 'async_idle.py');
			running.push(target);
			const out = path.join(tempDir(), 'idle.txt');
			const {code, stderr} = await runCli(['attach', '--async-aware', '--collapsed', '-o', out, '-d', '2', String(target.pid)]);
			assert.equal(code, 0, stderr);
			const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
			const text = [...stacks.keys()].join('\n');
			const total = [...stacks.values()].reduce((sum, count) => sum + count, 0);
			const captured = Number(/Captured ([\d,]+) samples/.exec(stderr)![1]!.replaceAll(',', ''));
			// Every tick samples the loop's thread: each is a task's stack or a <no task> one (less failed reads).
			assert.ok(total >= captured * 0.95 && total <= captured, `${total} samples in the file, ${captured} captured\n${text}`);
			assert.ok(shareOf(stacks, '<task>:<no task>:0;') > 50, `the loop mostly waits outside any task\n${text}`);
			assert.ok(shareOf(stacks, 'select') > 30, `waiting in select\n${text}`);
			assert.ok(shareOf(stacks, 'async_idle.py:tick:') > 0, `the plain callback\n${text}`);
			assert.ok(shareOf(stacks, '<task>:worker:0;async_idle.py:worker:') > 0, `the task\n${text}`);
			await target.stop();
		});
	}
});

describe('--async-aware errors', () => {
	test('--mode with --async-aware is refused, as in Tachyon', async () => {
		const py = python('3.15') ?? testPythons()[0]!;
		const {code, stderr} = await runCli(['run', '--async-aware', '--mode', 'cpu', '--python', py.path, 'x.py']);
		assert.equal(code, 2);
		assert.match(stderr, /^tachyon-top: Option --mode=cpu is incompatible with --async-aware\./);
	});
});
