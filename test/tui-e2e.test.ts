// End to end in a real terminal (tmux): picker → filter → Enter → the table shows the hot
// functions → `s` → `e` + `f` writes a flame graph → `q` exits with the terminal restored.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {cli, delay, fixtures, python, startPython, tempDir, testPythons} from './helpers.js';
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

/** The first table row of a screen (rows start with the cursor column and a count). */
function firstRow(screen: string): string {
	return screen.split('\n').find(line => /^› +\d+ /.test(line)) ?? '';
}

test('f, v and w in tmux: the flame graph zooms, the source shows per-line samples, the window ranks the new phase first', {skip: !fs.existsSync(tmux) ? 'tmux is not installed' : !interpreter ? 'no test Python' : false, timeout: 300_000}, async t => {
	const dir = tempDir('tachyon-top-e2e-fvw-');
	const script = path.join(dir, 'phases.py');
	const flag = path.join(dir, 'switch');
	fs.copyFileSync(path.join(fixtures, 'phases.py'), script);
	const target = await startPython(interpreter!, script, [flag]);
	const name = `${session}-fvw`;
	const show = () => execFileSync(tmux, ['capture-pane', '-p', '-t', name], {encoding: 'utf8'});
	const keysTo = (...keys: string[]) => execFileSync(tmux, ['send-keys', '-t', name, ...keys]);
	const waitFor = async (check: (screen: string) => boolean, what: string, timeoutMs = 30_000) => {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const screen = show();
			if (check(screen)) {
				return screen;
			}

			if (Date.now() > deadline) {
				throw new Error(`timed out waiting for ${what}; the screen:\n${screen}`);
			}

			await delay(200);
		}
	};

	execFileSync(tmux, ['new-session', '-d', '-s', name, '-x', '120', '-y', '32', `cd ${dir} && env -u CI TERM=xterm-256color ${process.execPath} ${cli} attach --live ${target.pid}; echo TUI-EXITED; sleep 60`]);
	t.after(async () => {
		try {
			execFileSync(tmux, ['kill-session', '-t', name]);
		} catch {
			// Already gone.
		}

		await target.stop();
	});

	// A long first phase, then the switch.
	// Long enough that the totals still rank it first once the window has shown the new phase alone.
	await waitFor(screen => Number(/^› +(\d+) .*old_phase/m.exec(screen)?.[1] ?? 0) >= 15_000, 'old_phase with 15,000 samples', 150_000);
	fs.writeFileSync(flag, '');
	keysTo('W', 'W', 'W');
	await waitFor(screen => screen.includes('WINDOW: last 5 s'), 'the 5 s window');
	await waitFor(screen => firstRow(screen).includes('new_phase') && !screen.includes('old_phase'), 'the new phase alone in the window', 60_000);
	keysTo('w');
	let screen = await waitFor(screen => screen.includes('window: since start') && firstRow(screen).includes('old_phase'), 'the totals ranking the old phase first');
	assert.match(screen, /new_phase/);

	keysTo('f');
	screen = await waitFor(screen => screen.includes('▏all') && screen.includes('▏old_phase') && screen.includes('▏new_phase'), 'the flame graph');
	const lines = screen.split('\n');
	assert.ok(lines.findIndex(line => line.startsWith('▏all')) < lines.findIndex(line => line.includes('▏old_phase')), 'the root above its callees');
	keysTo('Down', 'Down', 'Down');
	await waitFor(screen => /^old_phase +\S+phases\.py:\d+ │ \d+ samples │ self/m.test(screen), 'old_phase selected, its status line');
	keysTo('Enter');
	await waitFor(screen => screen.includes('zoomed: <module> › old_phase') || /zoomed: .*old_phase/.test(screen), 'the zoom');
	keysTo('Escape');
	await waitFor(screen => screen.includes('▏all') && !screen.includes('zoomed:'), 'zoomed out');
	keysTo('v');
	screen = await waitFor(screen => screen.includes('line    self   total'), 'the source of old_phase');
	const selected = screen.split('\n').find(line => line.startsWith('›'))!;
	assert.match(selected, /^› +\d+ +\d+ +\d+ +[█░]+ +(for i in range\(20000\)|total \+= i \* i)/, selected);
	keysTo('Escape');
	await waitFor(screen => screen.includes('▏all'), 'back to the flame graph');
	keysTo('Escape');
	await waitFor(screen => screen.includes('▼direct'), 'back to the table');
	keysTo('q');
	// More than a minute unexported: q asks once; q again quits.
	screen = await waitFor(screen => screen.includes('TUI-EXITED') || screen.includes('e export / q quit'), 'the quit');
	if (!screen.includes('TUI-EXITED')) {
		keysTo('q');
		await waitFor(screen => screen.includes('TUI-EXITED'), 'the app to exit');
	}
});

/** Processes whose environment carries `marker`. */
function markedProcesses(marker: string): number[] {
	const found: number[] = [];
	for (const entry of fs.readdirSync('/proc')) {
		if (/^\d+$/.test(entry)) {
			try {
				if (fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(marker)) {
					found.push(Number(entry));
				}
			} catch {
			// Already gone.
			}
		}
	}

	return found;
}

const poolScript = `
import multiprocessing as mp, time

def work(n):
    while True:
        sum(range(10000))

if __name__ == '__main__':
    mp.set_start_method('forkserver')
    pool = mp.Pool(2)
    pool.map_async(work, range(2))
    while True:
        time.sleep(0.1)
`;

test('run --live --subprocesses, then q, ends the whole tree it started (forkserver and pool workers too)', {skip: !fs.existsSync(tmux) ? 'tmux is not installed' : !interpreter ? 'no test Python' : false, timeout: 120_000}, async t => {
	const dir = tempDir('tachyon-top-e2e-tree-');
	const script = path.join(dir, 'pool.py');
	fs.writeFileSync(script, poolScript);
	const marker = `TACHYON_TOP_TREE_TEST=${process.pid}-${Date.now()}`;
	const name = `${session}-tree`;
	execFileSync(tmux, ['new-session', '-d', '-s', name, '-x', '120', '-y', '32', `cd ${dir} && env -u CI ${marker} TERM=xterm-256color ${process.execPath} ${cli} run --live --subprocesses --python ${interpreter!.path} ${script}; echo TUI-EXITED; sleep 60`]);
	t.after(() => {
		try {
			execFileSync(tmux, ['kill-session', '-t', name]);
		} catch {
			// Already gone.
		}

		for (const pid of markedProcesses(marker)) {
			try {
				process.kill(pid, 'SIGKILL');
			} catch {
			// Already gone.
			}
		}
	});
	const show = () => execFileSync(tmux, ['capture-pane', '-p', '-t', name], {encoding: 'utf8'});
	const deadline = Date.now() + 60_000;
	// The script, its forkserver and two workers (plus our node): wait until the view follows them.
	while (!/process \d\/([3-9]) │/.test(show()) || markedProcesses(marker).length < 5) {
		assert.ok(Date.now() < deadline, `the pool never started: ${markedProcesses(marker).length} processes\n${show()}`);
		await delay(300);
	}

	execFileSync(tmux, ['send-keys', '-t', name, 'q']);
	const exitDeadline = Date.now() + 30_000;
	while (!show().includes('TUI-EXITED')) {
		if (show().includes('e export / q quit')) {
			execFileSync(tmux, ['send-keys', '-t', name, 'q']);
		}

		assert.ok(Date.now() < exitDeadline, show());
		await delay(200);
	}

	const goneBy = Date.now() + 15_000;
	while (markedProcesses(marker).length > 0) {
		assert.ok(Date.now() < goneBy, `still running after q: ${markedProcesses(marker).map(pid => `${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}`).join('; ')}`);
		await delay(200);
	}
});
