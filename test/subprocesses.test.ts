// --subprocesses: a parent with two multiprocessing workers; each Python process gets its
// own profile, named NAME_PID.EXT as Tachyon 3.15 names them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {fixtures, parseCollapsed, runCli, shareOf, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
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
	// A worker's first second may go to starting Python and importing (a loaded machine is slow at it).
	const workers = [...children].filter(([, stacks]) => shareOf(stacks, 'multiproc.py:worker_busy:') > 20);
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
			const {code, stderr} = await runCli(['run', '--subprocesses', '--python', py.path, '-d', '4', '--collapsed', '-o', path.join(dir, 'out.txt'), path.join(fixtures, 'multiproc.py'), '6'], {timeoutMs: 90_000});
			assert.equal(code, 0, stderr);
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
