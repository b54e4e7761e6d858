// The process behind a PID may change while we sample it, and we may be stopped ourselves:
// an exec is followed (the new program's interpreter is read, the boundary kept), a PID taken
// by another Python ends the capture as "process N exited" with only the target's samples, a
// target killed under --blocking is reported as exited (not as a permission problem), and a
// Ctrl-Z (SIGTSTP) under --blocking never leaves the target's threads stopped while we are.
import assert from 'node:assert/strict';
import {type ChildProcess, spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {readBinaryProfile} from '../exporters/binary-reader.js';
import {delay, fixtures, parseCollapsed, python, runCli, shareOf, startPython, tempDir, testPythons} from './helpers.js';

const dir = tempDir('tachyon-top-identity-');
const newest = python('3.15') ?? testPythons().at(-1);
const oldest = testPythons()[0];
after(() => {
	fs.rmSync(dir, {recursive: true, force: true});
});

async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
		await delay(20);
	}
}

/** The CLI has attached to `pid`: it holds /proc/PID/stat open (its identity check). */
function attachedTo(cli: ChildProcess, pid: number): boolean {
	try {
		return fs.readdirSync(`/proc/${cli.pid}/fd`).some(fd => {
			try {
				return fs.readlinkSync(`/proc/${cli.pid}/fd/${fd}`) === `/proc/${pid}/stat`;
			} catch {
				return false;
			}
		});
	} catch {
		return false;
	}
}

function stateOf(pid: number): string | undefined {
	try {
		const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
	} catch {
		return undefined;
	}
}

/** Threads of `pid` that are traced (TracerPid set) or in a tracing stop. */
function tracedThreads(pid: number): string[] {
	const traced: string[] = [];
	for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
		try {
			const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
			if (!/^TracerPid:\s+0$/m.test(status) || /^State:\s+t/m.test(status)) {
				traced.push(tid);
			}
		} catch {
			// The thread ended.
		}
	}

	return traced;
}

function cliProcess(args: string[]): {child: ChildProcess; result: Promise<{code: number | null; stderr: string}>} {
	let stderr = '';
	let child!: ChildProcess;
	const result = runCli(args, {timeoutMs: 120_000, onSpawn(spawned) {
		child = spawned;
	}, onStderr(_, text) {
		stderr = text;
	}}).then(done => ({code: done.code, stderr: done.stderr || stderr}));
	return {child, result};
}

describe('the target under a PID', () => {
	const pairs = [[newest, newest], [oldest, newest]].filter((pair, index, all) => pair[0] && pair[1] && (index === 0 || pair[0] !== all[0]![0]));
	for (const [from, to] of pairs) {
		test(`an exec is followed: Python ${from!.version} → ${to!.version}, both programs sampled, the boundary kept`, {timeout: 120_000}, async () => {
			const target = await startPython(from!, 'exec-into.py', ['first', '3', to!.path]);
			const archive = path.join(dir, `exec-${from!.version}-${to!.version}.bin`);
			try {
				const result = await runCli(['attach', '-d', '6', '--binary', '-o', archive, String(target.pid)], {timeoutMs: 120_000});
				assert.equal(result.code, 0, result.stderr);
			} finally {
				await target.stop();
			}

			const {profile} = readBinaryProfile(fs.readFileSync(archive));
			assert.equal(profile.execs.length, 1, 'one exec, kept in the archive');
			assert.ok(profile.execs[0]!.atUs > 0 && profile.execs[0]!.atUs < 5_000_000, `at ${profile.execs[0]!.atUs} µs`);
			assert.equal(profile.meta.pythonVersion.split('.').slice(0, 2).join('.'), to!.version);
			const collapsed = path.join(dir, `exec-${from!.version}-${to!.version}.txt`);
			assert.equal((await runCli(['replay', '--collapsed', '-o', collapsed, archive])).code, 0);
			const stacks = parseCollapsed(fs.readFileSync(collapsed, 'utf8'));
			assert.ok(shareOf(stacks, ':before_exec:') > 10, 'the first program');
			assert.ok(shareOf(stacks, ':after_exec:') > 10, 'the program it exec\'d');
			const errorRate = profile.stats.attempts > 0 ? profile.stats.errors / profile.stats.attempts : 1;
			assert.ok(errorRate < 0.2, `error rate ${(errorRate * 100).toFixed(1)}%`);
			const table = await runCli(['replay', archive]);
			assert.match(table.stdout, new RegExp(`exec'd at \\d+\\.\\d+ s into .*exec-into\\.py second \\(Python ${to!.version.replace('.', '\\.')}`));
		});
	}

	const asRoot = process.getuid?.() === 0 && fs.existsSync('/usr/bin/setarch');
	test('a PID taken by another Python (same layout) ends the capture as "exited", with only the target\'s samples', {skip: !asRoot ? 'needs root (ns_last_pid) and setarch' : !newest ? 'no test Python' : false, timeout: 120_000}, async () => {
		// Both without address randomisation: the newcomer's runtime sits where the target's did.
		const run = (name: string) => spawn('/usr/bin/setarch', [process.arch === 'arm64' ? 'aarch64' : 'x86_64', '-R', newest!.path, path.join(fixtures, 'exec-into.py'), 'spin', name], {stdio: ['ignore', 'pipe', 'inherit']});
		const target = run('original_work');
		await new Promise(resolve => target.stdout.once('data', resolve));
		const out = path.join(dir, 'reused.txt');
		const cli = cliProcess(['attach', '-d', '60', '--collapsed', '-o', out, String(target.pid)]);
		let newcomer: number | undefined;
		try {
			await waitFor(() => attachedTo(cli.child, target.pid!), 'the capture to attach');
			await delay(500);
			// Stopped, the capture cannot see the target die; the PID is then given to the newcomer.
			cli.child.kill('SIGSTOP');
			await waitFor(() => stateOf(cli.child.pid!) === 'T', 'the capture to stop');
			const gone = new Promise(resolve => target.once('exit', resolve));
			target.kill('SIGKILL');
			await gone;
			const launcher = spawn(newest!.path, [path.join(fixtures, 'pid-reuse.py'), String(target.pid), '/usr/bin/setarch', process.arch === 'arm64' ? 'aarch64' : 'x86_64', '-R', newest!.path, path.join(fixtures, 'exec-into.py'), 'spin', 'newcomer_work'], {stdio: ['ignore', 'pipe', 'inherit']});
			let said = '';
			launcher.stdout.on('data', (data: Buffer) => {
				said += data.toString();
			});
			await waitFor(() => said.includes('reused') || said.includes('failed'), 'the PID to be given again');
			assert.match(said, /reused/, 'the newcomer has the target\'s PID');
			newcomer = target.pid;
			await waitFor(() => said.split('ready').length > 1 || fs.readFileSync(`/proc/${newcomer}/cmdline`, 'utf8').includes('newcomer_work'), 'the newcomer to run');
			await delay(300);
			cli.child.kill('SIGCONT');
			const result = await cli.result;
			assert.equal(result.code, 0, result.stderr);
			assert.match(result.stderr, new RegExp(`process ${target.pid} exited`));
			const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
			assert.ok(shareOf(stacks, ':original_work:') > 50, 'the target\'s samples are written');
			assert.equal(shareOf(stacks, ':newcomer_work:'), 0, 'none of the newcomer\'s');
		} finally {
			cli.child.kill('SIGCONT');
			cli.child.kill('SIGKILL');
			target.kill('SIGKILL');
			if (newcomer !== undefined) {
				try {
					process.kill(newcomer, 'SIGKILL');
				} catch {
					// Gone.
				}
			}
		}
	});

	test('--blocking: a target killed mid-capture is reported as exited, never as a permission problem (10 rounds)', {skip: newest ? false : 'no test Python', timeout: 300_000}, async () => {
		for (let round = 0; round < 10; round++) {
			const target = await startPython(newest!, 'threads.py');
			const out = path.join(dir, `killed-${round}.txt`);
			const cli = cliProcess(['attach', '--blocking', '-a', '-d', '60', '--collapsed', '-o', out, String(target.pid)]);
			try {
				await waitFor(() => attachedTo(cli.child, target.pid), 'the capture to attach');
				await delay(200 + (round * 37));
				target.child.kill('SIGKILL');
				const result = await cli.result;
				assert.doesNotMatch(result.stderr, /permission/i, `round ${round}`);
				assert.equal(result.code, 0, `round ${round}: ${result.stderr}`);
				assert.match(result.stderr, /exited/, `round ${round}`);
			} finally {
				cli.child.kill('SIGKILL');
				await target.stop();
			}
		}
	});

	test('--blocking and Ctrl-Z (SIGTSTP): every thread of the target runs while we are stopped, sampling resumes on SIGCONT (20 rounds)', {skip: newest ? false : 'no test Python', timeout: 300_000}, async () => {
		const target = await startPython(newest!, 'threads.py');
		const out = path.join(dir, 'suspended.txt');
		// 2 kHz: the threads are stopped for a large share of the time, so a stop lands mid-sample.
		const cli = cliProcess(['attach', '--blocking', '-a', '-r', '2000', '-d', '120', '--collapsed', '-o', out, String(target.pid)]);
		try {
			await waitFor(() => attachedTo(cli.child, target.pid), 'the capture to attach');
			for (let round = 0; round < 20; round++) {
				await delay(50 + ((round * 13) % 100));
				cli.child.kill('SIGTSTP');
				await waitFor(() => stateOf(cli.child.pid!) === 'T', `round ${round}: tachyon-top to stop`);
				await delay(50);
				assert.deepEqual(tracedThreads(target.pid), [], `round ${round}: threads left stopped while tachyon-top is`);
				cli.child.kill('SIGCONT');
				await waitFor(() => stateOf(cli.child.pid!) !== 'T', `round ${round}: tachyon-top to run on`);
			}

			cli.child.kill('SIGINT');
			const result = await cli.result;
			assert.equal(result.code, 0, result.stderr);
			const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
			assert.ok([...stacks.values()].reduce((sum, count) => sum + count, 0) > 50, 'samples before and after the stops');
		} finally {
			cli.child.kill('SIGCONT');
			cli.child.kill('SIGKILL');
			await target.stop();
		}
	});
});
