// --blocking: every thread is stopped (ptrace) around each sample and always resumed: after a
// capture, and after Ctrl-C or SIGTERM in the middle of one, the target runs on untraced.
// run --blocking: the script keeps its stdout and exit code, and ends untraced. The live view
// samples with --blocking too (attach and run).
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {render} from 'ink-testing-library';
import {createElement} from 'react';
import {LiveView} from '../components/live-view.js';
import {startScriptBlocking} from '../source/commands/run.js';
import {LiveStore} from '../live/live-store.js';
import {ThreadFreezer} from '../sampler/ptrace.js';
import {cli, countOf, delay, within, fixtures, parseCollapsed, python, runCli, runsOnNormally, shareOf, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';
import {waitForFrame} from './live-helpers.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

/**
 * run --blocking SCRIPT in a terminal, Ctrl-C in the middle: the script gets the SIGINT
 * once, acts on it itself (its KeyboardInterrupt traceback, not cut short by our SIGTERM),
 * and the profile is written. `loop`: the script's main loop, after its setup.
 */
function ctrlCInTerminal(py: {path: string}, loop: string): void {
	const dir = tempDir();
	const script = path.join(dir, 'loop.py');
	const received = path.join(dir, 'signals');
	// The wakeup fd gets one byte per signal as it is delivered (in C, before any Python runs).
	// A SIGINT still pending when a SIGTERM comes gets no byte: the kernel sets up its handler
	// and then takes the SIGTERM, fatal, before returning to the script.
	fs.writeFileSync(script, `import os, signal, time
signal.set_wakeup_fd(os.open(${JSON.stringify(received)}, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK))
print("wakeup-fd-set", flush=True)
def hot():
    return sum(range(1000))
${loop}`);
	// A terminal sends Ctrl-C's SIGINT to its whole foreground process group: us, the
	// intermediate and the script. The intermediate must neither pass it on a second
	// time nor leave the script ignoring it (as a shell's background job would).
	const driver = path.join(dir, 'drive_terminal.py');
	fs.writeFileSync(driver, `import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out, sent, start = b"", False, time.monotonic()
while time.monotonic() - start < 30:
    # Sampling has begun and the script counts signals (on a loaded machine the sampler can
    # attach before the script's first line has run).
    if not sent and b"Stats:" in out and b"wakeup-fd-set" in out:
        time.sleep(0.3)
        os.write(fd, b"\\x03")
        sent = True
    if select.select([fd], [], [], 0.1)[0]:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
`);
	const out = path.join(dir, 'ctrl-c.txt');
	const result = spawnSync(py.path, [driver, process.execPath, cli, 'run', '--blocking', '--realtime-stats', '--collapsed', '-o', out, '--python', py.path, script], {encoding: 'utf8', timeout: 60_000});
	const text = result.stdout;
	assert.match(text, /Wrote collapsed stacks/, `${text}\n${result.stderr}`);
	assert.deepEqual([...fs.readFileSync(received)], [2], `one SIGINT, and only one, reached the script; the terminal showed:\n${text}`);
	assert.match(text, /^\S*KeyboardInterrupt\S*\r?$/m, `the script ended by its own Ctrl-C; the terminal showed:\n${text}`);
	assert.ok(shareOf(parseCollapsed(fs.readFileSync(out, 'utf8')), 'loop.py:hot:') > 30);
}

const versions = testPythons().filter(candidate => ['3.11', '3.13', '3.15'].includes(candidate.version));
for (const py of versions) {
	describe(`--blocking on Python ${py.version}`, () => {
		test('a blocking capture sees every thread, and the target runs on after it', async () => {
			const target = await startPython(py, 'threads.py');
			running.push(target);
			const out = path.join(tempDir(), 'blocking.txt');
			const {code, stderr} = await runCli(['attach', '--blocking', '-a', '-d', '1.5', '--realtime-stats', '--collapsed', '-o', out, String(target.pid)]);
			assert.equal(code, 0, stderr);
			assert.match(stderr, /Pause: [\d.]+µs\/sample/, 'the pause cost is reported');
			const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
			for (const name of ['spin_one', 'spin_two', 'sleeper', '<module>']) {
				assert.ok(shareOf(stacks, `threads.py:${name}:`) > 10, `${name} sampled`);
			}

			await runsOnNormally(target.pid);
			const dump = await runCli(['dump', '--blocking', '-a', String(target.pid)]);
			assert.equal(dump.code, 0, dump.stderr);
			assert.match(dump.stdout, /in spin_one/);
			assert.match(dump.stdout, /on CPU/, 'on-CPU state is taken before the threads stop');
			await runsOnNormally(target.pid);
			await target.stop();
		});

		test('threads that start and end while the others are stopped cost no failed stop', async () => {
			const target = await startPython(py, 'churn.py');
			running.push(target);
			const out = path.join(tempDir(), 'churn.txt');
			const {code, stderr} = await runCli(['attach', '--blocking', '-a', '-r', '2khz', '-d', '3', '--collapsed', '-o', out, String(target.pid)]);
			assert.equal(code, 0, stderr);
			assert.doesNotMatch(stderr, /sampling stopped|permission denied/);
			const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
			assert.ok(shareOf(stacks, 'churn.py:spin:') > 10, 'the spinners sampled');
			assert.ok(shareOf(stacks, 'churn.py:short_life:') > 0, 'short-lived threads sampled too');
			await runsOnNormally(target.pid);
			await target.stop();
		});

		test('a process that exits while its threads are being stopped is no permission error', async () => {
			// An exiting thread (its main thread too, at the end) refuses PTRACE_SEIZE with EPERM:
			// that was taken for a refusal of permission ("sampling stopped: permission denied").
			const script = await startScriptBlocking({target: [path.join(fixtures, 'churn.py'), '1'], module: false, python: py.path}, true);
			fs.writeSync(script.gateFd, 'g'); // Past its start gate (what the sampler does once it has read it).
			fs.closeSync(script.gateFd);
			const freezer = new ThreadFreezer(script.pid);
			let pauses = 0;
			try {
				for (const deadline = Date.now() + 30_000; fs.existsSync(`/proc/${script.pid}/task`) && Date.now() < deadline; pauses++) {
					freezer.pause();
					freezer.resume();
				}
			} finally {
				freezer.resume();
				script.stop();
			}

			assert.ok(pauses > 10, `${pauses} pauses`);
			// A traced thread that exits stays a zombie until its tracer reaps it, holding up its process's exit.
			assert.equal(await within(script.exitCode(), 30_000, 'the script\'s exit'), 0);
		});

		for (const signal of ['SIGINT', 'SIGTERM'] as const) {
			test(`${signal} mid-capture: the profile is written and the target runs on`, async () => {
				const target = await startPython(py, 'threads.py');
				running.push(target);
				const out = path.join(tempDir(), 'interrupted.txt');
				const result = await runCli(['attach', '--blocking', '-a', '-r', '5khz', '--realtime-stats', '--collapsed', '-o', out, String(target.pid)], {
					onSpawn(child) {
						// Signal once sampling runs (the first stats line), in the middle of the capture.
						let sent = false;
						child.stderr!.on('data', (data: Buffer) => {
							if (!sent && data.toString().includes('Stats:')) {
								sent = true;
								setTimeout(() => child.kill(signal), 300);
							}
						});
					},
				});
				assert.equal(result.code, 0, result.stderr);
				assert.ok(shareOf(parseCollapsed(fs.readFileSync(out, 'utf8')), 'threads.py:spin_one:') > 10);
				await runsOnNormally(target.pid);
				await target.stop();
			});
		}
	});
}

// run --blocking: the script runs as our grandchild (through a small intermediate), so the
// worker, its tracer, gets its ptrace stops rather than libuv's reaping of Node's children.
const hotScript = `import sys, time
def hot_loop():
    n = 0
    for i in range(20000):
        n += i
    return n
print("script says hello", flush=True)
end = time.monotonic() + 1
while time.monotonic() < end:
    hot_loop()
print("script says bye", flush=True)
sys.exit(3)
`;

/** The pids in /proc/PID/task/PID/children (the children of that process's main thread). */
function childrenOf(pid: number): number[] {
	try {
		return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number).filter(child => isScriptFamily(child));
	} catch {
		return [];
	}
}

/**
 * Not a helper of ours that reads a source file as the target's user (a short-lived node
 * child, seen now and then on a loaded machine), nor a process gone already (the script and
 * its intermediate are there while the capture runs).
 */
function isScriptFamily(pid: number): boolean {
	try {
		return fs.readlinkSync(`/proc/${pid}/exe`) !== process.execPath;
	} catch {
		return false;
	}
}

/** Each of `pids` ends within 5 s, and is never seen stopped or traced on its way out. */
async function endUntraced(pids: number[]): Promise<void> {
	const deadline = Date.now() + 5000;
	for (const pid of pids) {
		while (Date.now() < deadline) {
			let status;
			try {
				status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
			} catch {
				break; // Gone (and reaped).
			}

			const state = /^State:\s+(\S)/m.exec(status)?.[1];
			assert.ok(state !== 't' && state !== 'T', `process ${pid} is left ${state}`);
			assert.match(status, /^TracerPid:\s+0$/m, `process ${pid} is left traced`);
			await delay(50);
		}

		assert.ok(!fs.existsSync(`/proc/${pid}`), `process ${pid} still runs`);
	}
}

for (const py of testPythons().filter(candidate => ['3.11', '3.15'].includes(candidate.version))) {
	describe(`run --blocking on Python ${py.version}`, () => {
		test('the script is sampled at its lines, its stdout arrives and its exit code is ours', async () => {
			const dir = tempDir();
			const script = path.join(dir, 'hot_script.py');
			fs.writeFileSync(script, hotScript);
			const out = path.join(dir, 'run.txt');
			const {code, stdout, stderr} = await runCli(['run', '--blocking', '--realtime-stats', '--collapsed', '-o', out, '--python', py.path, script]);
			assert.equal(code, 3, stderr);
			assert.match(stdout, /script says hello\nscript says bye\n/);
			assert.match(stderr, /Pause: [\d.]+µs\/sample/, 'the pause cost is reported');
			const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
			assert.ok(shareOf(stacks, 'hot_script.py:<module>:10;hot_script.py:hot_loop:') > 50, `hot_loop sampled under its call: ${[...stacks.keys()].slice(0, 5).join('\n')}`);
			assert.ok(shareOf(stacks, 'hot_script.py:hot_loop:4') + shareOf(stacks, 'hot_script.py:hot_loop:5') > 50, 'at the lines of its loop');
		});

		for (const signal of ['SIGINT', 'SIGTERM'] as const) {
			test(`${signal} mid-capture: the profile is written, and the script ends untraced`, async () => {
				const out = path.join(tempDir(), 'interrupted.txt');
				let family: number[] = [];
				const result = await runCli(['run', '--blocking', '-a', '--realtime-stats', '--collapsed', '-o', out, '--python', py.path, path.join(fixtures, 'threads.py')], {
					onSpawn(child) {
						let sent = false;
						child.stderr!.on('data', (data: Buffer) => {
							if (!sent && data.toString().includes('Stats:')) {
								sent = true;
								setTimeout(() => {
									// The intermediate and the script, to check on once we are done.
									family = childrenOf(child.pid!).flatMap(pid => [pid, ...childrenOf(pid)]);
									child.kill(signal);
								}, 300);
							}
						});
					},
				});
				assert.equal(result.code, 0, result.stderr);
				assert.equal(family.length, 2, `the intermediate and the script: ${family.join(', ')}`);
				const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
				assert.ok(shareOf(stacks, 'threads.py:spin_one:') > 10, 'spin_one sampled');
				assert.ok([...stacks.keys()].some(stack => stack.startsWith(`tid:${family[1]!};`)), 'the script (the grandchild) was the target');
				await endUntraced(family);
			});
		}

		test('Ctrl-C in a terminal reaches the script once, and the profile is written', () => {
			ctrlCInTerminal(py, `while True:
    hot()
`);
		});

		test('Ctrl-C still pending in the script (as in a sample\'s pause) is not overtaken by our SIGTERM', () => {
			// SIGINT blocked nearly all the time: the terminal's Ctrl-C stays pending in the script
			// for up to 0.2 s, as it does while a sample holds the script stopped. Our SIGTERM (the
			// profile written, child.stop()) came within ms and, SIGTERM's default action being
			// fatal, ended the script before SIGINT's handler ever ran (fails 5 of 5 so).
			ctrlCInTerminal(py, `while True:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    end = time.monotonic() + 0.2
    while time.monotonic() < end:
        hot()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
`);
		});

		test('--subprocesses: the script\'s multiprocessing workers are followed too', async () => {
			const dir = tempDir();
			const {code, stderr} = await runCli(['run', '--blocking', '--subprocesses', '--collapsed', '-o', path.join(dir, 'out.txt'), '--python', py.path, path.join(fixtures, 'multiproc.py'), '5'], {timeoutMs: 120_000});
			assert.equal(code, 0, stderr);
			assert.ok(shareOf(parseCollapsed(fs.readFileSync(path.join(dir, 'out.txt'), 'utf8')), 'multiproc.py:parent_wait:') > 30, 'the parent waits on its pool');
			const workers = fs.readdirSync(dir).filter(name => /^out_\d+\.txt$/.test(name)
				&& countOf(parseCollapsed(fs.readFileSync(path.join(dir, name), 'utf8')), 'multiproc.py:worker_busy:') >= 20);
			assert.equal(workers.length, 2, stderr);
		});

		test('-d ends the script once the duration is up', async () => {
			const out = path.join(tempDir(), 'timed.txt');
			const started = Date.now();
			const {code, stderr} = await runCli(['run', '--blocking', '-d', '1', '--collapsed', '-o', out, '--python', py.path, path.join(fixtures, 'threads.py')]);
			assert.equal(code, 0, stderr);
			assert.ok(Date.now() - started < 20_000);
			assert.ok(shareOf(parseCollapsed(fs.readFileSync(out, 'utf8')), 'threads.py:') > 50);
		});
	});
}

describe('--blocking in the live view', () => {
	const py = python('3.15') ?? testPythons().at(-1)!;
	test('attach: the view shows every thread and the pause per sample; after it the target runs on untraced', async () => {
		// Not this process's own child (libuv reaps its children's stops): started as run --blocking starts scripts.
		const target = await startScriptBlocking({target: [path.join(fixtures, 'threads.py')], module: false, python: py.path}, true);
		// The target runs until stopped: stopped on every way out, or the test file never ends.
		try {
			const store = new LiveStore({pid: target.pid, intervalUs: 1000, blocking: true, outputDir: tempDir(), waitForRuntimeMs: 5000, gateFd: target.gateFd}).start();
			const view = render(createElement(LiveView, {store, onQuit() {}}));
			try {
				const shown = await waitForFrame(() => view.lastFrame() ?? '', text => text.includes('spin_one') && text.includes('spin_two') && text.includes('sleeper'), 20_000);
				const pause = / pause (\d+(?:\.\d)?)(µs|ms)\/sample/.exec(shown);
				assert.ok(pause, shown);
			} finally {
				view.unmount();
				store.stop();
				await store.finished;
			}

			await runsOnNormally(target.pid);
		} finally {
			target.stop();
		}
	});

	const tmux = '/usr/bin/tmux';
	test('run --live --blocking in a terminal: the script is sampled through the grandchild, q ends it', {skip: fs.existsSync(tmux) ? false : 'tmux is not installed', timeout: 60_000}, async t => {
		const dir = tempDir();
		const session = `tachyon-top-blocking-${process.pid}`;
		const exitFile = path.join(dir, 'exit-code');
		const command = `cd ${dir} && env -u CI TERM=xterm-256color ${process.execPath} ${cli} run --live --blocking --python ${py.path} ${path.join(fixtures, 'threads.py')}; echo $? > ${exitFile}; sleep 60`;
		execFileSync(tmux, ['new-session', '-d', '-s', session, '-x', '120', '-y', '32', command]);
		t.after(() => {
			try {
				execFileSync(tmux, ['kill-session', '-t', session]);
			} catch {
				// Already gone with its command.
			}
		});
		const capture = () => execFileSync(tmux, ['capture-pane', '-p', '-t', session], {encoding: 'utf8'});
		let screen = '';
		for (const deadline = Date.now() + 30_000; !(screen.includes('spin_one') && screen.includes('spin_two') && / pause \d/.test(screen)); await delay(200)) {
			assert.ok(Date.now() < deadline, `the live view never showed both spinners and the pause:\n${screen}`);
			screen = capture();
		}

		const scriptPid = Number(/PID (\d+)/.exec(screen)?.[1]);
		assert.ok(scriptPid > 0, screen);
		assert.match(fs.readFileSync(`/proc/${scriptPid}/cmdline`, 'utf8'), /threads\.py/, 'the PID shown is the script, not the intermediate');
		execFileSync(tmux, ['send-keys', '-t', session, 'q']);
		for (const deadline = Date.now() + 15_000; !fs.existsSync(exitFile); await delay(100)) {
			assert.ok(Date.now() < deadline, `q did not end the view:\n${capture()}`);
		}

		assert.equal(fs.readFileSync(exitFile, 'utf8').trim(), '0');
		for (const deadline = Date.now() + 5000; fs.existsSync(`/proc/${scriptPid}`) && !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${scriptPid}/status`, 'utf8')); await delay(100)) {
			assert.ok(Date.now() < deadline, 'the script ends with the view');
		}
	});
});
