// --subprocesses: a parent with two multiprocessing workers; each Python process gets its
// own profile, named NAME_PID.EXT as Tachyon 3.15 names them. Also attached through a shell
// above the tree (as py-spy allows): each Python process below it gets its file, the shell none.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {descendants} from '../sampler/proc.js';
import {countOf, fixtures, parseCollapsed, runCli, shareOf, startPython, startShell, stopShells, tempDir, testPythons, type PythonProcess} from './helpers.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
	stopShells();
});

/** The profiles written into dir: parent `out.txt`, children `out_PID.txt`. */
function profiles(dir: string): {parent: Map<string, number>; children: Map<number, Map<string, number>>} {
	const children = new Map<number, Map<string, number>>();
	for (const name of fs.readdirSync(dir)) {
		const match = /^out_(\d+)\.txt$/.exec(name);
		if (match) {
			children.set(Number(match[1]), parseCollapsed(fs.readFileSync(path.join(dir, name), 'utf8')));
		}
	}

	return {parent: parseCollapsed(fs.readFileSync(path.join(dir, 'out.txt'), 'utf8')), children};
}

function checkWorkers(dir: string, stderr: string): void {
	const {parent, children} = profiles(dir);
	assert.ok(shareOf(parent, 'multiproc.py:parent_wait:') > 30, 'the parent waits on its pool');
	assert.equal(shareOf(parent, 'multiproc.py:worker_busy:'), 0, 'no worker stacks in the parent profile');
	// A worker's start (a new interpreter, its imports) can take seconds on a loaded machine: a
	// worker is a child with its busy function among its samples, whatever their share.
	const workers = [...children].filter(([, stacks]) => countOf(stacks, 'multiproc.py:worker_busy:') >= 20);
	assert.equal(workers.length, 2, `two worker profiles: ${[...children.keys()].join(', ')}\n${stderr}`);
	for (const [pid, stacks] of workers) {
		assert.ok([...stacks.keys()].every(stack => stack.startsWith(`tid:${pid};`)), 'a worker file holds that worker only');
		assert.match(stderr, new RegExp(`Wrote .* to .*out_${pid}\\.txt`));
	}
}

for (const py of testPythons().filter(candidate => ['3.11', '3.13', '3.15'].includes(candidate.version))) {
	describe(`--subprocesses on Python ${py.version}`, () => {
		test('run: the parent and each multiprocessing worker in its own file', async () => {
			const dir = tempDir();
			// The script ends by itself once its workers have spun for 2 s each, however long they took to start.
			const {code, stderr} = await runCli(['run', '--subprocesses', '--python', py.path, '--collapsed', '-o', path.join(dir, 'out.txt'), path.join(fixtures, 'multiproc.py'), '2'], {timeoutMs: 120_000});
			assert.equal(code, 0, stderr);
			checkWorkers(dir, stderr);
		});

		test('attach through a shell above the tree: each Python process its own file, the shell none', async () => {
			const sh = await startShell(`'${py.path}' '${path.join(fixtures, 'multiproc.py')}' 120`, 'ready');
			const dir = tempDir();
			const {code, stderr} = await runCli(['attach', '--subprocesses', '-d', '2', '--collapsed', '-o', path.join(dir, 'out.txt'), String(sh.pid)], {timeoutMs: 90_000});
			assert.equal(code, 0, stderr);
			assert.ok(!fs.existsSync(path.join(dir, 'out.txt')), 'no file for the shell');
			assert.match(stderr, new RegExp(`Process ${sh.pid} \\(/bin/sh -c .*\\) is not a Python process: its Python descendants were sampled`));
			const parents = descendants(sh.pid!).filter(pid => fs.existsSync(path.join(dir, `out_${pid}.txt`)) && shareOf(parseCollapsed(fs.readFileSync(path.join(dir, `out_${pid}.txt`), 'utf8')), 'multiproc.py:parent_wait:') > 30);
			assert.equal(parents.length, 1, `the Python parent's file: ${fs.readdirSync(dir).join(', ')}\n${stderr}`);
			fs.renameSync(path.join(dir, `out_${parents[0]!}.txt`), path.join(dir, 'out.txt'));
			checkWorkers(dir, stderr);
		});

		test('attach: workers that already run are found too', async () => {
			const target = await startPython(py, 'multiproc.py');
			running.push(target);
			const dir = tempDir();
			const {code, stderr} = await runCli(['attach', '--subprocesses', '-d', '2', '--collapsed', '-o', path.join(dir, 'out.txt'), String(target.pid)], {timeoutMs: 90_000});
			assert.equal(code, 0, stderr);
			checkWorkers(dir, stderr);
			await target.stop();
		});
	});
}

/** Profiles of the family.py processes: every generation, and each short-lived one, has one. */
function checkFamily(dir: string, output: string): void {
	const files = new Map<number, Map<string, number>>();
	for (const name of fs.readdirSync(dir)) {
		const match = /^out_(\d+)\.txt$/.exec(name);
		if (match) {
			files.set(Number(match[1]), parseCollapsed(fs.readFileSync(path.join(dir, name), 'utf8')));
		}
	}

	const holding = (name: string) => [...files].filter(([, stacks]) => countOf(stacks, `family.py:${name}:`) > 0).map(([pid]) => pid);
	assert.equal(holding('child_runs_shorts').length, 1, `the child: ${[...files.keys()].join(', ')}\n${output}`);
	assert.equal(holding('grandchild_spins').length, 1, 'the grandchild (a child of the child)');
	const shorts = [...output.matchAll(/^short (\d+)$/gm)].map(match => Number(match[1]));
	assert.equal(shorts.length, 5, output);
	// Each lives 0.3 s and more: every one is found and sampled, however busy the machine.
	for (const pid of shorts) {
		assert.ok(files.has(pid), `short-lived process ${pid} has a profile: ${[...files.keys()].join(', ')}\n${output}`);
	}

	assert.ok(holding('short_spins').length >= 3, `the short ones sampled in their own function: ${holding('short_spins').join(', ')}`);
}

test('attach --subprocesses through a shell with no Python below it: one line, non-zero exit', async () => {
	const sh = await startShell('sleep 120');
	const deadline = Date.now() + 30_000;
	while (descendants(sh.pid!).length === 0 && Date.now() < deadline) {
		await new Promise(resolve => setTimeout(resolve, 20));
	}

	const {code, stderr} = await runCli(['attach', '--subprocesses', '-d', '1', '--collapsed', '-o', path.join(tempDir(), 'out.txt'), String(sh.pid)]);
	assert.equal(code, 1, stderr);
	assert.equal(stderr.trim().split('\n').length, 1, stderr);
	assert.match(stderr, new RegExp(`Process ${sh.pid} \\(/bin/sh -c sleep 120; true\\) is not a Python process, and no Python process below it was sampled`));
});

describe('--subprocesses: children of children, and short-lived ones', () => {
	const py = testPythons().find(candidate => candidate.version === '3.11') ?? testPythons()[0]!;
	test('attach: every generation and each short-lived grandchild has its profile', async () => {
		const dir = tempDir();
		// The short ones start once we sample (the first stats line): ones that came and went before could not be found.
		const go = path.join(dir, 'go');
		const target = await startPython(py, 'family.py', [], 'ready', {FAMILY_GO: go});
		running.push(target);
		const {code, stderr} = await runCli(['attach', '--subprocesses', '--realtime-stats', '--collapsed', '-o', path.join(dir, 'out.txt'), String(target.pid)], {
			timeoutMs: 120_000,
			onStderr(_child, text) {
				if (text.includes('Stats:') && !fs.existsSync(go)) {
					fs.writeFileSync(go, '');
				}
			},
		});
		assert.equal(code, 0, stderr);
		await target.exited;
		checkFamily(dir, target.output());
	});

	test('run: the same, from the script\'s first line', async () => {
		const dir = tempDir();
		const {code, stderr} = await runCli(['run', '--subprocesses', '--python', py.path, '--collapsed', '-o', path.join(dir, 'out.txt'), path.join(fixtures, 'family.py')], {timeoutMs: 120_000});
		assert.equal(code, 0, stderr);
		checkFamily(dir, stderr);
	});
});
