// attach and run on a terminal show one status line while sampling (elapsed, samples, rate,
// how to stop), redrawn in place and cleared at the end; piped, nothing extra. Ctrl-C says
// "Interrupted by user." as Tachyon does, and still writes the profile.
import assert from 'node:assert/strict';
import {execFile, spawn} from 'node:child_process';
import {promisify} from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {cli, delay, python, root, runCli, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

const py = python('3.11') ?? testPythons()[0]!;
const hasScript = fs.existsSync('/usr/bin/script');
const runInTerminal = promisify(execFile);

/** Runs the CLI under script(1), which gives it a pseudo-terminal; everything it drew. */
async function onTerminal(args: string[]): Promise<string> {
	// A wide terminal, so the line is never cut to the width.
	const command = `stty cols 200; exec ${[process.execPath, cli, ...args].map(word => `'${word}'`).join(' ')}`;
	const {stdout} = await runInTerminal('/usr/bin/script', ['-qec', command, '/dev/null'], {encoding: 'utf8', timeout: 120_000});
	return stdout;
}

describe('status line', () => {
	test('on a terminal: one line redrawn in place, then cleared before the report', {skip: hasScript ? false : 'script(1) is not installed'}, async () => {
		const target = await startPython(py, path.join(root, 'examples', 'workload.py'), [], 'pid=');
		running.push(target);
		const out = path.join(tempDir(), 'stacks.txt');
		const shown = await onTerminal(['attach', '-d', '2.5', '--collapsed', '-o', out, String(target.pid)]);
		const draws = shown.split('\r\u001B[K').slice(1);
		const statuses = draws.filter(draw => draw.startsWith('Sampling PID'));
		assert.ok(statuses.length >= 3, `redrawn while sampling: ${JSON.stringify(shown)}`);
		assert.match(statuses.at(-1)!, new RegExp(`^Sampling PID ${target.pid}: [\\d.]+ of 2\\.5 s, [\\d,]+ samples, [\\d,]+/s \\(asked 1,000\\); Ctrl-C to stop$`));
		assert.ok(statuses.every(status => !status.includes('\n')), 'always one line');
		// The line is cleared, and the report follows on a clean line.
		assert.match(shown, /\r\u001B\[KCaptured [\d,]+ samples/);
		assert.ok(fs.existsSync(out));
	});

	test('piped: nothing but the report', async () => {
		const target = await startPython(py, path.join(root, 'examples', 'workload.py'), [], 'pid=');
		running.push(target);
		const result = await runCli(['attach', '-d', '1', '--collapsed', '-o', path.join(tempDir(), 'stacks.txt'), String(target.pid)]);
		assert.equal(result.code, 0, result.stderr);
		assert.doesNotMatch(result.stderr, /Sampling PID|\r|\u001B/);
		assert.match(result.stderr, /^Captured [\d,]+ samples in [\d.]+ seconds/);
	});
});

describe('Ctrl-C', () => {
	test('on a terminal: "Interrupted by user.", and the profile is written', {skip: hasScript ? false : 'script(1) is not installed'}, async () => {
		const target = await startPython(py, path.join(root, 'examples', 'workload.py'), [], 'pid=');
		running.push(target);
		const out = path.join(tempDir(), 'stacks.txt');
		// `exec`: the terminal's Ctrl-C goes to its whole foreground group, and a shell left waiting
		// there may die of it (dash does, when it is $SHELL) and make script(1) exit 130.
		const command = `stty cols 200; exec ${[process.execPath, cli, 'attach', '--collapsed', '-o', out, String(target.pid)].map(word => `'${word}'`).join(' ')}`;
		// A real Ctrl-C: the terminal's interrupt character, once the status line says sampling is under way.
		const terminal = spawn('/usr/bin/script', ['-qec', command, '/dev/null'], {stdio: ['pipe', 'pipe', 'inherit']});
		let shown = '';
		let sent = false;
		terminal.stdout.on('data', (data: Buffer) => {
			shown += data.toString();
			if (!sent && /Sampling PID \d+: [\d.]+ s, [1-9][\d,]* samples/.test(shown)) {
				sent = true;
				void delay(500).then(() => terminal.stdin.write('\u0003'));
			}
		});
		const timer = setTimeout(() => terminal.kill('SIGKILL'), 120_000);
		const code = await new Promise(resolve => terminal.on('exit', resolve));
		clearTimeout(timer);
		assert.equal(code, 0, shown);
		assert.match(shown, /\r\u001B\[KInterrupted by user\.\r?\n/);
		// No missed-samples warning after Ctrl-C (as Tachyon): the span was cut short on purpose.
		assert.doesNotMatch(shown, /Warning: missed/);
		assert.match(shown, /Wrote collapsed stacks/);
		assert.match(fs.readFileSync(out, 'utf8'), /workload\.py/);
	});
});
