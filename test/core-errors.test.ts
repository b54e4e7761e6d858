// Bad input gets one clear line and a non-zero exit, never a stack trace.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, test} from 'node:test';
import {fixtures, root, runCli, startPython, testPythons, type CliResult, type PythonProcess} from './helpers.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

function assertOneLineError(result: CliResult, code: number, pattern: RegExp): void {
	assert.equal(result.code, code, result.stderr);
	assert.match(result.stderr, pattern);
	assert.equal(result.stderr.trimEnd().split('\n').length, 1, `one line: ${result.stderr}`);
	assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
	assert.match(result.stderr, /^tachyon-top: /);
}

test('unknown PID', async () => {
	assertOneLineError(await runCli(['attach', '-d', '1', '4194300']), 1, /No such process: 4194300/);
	assertOneLineError(await runCli(['dump', '4194300']), 1, /No such process: 4194300/);
});

test('a process that is not Python', async () => {
	const sleeper = spawn('sleep', ['30']);
	try {
		assertOneLineError(await runCli(['attach', '-d', '1', String(sleeper.pid)]), 1, new RegExp(`Process ${sleeper.pid} \\(sleep\\) is not a Python process`));
	} finally {
		sleeper.kill();
	}
});

const tooOld = ['3.7', '3.6'].map(version => {
	const versions = path.join(os.homedir(), '.pyenv', 'versions');
	const found = fs.existsSync(versions) ? fs.readdirSync(versions).find(name => name.startsWith(`${version}.`)) : undefined;
	return found ? {version, path: path.join(versions, found, 'bin', `python${version}`)} : undefined;
}).find(candidate => candidate !== undefined);

test('an unsupported Python', {skip: tooOld ? false : 'no Python older than 3.8 on this machine (pyenv 3.6/3.7)'}, async () => {
	const target = await startPython(tooOld!, 'sleep.py');
	running.push(target);
	assertOneLineError(await runCli(['attach', '-d', '1', String(target.pid)]), 1, new RegExp(`Python ${tooOld!.version.replace('.', '\\.')} is not supported \\(3\\.8–3\\.15 are\\)`));
});

// nobody's Python is the system's: a test Python may sit under /root, which nobody cannot enter.
const canDropPrivileges = process.getuid?.() === 0 && fs.existsSync('/usr/sbin/runuser') && fs.existsSync('/usr/bin/setpriv') && fs.existsSync('/usr/bin/python3');
const dropNote = 'needs root, runuser, setpriv and /usr/bin/python3 to run as another user';
test('missing permission: another user\'s process (root\'s) says sudo, or the capability on a copy of node', {skip: canDropPrivileges ? false : dropNote}, async () => {
	const target = await startPython(testPythons()[0]!, 'sleep.py');
	running.push(target);
	// As `nobody`, reading a root-owned process is refused.
	const result = await runCli(['attach', '-d', '1', String(target.pid)], {asUser: 'nobody', cwd: os.tmpdir()});
	assertOneLineError(result, 1, /permission denied .*process \d+: it belongs to root: run tachyon-top with sudo; to trace without sudo, grant CAP_SYS_PTRACE to a copy of node kept for tachyon-top, not to every Node \(sudo cp .* && sudo setcap cap_sys_ptrace\+ep \/usr\/local\/bin\/node-ptrace, then: .* attach \d+\)$/m);
	assert.doesNotMatch(result.stderr, /\$\(which node\)/, 'never the system\'s node');
});

/** A Python that runs as `nobody` (setpriv execs, so the PID is Python's), not dumpable when asked. */
async function nobodysPython(dumpable: boolean): Promise<{pid: number; stop: () => void}> {
	const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tachyon-top-nobody-')), 'idle.py');
	fs.chmodSync(path.dirname(script), 0o755);
	fs.writeFileSync(script, `import ctypes, time\n${dumpable ? '' : 'ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0\n'}print("ready", flush=True)\ntime.sleep(600)\n`, {mode: 0o644});
	const child = spawn('/usr/bin/setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '/usr/bin/python3', script], {stdio: ['ignore', 'pipe', 'pipe']});
	let output = '';
	await new Promise<void>((resolve, reject) => {
		child.stdout.on('data', (data: Buffer) => {
			output += data.toString();
			if (output.includes('ready')) {
				resolve();
			}
		});
		child.stderr.on('data', (data: Buffer) => {
			output += data.toString();
		});
		child.on('exit', code => {
			reject(new Error(`nobody's Python exited with ${code}: ${output}`));
		});
	});
	return {
		pid: child.pid!,
		stop() {
			child.kill('SIGKILL');
			fs.rmSync(path.dirname(script), {recursive: true, force: true});
		},
	};
}

test('missing permission: a non-dumpable process of our own user says sudo, not "run as the target\'s user"', {skip: canDropPrivileges ? false : dropNote}, async () => {
	const target = await nobodysPython(false);
	try {
		const result = await runCli(['attach', '-d', '1', String(target.pid)], {asUser: 'nobody', cwd: os.tmpdir()});
		assertOneLineError(result, 1, new RegExp(`permission denied .*process ${target.pid}: it is not dumpable \\(it called prctl\\(PR_SET_DUMPABLE, 0\\).*: run tachyon-top with sudo, or grant CAP_SYS_PTRACE`));
		assert.doesNotMatch(result.stderr, /target's user/);
		// The same process, dumpable: nobody reads it (the refusal was the flag, nothing else).
		const readable = await nobodysPython(true);
		try {
			const ok = await runCli(['dump', String(readable.pid)], {asUser: 'nobody', cwd: os.tmpdir()});
			assert.equal(ok.code, 0, ok.stderr);
		} finally {
			readable.stop();
		}
	} finally {
		target.stop();
	}
});

test('missing permission: root without CAP_SYS_PTRACE (as in a container) is told about the capability, not "run as root"', {skip: canDropPrivileges ? false : dropNote}, async () => {
	const target = await nobodysPython(true);
	try {
		// setpriv drops the capability from the bounding set, so the node it starts as root has none.
		const child = spawn('/usr/bin/setpriv', ['--inh-caps=-sys_ptrace', '--bounding-set=-sys_ptrace', process.execPath, path.join(root, 'dist', 'source', 'cli.js'), 'attach', '-d', '1', String(target.pid)], {stdio: ['ignore', 'pipe', 'pipe']});
		let stderr = '';
		child.stderr.on('data', (data: Buffer) => {
			stderr += data.toString();
		});
		const code = await new Promise<number | null>(resolve => {
			child.on('exit', resolve);
		});
		assertOneLineError({code, stdout: '', stderr}, 1, /runs as root but without CAP_SYS_PTRACE \(a container started without --cap-add SYS_PTRACE\?\), and process \d+ belongs to nobody: give the capability .* or run tachyon-top as nobody$/m);
		assert.doesNotMatch(stderr, /sudo/);
	} finally {
		target.stop();
	}
});

test('bad rate, duration, limit and a missing PID are usage errors', async () => {
	assertOneLineError(await runCli(['attach', '-r', 'fast', '1']), 2, /Expected `--sampling-rate` to be a rate like 1000, 10khz, 10k or 1mhz .*got `fast`/);
	assertOneLineError(await runCli(['attach', '-d', '-3', '1']), 2, /duration/);
	assertOneLineError(await runCli(['attach', '-d', 'soon', '1']), 2, /Expected `--duration` to be a number of seconds greater than 0, got `soon`/);
	assertOneLineError(await runCli(['attach']), 2, /Expected one process id/);
	assertOneLineError(await runCli(['attach', 'abc']), 2, /Expected one process id.*abc/);
	assertOneLineError(await runCli(['frobnicate']), 2, /Unknown command `frobnicate`/);
	assertOneLineError(await runCli(['attach', '--pstats', '--collapsed', '1']), 2, /Choose one output format/);
});

test('a script or module that does not exist: Tachyon\'s words, at once', async () => {
	const started = performance.now();
	assertOneLineError(await runCli(['run', path.join(fixtures, 'no-such-script.py')]), 1, /Script '.*no-such-script\.py' not found\.\n$/);
	assertOneLineError(await runCli(['run', '-m', 'missing_module', '--flag']), 1, /^tachyon-top: Module 'missing_module' not found\.\n$/);
	assertOneLineError(await runCli(['run', '--live', '-m', 'missing_module']), 1, /Module 'missing_module' not found\./);
	assertOneLineError(await runCli(['run', '-m', 'missing_package.sub']), 1, /Module 'missing_package\.sub' not found\./);
	assertOneLineError(await runCli(['run']), 2, /Expected a script to run/);
	// Each is answered before anything is sampled (a target that never started was waited for 5 s).
	assert.ok(performance.now() - started < 20_000, `${performance.now() - started} ms`);
	// A module that exists, in the current directory as python -m finds it, is run.
	const found = await runCli(['run', '-d', '1', '--collapsed', '-o', path.join(os.tmpdir(), `short-${process.pid}.txt`), '-m', 'short', '0.5'], {cwd: fixtures});
	assert.equal(found.code, 0, found.stderr);
});

test('the help lists the commands, a command\'s help its flags', async () => {
	const {code, stdout} = await runCli(['--help'], {cwd: root});
	assert.equal(code, 0);
	for (const word of ['run', 'attach', 'dump', 'replay']) {
		assert.ok(stdout.includes(word), word);
	}

	const attach = await runCli(['attach', '--help'], {cwd: root});
	for (const word of ['--sampling-rate', '--all-threads', '--collapsed']) {
		assert.ok(attach.stdout.includes(word), word);
	}
});
