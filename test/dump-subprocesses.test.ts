// dump --subprocesses: every Python process of the tree, each once, parents first, whether the
// PID is the Python parent or a shell above it (as py-spy's dump --subprocesses does); a tree
// with no Python at all is a one-line error. Real multiprocessing trees on every version.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {descendants} from '../sampler/proc.js';
import {delay, fixtures, runCli, startShell, stopShells, testPythons} from './helpers.js';

after(stopShells);

function isPython(pid: number): boolean {
	try {
		return /python/.test(path.basename(fs.readlinkSync(`/proc/${pid}/exe`)));
	} catch {
		return false;
	}
}

/** The PIDs of the "Stack dump for PID N" headers, in order. */
function dumpedPids(text: string): number[] {
	return [...text.matchAll(/^Stack dump for PID (\d+) /gm)].map(match => Number(match[1]));
}

for (const python of testPythons()) {
	describe(`dump --subprocesses on Python ${python.version}`, () => {
		test('from a shell above the tree, and from the Python parent: each Python process once', async () => {
			const shell = await startShell(`'${python.path}' '${path.join(fixtures, 'multiproc.py')}' 120`, 'ready');
			const pythons = descendants(shell.pid!).filter(pid => isPython(pid));
			assert.ok(pythons.length >= 3, `the parent and its two workers: ${pythons.join(', ')}`);
			// The pool's workers take a moment to import and start their task (longer on a busy machine).
			let fromShell = await runCli(['dump', '--subprocesses', String(shell.pid)], {timeoutMs: 120_000});
			for (let deadline = Date.now() + 60_000; (fromShell.stdout.match(/in worker_busy$/gm)?.length ?? 0) < 2 && Date.now() < deadline;) {
				await delay(200);
				fromShell = await runCli(['dump', '--subprocesses', String(shell.pid)], {timeoutMs: 120_000});
			}

			assert.equal(fromShell.code, 0, fromShell.stderr);
			const dumped = dumpedPids(fromShell.stdout);
			assert.deepEqual([...dumped].sort((a, b) => a - b), [...pythons].sort((a, b) => a - b), `every Python process once, no shell:\n${fromShell.stdout}`);
			assert.equal(fromShell.stdout.match(/in worker_busy$/gm)?.length, 2, 'both workers\' stacks');
			assert.equal(fromShell.stdout.match(/in parent_wait$/gm)?.length, 1, 'the parent\'s stack');
			const parent = pythons.find(pid => fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(shell.pid))!;
			assert.equal(dumped[0], parent, 'the parent comes first');

			const fromParent = await runCli(['dump', '-a', '--subprocesses', String(parent)], {timeoutMs: 120_000});
			assert.equal(fromParent.code, 0, fromParent.stderr);
			assert.deepEqual(dumpedPids(fromParent.stdout).sort((a, b) => a - b), [...pythons].sort((a, b) => a - b));
			assert.ok(dumpedPids(fromParent.stdout)[0] === parent);
			// -a: the parent's pool threads too.
			assert.ok((fromParent.stdout.match(/^Thread \d+ /gm)?.length ?? 0) > pythons.length, 'more than one thread per process with -a');
		});
	});
}

test('dump --subprocesses of a tree with no Python: one line, non-zero exit', async () => {
	const sleeper = await startShell('sleep 60');
	const result = await runCli(['dump', '--subprocesses', String(sleeper.pid)]);
	assert.notEqual(result.code, 0);
	assert.match(result.stderr.trim(), /^tachyon-top: Process \d+ \(.+\) is not a Python process.*, and no process below it is Python$/);
	assert.equal(result.stderr.trim().split('\n').length, 1);
});
