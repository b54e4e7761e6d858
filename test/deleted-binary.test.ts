// A Python whose executable was deleted under it (a virtualenv removed while it runs:
// /proc/PID/maps says "python3.X (deleted)"), or replaced by another file at the same path (an
// upgrade): attach, dump and the process picker still read the runtime, from the mapped copy
// itself. Every installed version, each from a private copy of its executable.
import assert from 'node:assert/strict';
import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {ProcessLister} from '../sampler/process-list.js';
import {attachCollapsed, fixtures, runCli, shareOf, tempDir, testPythons, type TestPython} from './helpers.js';

const children: ChildProcess[] = [];
after(() => {
	for (const child of children) {
		child.kill('SIGKILL');
	}
});

/** Runs a copy of the interpreter from a throwaway "venv", waits for `ready`, then deletes the venv. */
async function startDeleted(python: TestPython, replaceWith?: string): Promise<ChildProcess> {
	const venv = path.join(tempDir(), 'venv');
	const executable = path.join(venv, 'bin', path.basename(python.path));
	fs.mkdirSync(path.dirname(executable), {recursive: true});
	fs.copyFileSync(python.path, executable);
	fs.chmodSync(executable, 0o755);
	// The copy finds its standard library where the original's is.
	const home = path.dirname(path.dirname(fs.realpathSync(python.path)));
	const child = spawn(executable, [path.join(fixtures, 'sleep.py')], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, PYTHONHOME: home}});
	children.push(child);
	await new Promise<void>((resolve, reject) => {
		let output = '';
		const timer = setTimeout(() => {
			reject(new Error(`the copy of ${python.path} did not start: ${output}`));
		}, 15_000);
		const onData = (data: Buffer) => {
			output += data.toString();
			if (output.includes('ready')) {
				clearTimeout(timer);
				resolve();
			}
		};

		child.stdout.on('data', onData);
		child.stderr.on('data', onData);
	});
	fs.rmSync(venv, {recursive: true, force: true});
	if (replaceWith) {
		fs.mkdirSync(path.dirname(executable), {recursive: true});
		fs.copyFileSync(replaceWith, executable);
	}

	const maps = fs.readFileSync(`/proc/${child.pid}/maps`, 'utf8');
	assert.ok(maps.includes(`${executable} (deleted)`), 'the kernel reports the executable deleted');
	return child;
}

for (const python of testPythons()) {
	describe(`a deleted interpreter binary on Python ${python.version}`, () => {
		test('attach, dump and the picker read it from the mapped copy', async () => {
			const child = await startDeleted(python);
			const stacks = await attachCollapsed([String(child.pid)], 1);
			assert.ok(shareOf(stacks, 'sleep.py:') > 90, `the script's frames: ${[...stacks.keys()].join('\n')}`);
			const dump = await runCli(['dump', String(child.pid)]);
			assert.equal(dump.code, 0, dump.stderr);
			assert.match(dump.stdout, new RegExp(`Python ${python.version.replace('.', '\\.')}\\.\\d+`));
			assert.match(dump.stdout, /sleep\.py", line \d+/);
			const listed = new ProcessLister().list().find(entry => entry.pid === child.pid);
			assert.ok(listed?.version?.startsWith(python.version), `the picker lists it as Python ${python.version}: ${JSON.stringify(listed)}`);
			child.kill('SIGKILL');
		});

		test('replaced by another file at the same path: still the mapped one', async () => {
			const child = await startDeleted(python, '/bin/sh');
			const stacks = await attachCollapsed([String(child.pid)], 1);
			assert.ok(shareOf(stacks, 'sleep.py:') > 90, `the script's frames: ${[...stacks.keys()].join('\n')}`);
			child.kill('SIGKILL');
		});
	});
}
