// End to end in a real terminal (tmux): picker → filter → Enter → the table shows the hot
// functions → `s` → `e` + `f` writes a flame graph → `q` exits with the terminal restored.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {cli, delay, python, startPython, tempDir, testPythons} from './helpers.js';
import {writeWorkload} from './live-helpers.js';

const tmux = '/usr/bin/tmux';
const session = `tachyon-top-e2e-${process.pid}`;
const interpreter = python('3.15') ?? testPythons().at(-1);

function capture(): string {
	return execFileSync(tmux, ['capture-pane', '-p', '-t', session], {encoding: 'utf8'});
}

function send(...keys: string[]): void {
	execFileSync(tmux, ['send-keys', '-t', session, ...keys]);
}

async function waitForScreen(check: (screen: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const screen = capture();
		if (check(screen)) {
			return screen;
		}

		if (Date.now() > deadline) {
			throw new Error(`timed out waiting for ${what}; the screen:\n${screen}`);
		}

		await delay(200);
	}
}

test('picker → filter → attach → sort → export a flame graph → quit, in tmux', {skip: !fs.existsSync(tmux) ? 'tmux is not installed' : !interpreter ? 'no test Python' : false, timeout: 90_000}, async t => {
	const dir = tempDir('tachyon-top-e2e-');
	const target = await startPython(interpreter!, writeWorkload(dir));
	const exitFile = path.join(dir, 'exit-code');
	// CI silences Ink (it writes frames only on unmount), so the app runs without it.
	const command = `cd ${dir} && env -u CI TERM=xterm-256color ${process.execPath} ${cli}; echo $? > ${exitFile}; echo TUI-EXITED; sleep 60`;
	execFileSync(tmux, ['new-session', '-d', '-s', session, '-x', '120', '-y', '32', command]);
	t.after(async () => {
		try {
			execFileSync(tmux, ['kill-session', '-t', session]);
		} catch {
			// The session ended with its command.
		}

		await target.stop();
	});

	const pid = String(target.pid);
	await waitForScreen(screen => screen.includes('pick a Python process') && screen.includes(pid), 'the picker listing the target');
	send('-l', pid);
	let screen = await waitForScreen(screen => screen.includes(`> ${pid}_`), 'the filter');
	const rows = screen.split('\n').filter(line => /^[› ] +\d+ /.test(line));
	const index = rows.findIndex(line => /\d+/.exec(line)?.[0] === pid);
	assert.ok(index >= 0, screen);
	for (let step = 0; step < index; step++) {
		send('Down');
		await delay(100);
	}

	send('Enter');
	screen = await waitForScreen(screen => screen.includes('hot_loop_alpha') && screen.includes('sleeper_beta'), 'the hot functions in the table');
	assert.match(screen, new RegExp(`PID ${pid} │ Python 3\\.\\d+`));
	assert.match(screen, /▼direct/);
	send('s');
	await waitForScreen(screen => screen.includes('sort: cumulative') && screen.includes('▼cumul'), 'the next sort column');
	send('e');
	await waitForScreen(screen => screen.includes('Export what was sampled so far'), 'the export menu');
	send('f');
	screen = await waitForScreen(screen => screen.includes('Wrote flamegraph to'), 'the export message');
	const flamegraph = path.join(dir, `flamegraph_${pid}.html`);
	assert.ok(fs.existsSync(flamegraph), screen);
	assert.match(fs.readFileSync(flamegraph, 'utf8'), /hot_loop_alpha/);
	send('q');
	screen = await waitForScreen(screen => screen.includes('TUI-EXITED'), 'the app to exit');
	assert.equal(fs.readFileSync(exitFile, 'utf8').trim(), '0');
	// The alternate screen was left: the TUI's lines are gone and the shell's screen is back.
	assert.doesNotMatch(screen, /hot_loop_alpha|pick a Python process/);
	assert.equal(execFileSync(tmux, ['display-message', '-p', '-t', session, '#{alternate_on}'], {encoding: 'utf8'}).trim(), '0');
	assert.equal(execFileSync(tmux, ['display-message', '-p', '-t', session, '#{cursor_flag}'], {encoding: 'utf8'}).trim(), '1', 'the cursor is visible again');
});
