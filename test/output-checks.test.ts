// -o is checked before anything is sampled (a capture is never lost to where it was to go, and
// /proc never makes us spin creating folders), and a write that fails at the end falls back to
// the current directory and says where.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {cli, fixtures, parseCollapsed, runCli, shareOf, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';

const dir = tempDir('tachyon-top-output-');
const newest = testPythons().at(-1);
const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
	fs.rmSync(dir, {recursive: true, force: true});
});

function assertRefusedBeforeSampling(result: {code: number | null; stderr: string}, pattern: RegExp): void {
	assert.equal(result.code, 2, result.stderr);
	assert.match(result.stderr, pattern);
	assert.equal(result.stderr.trimEnd().split('\n').length, 1, `one line: ${result.stderr}`);
	assert.doesNotMatch(result.stderr, /Captured|^\s+at /m, 'nothing sampled, no stack trace');
}

describe('-o', {skip: newest ? false : 'no test Python'}, () => {
	test('under /proc or /sys, below a file, or a heatmap onto a file: refused before sampling, at once', {timeout: 180_000}, async () => {
		const target = await startPython(newest!, 'sleep.py');
		running.push(target);
		const file = path.join(dir, 'a-file.txt');
		fs.writeFileSync(file, 'kept\n');
		const cases: Array<[string[], RegExp]> = [
			[['--collapsed', '-o', '/proc/self/x.txt'], /-o \/proc\/self\/x\.txt: \/proc\/\d+ is a kernel file system/],
			// A heatmap is a directory: creating one under /proc looped forever.
			[['--heatmap', '-o', '/proc/self/heat'], /kernel file system/],
			[['--collapsed', '-o', '/sys/x.txt'], /-o \/sys\/x\.txt: \/sys is a kernel file system/],
			[['--collapsed', '-o', path.join(file, 'x.txt')], /a-file\.txt is not a directory/],
			[['--heatmap', '-o', file], /exists and is not a directory/],
			[['--binary', '-o', '/proc/self/x.bin'], /kernel file system/],
		];
		for (const [args, pattern] of cases) {
			// -d 60: a check made only after sampling would show as a minute's wait and "Captured".
			const started = Date.now();
			assertRefusedBeforeSampling(await runCli(['attach', '-d', '60', ...args, String(target.pid)], {cwd: dir}), pattern);
			assert.ok(Date.now() - started < 50_000, `${args.join(' ')}: refused after ${Date.now() - started} ms`);
		}

		assert.equal(fs.readFileSync(file, 'utf8'), 'kept\n');
	});

	test('run: the script itself is never the output; the script does not start', async () => {
		const script = path.join(dir, 'own.py');
		fs.writeFileSync(script, 'open(__file__ + ".ran", "w").close()\n');
		assertRefusedBeforeSampling(await runCli(['run', '--python', newest!.path, '--collapsed', '-o', script, script], {cwd: dir}), /is the script being profiled/);
		assert.equal(fs.readFileSync(script, 'utf8'), 'open(__file__ + ".ran", "w").close()\n');
		assert.ok(!fs.existsSync(`${script}.ran`), 'the script did not run');
	});

	test('a folder the user may not write: refused before sampling', {skip: process.getuid?.() === 0 && fs.existsSync('/usr/sbin/runuser') ? false : 'needs root and runuser to run as another user'}, async () => {
		const target = await startPython(newest!, 'sleep.py');
		running.push(target);
		const closed = fs.mkdtempSync(path.join(os.tmpdir(), 'tachyon-top-closed-'));
		fs.chmodSync(closed, 0o755);
		try {
			// As nobody, attaching to root's process would fail too, but -o is checked first.
			assertRefusedBeforeSampling(await runCli(['attach', '-d', '60', '--collapsed', '-o', path.join(closed, 'x.txt'), String(target.pid)], {asUser: 'nobody', cwd: os.tmpdir()}), /cannot create files in .*tachyon-top-closed-.* \(permission denied\)/);
		} finally {
			fs.rmSync(closed, {recursive: true, force: true});
		}
	});

	test('a write that fails at the end (/dev/full) goes to the current directory, says where, exits 1', {skip: fs.existsSync('/dev/full') ? false : 'no /dev/full'}, async () => {
		const target = await startPython(newest!, 'names.py');
		running.push(target);
		const cwd = fs.mkdtempSync(path.join(dir, 'cwd-'));
		const result = await runCli(['attach', '-d', '1', '--collapsed', '-o', '/dev/full', String(target.pid)], {cwd});
		assert.equal(result.code, 1, result.stderr);
		const fallback = path.join(cwd, `collapsed_${target.pid}.txt`);
		assert.match(result.stderr, new RegExp(`could not write /dev/full: ENOSPC.*; the profile goes to ${fallback.replaceAll('.', '\\.')} instead`));
		const stacks = parseCollapsed(fs.readFileSync(fallback, 'utf8'));
		assert.ok(stacks.size > 0 && shareOf(stacks, 'names.py') > 0, fs.readFileSync(fallback, 'utf8'));
	});
});

test('replay: -o /dev/stdout into a pipe is written, not taken for a file under /proc', {timeout: 60_000}, () => {
	// A real pipe (the test runner's own stdout is a socket, which /dev/stdout cannot reopen).
	const stdout = execFileSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${cli}" replay --collapsed -o /dev/stdout "${path.join(fixtures, 'ours-3.15.bin')}" 2>/dev/null | cat`], {cwd: dir, encoding: 'utf8', timeout: 60_000});
	assert.ok(parseCollapsed(stdout).size > 0, stdout);
});

test('-o /dev/stdout, /dev/fd/1, /proc/self/fd/1 with a socket as stdout (a CI runner\'s socketpair): written through the open stdout', {timeout: 120_000}, () => {
	// Node gives a child's 'pipe' stdio as a UNIX socketpair: the case itself, checked first.
	assert.equal(execFileSync('stat', ['-L', '-c', '%F', '/dev/stdout'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).trim(), 'socket');
	for (const name of ['/dev/stdout', '/dev/fd/1', '/proc/self/fd/1']) {
		// Opening any of these names fails with ENXIO on a socket.
		const stdout = execFileSync(process.execPath, [cli, 'replay', '--collapsed', '-o', name, path.join(fixtures, 'ours-3.15.bin')], {cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000});
		const stacks = parseCollapsed(stdout);
		assert.equal([...stacks.values()].reduce((sum, count) => sum + count, 0), 774, `${name}: every sample of the capture`);
	}
});

test('replay: -o under /proc is refused in one line (it spun forever creating a heatmap there)', {timeout: 60_000}, async () => {
	const result = await runCli(['replay', '--heatmap', '-o', '/proc/self/heat', path.join(fixtures, 'ours-3.15.bin')], {cwd: dir});
	assert.equal(result.code, 2, result.stderr);
	assert.match(result.stderr, /^tachyon-top: -o \/proc\/self\/heat: \/proc\/\d+ is a kernel file system/m);
	assert.doesNotMatch(result.stderr, /^\s+at /m);
});
