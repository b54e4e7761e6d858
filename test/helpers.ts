// Shared by every test: the installed test Pythons, starting real Python targets, running the CLI.
import assert from 'node:assert/strict';
import {execFileSync, spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {descendants} from '../sampler/proc.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixtures = path.join(root, 'test', 'fixtures');
export const cli = path.join(root, 'dist', 'source', 'cli.js');
const cache = process.env['TACHYON_TOP_CACHE'] ?? path.join(root, '.cache');

export type TestPython = {readonly version: string; readonly path: string};

function firstExisting(candidates: string[]): string | undefined {
	return candidates.find(candidate => fs.existsSync(candidate));
}

function pyenvPython(minor: string): string | undefined {
	const versions = path.join(os.homedir(), '.pyenv', 'versions');
	const found = fs.existsSync(versions) ? fs.readdirSync(versions).filter(name => name.startsWith(`${minor}.`)).sort() : [];
	return found.length > 0 ? path.join(versions, found.at(-1)!, 'bin', `python${minor}`) : undefined;
}

/**
 * Every test Python present on this machine, oldest first: 3.8 and 3.10 from pyenv, 3.9 from
 * Debian bullseye (scripts/install-test-pythons.sh; pyenv's where that could not be had),
 * 3.11 the system's, 3.12 pyenv's, 3.13–3.15 from Debian sid. Versions pyenv lacks here are
 * skipped, with a message where a suite wants them (missingVersions).
 */
export function testPythons(): TestPython[] {
	const found: TestPython[] = [];
	const fromCache = (minor: string) => {
		const candidate = path.join(cache, 'pythons', minor, 'usr', 'bin', `python${minor}`);
		return fs.existsSync(candidate) ? candidate : undefined;
	};

	const candidates: Array<[string, string | undefined]> = [
		['3.8', pyenvPython('3.8')],
		['3.9', fromCache('3.9') ?? pyenvPython('3.9')],
		['3.10', pyenvPython('3.10')],
		['3.11', firstExisting(['/usr/bin/python3.11', ...[pyenvPython('3.11')].filter((p): p is string => p !== undefined)])],
		['3.12', pyenvPython('3.12')],
		['3.13', fromCache('3.13')],
		['3.14', fromCache('3.14')],
		['3.15', fromCache('3.15')],
	];
	for (const [version, interpreter] of candidates) {
		if (interpreter && fs.existsSync(interpreter)) {
			found.push({version, path: interpreter});
		}
	}

	return found;
}

/** Debian's debug builds (python3.Xd: Py_DEBUG) installed by scripts/install-test-pythons.sh: 3.9 from bullseye, 3.11 from bookworm, 3.13–3.15 from sid. */
export function debugPythons(): TestPython[] {
	return ['3.9', '3.11', '3.13', '3.14', '3.15']
		.map(version => ({version, path: path.join(cache, 'pythons', `${version}-dbg`, 'usr', 'bin', `python${version}d`)}))
		.filter(python => fs.existsSync(python.path));
}

/** The minor version as a number (3.9 → 9), for comparisons that strings get wrong ('3.9' > '3.14'). */
export function minorOf(python: TestPython): number {
	return Number(python.version.split('.')[1]);
}

/** Whether the interpreter imports `module` (Debian bullseye's 3.9 here lacks ctypes: its libffi7 is not on this system). */
export function imports(python: TestPython, module: string): boolean {
	try {
		execFileSync(python.path, ['-c', `import ${module}`], {stdio: 'ignore', timeout: 30_000});
		return true;
	} catch {
		return false;
	}
}

/**
 * A function's name as this version shows it: 3.11+ have qualified names (co_qualname); on
 * 3.8–3.10 tachyon-top shows co_name, the last part (`Outer.Inner.method.<locals>.closure` →
 * `closure`). Applied to a `file.py:name:line` frame or a `;`-joined stack of them, it
 * rewrites every frame's name.
 */
export function namesOn(python: TestPython, text: string): string {
	if (minorOf(python) >= 11) {
		return text;
	}

	const plain = (name: string) => name.slice(name.lastIndexOf('.') + 1);
	return text.includes(':') ? text.replaceAll(/([^;:\s]+\.py):([^;:\s]+):/g, (_, file: string, name: string) => `${file}:${plain(name)}:`) : plain(text);
}

export function python(version: string): TestPython | undefined {
	return testPythons().find(candidate => candidate.version === version);
}

/** Logs once why a version is not tested here (3.12 is not in Debian). */
export function missingVersions(wanted: string[]): string[] {
	const have = new Set(testPythons().map(candidate => candidate.version));
	return wanted.filter(version => !have.has(version));
}

export type PythonProcess = {
	readonly pid: number;
	readonly child: ChildProcess;
	output(): string;
	stop(): Promise<void>;
	exited: Promise<number | null>;
};

/**
 * Starts `python script args` and resolves once the script printed `ready` (every fixture
 * prints it when its interesting state is set up), so tests sample something meaningful.
 */
export async function startPython(interpreter: TestPython, script: string, args: string[] = [], readyText = 'ready', env: Record<string, string> = {}): Promise<PythonProcess> {
	const child = spawn(interpreter.path, [path.isAbsolute(script) ? script : path.join(fixtures, script), ...args], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, ...env}});
	let output = '';
	const exited = new Promise<number | null>(resolve => {
		child.on('exit', code => {
			resolve(code);
		});
	});
	await new Promise<void>((resolve, reject) => {
		// Generous: on a loaded machine a start-up can take many seconds. A target that never gets
		// ready is killed, or the test file would never end (its pipes keep the runner waiting).
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`${interpreter.path} ${script} did not print "${readyText}" within 60 s: ${output}`));
		}, 60_000);
		const onData = (data: Buffer) => {
			output += data.toString();
			if (output.includes(readyText)) {
				clearTimeout(timer);
				resolve();
			}
		};

		child.stdout.on('data', onData);
		child.stderr.on('data', onData);
		child.on('exit', code => {
			clearTimeout(timer);
			reject(new Error(`${script} exited with ${code} before it was ready: ${output}`));
		});
	});
	return {
		pid: child.pid!,
		child,
		output: () => output,
		exited,
		async stop() {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGKILL');
				await exited;
			}
		},
	};
}

export type CliResult = {readonly code: number | null; readonly stdout: string; readonly stderr: string};

/** Runs the built CLI with no terminal and no stdin, as CI does. */
export async function runCli(args: string[], options: {cwd?: string; env?: Record<string, string>; timeoutMs?: number; asUser?: string; onSpawn?: (child: ChildProcess) => void; onStderr?: (child: ChildProcess, stderr: string) => void} = {}): Promise<CliResult> {
	// asUser: run as another user (root only), to see what a less privileged user gets.
	const [command, ...prefix] = options.asUser ? ['/usr/sbin/runuser', '-u', options.asUser, '--', process.execPath] : [process.execPath];
	const child = spawn(command, [...prefix, cli, ...args], {
		cwd: options.cwd ?? root,
		env: {...process.env, ...options.env},
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	options.onSpawn?.(child);
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (data: Buffer) => {
		stdout += data.toString();
	});
	child.stderr.on('data', (data: Buffer) => {
		stderr += data.toString();
		options.onStderr?.(child, stderr);
	});
	const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
	const code = await new Promise<number | null>(resolve => {
		child.on('exit', exitCode => {
			resolve(exitCode);
		});
	});
	clearTimeout(timer);
	return {code, stdout, stderr};
}

/** `promise`, or a failure naming `what` after `ms` (generous: for what must happen, not how fast). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	try {
		return await Promise.race([promise, new Promise<never>((_resolve, reject) => {
			timer = setTimeout(() => {
				reject(new Error(`${what}: not within ${ms / 1000} s`));
			}, ms);
		})]);
	} finally {
		clearTimeout(timer);
	}
}

export function tempDir(prefix = 'tachyon-top-test-'): string {
	return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export const delay = async (ms: number) => new Promise(resolve => {
	setTimeout(resolve, ms);
});

/** Parses collapsed output into (stack → count). */
export function parseCollapsed(text: string): Map<string, number> {
	const stacks = new Map<string, number>();
	for (const line of text.split('\n')) {
		const space = line.lastIndexOf(' ');
		if (space > 0) {
			stacks.set(line.slice(0, space), Number(line.slice(space + 1)));
		}
	}

	return stacks;
}

// names.py's closure spins in a two-line loop: `while True:` (line 12, which each pass jumps back
// to) and `x += 1` (line 13). Most samples land on 13, but a sampler whose clock falls in step with
// the loop can land on 12 as often (CI saw 499 and 499 on 3.15), so the spin's share counts both.
export function spinShare(python: TestPython, stacks: Map<string, number>, callers = ''): number {
	return [12, 13].reduce((sum, line) => sum + shareOf(stacks, namesOn(python, `${callers}names.py:Outer.Inner.method.<locals>.closure:${line}`)), 0);
}

/** Samples whose stack contains `needle`. */
export function countOf(stacks: Map<string, number>, needle: string): number {
	let matching = 0;
	for (const [stack, count] of stacks) {
		matching += stack.includes(needle) ? count : 0;
	}

	return matching;
}

/** Share of samples (0–100) whose stack contains `needle`, from collapsed text. */
export function shareOf(stacks: Map<string, number>, needle: string): number {
	let total = 0;
	let matching = 0;
	for (const [stack, count] of stacks) {
		total += count;
		if (stack.includes(needle)) {
			matching += count;
		}
	}

	return total === 0 ? 0 : (matching / total) * 100;
}

/** `attach --collapsed` for `seconds` with extra args; the stacks it wrote. Throws on a non-zero exit. */
export async function attachCollapsed(args: string[], seconds = 1.5): Promise<Map<string, number>> {
	const out = path.join(tempDir(), 'stacks.txt');
	const {code, stderr} = await runCli(['attach', '--collapsed', '-o', out, '-d', String(seconds), ...args]);
	if (code !== 0) {
		throw new Error(`attach exited with ${code}: ${stderr}`);
	}

	return parseCollapsed(fs.readFileSync(out, 'utf8'));
}

/** Tachyon's own collapsed output (`python3.15 -m profiling.sampling attach`) for the same arguments. */
export async function tachyonCollapsed(interpreter: string, args: string[], seconds = 2): Promise<Map<string, number>> {
	const out = path.join(tempDir(), 'tachyon.txt');
	const child = spawn(interpreter, ['-m', 'profiling.sampling', 'attach', '--collapsed', '-o', out, '-d', String(seconds), ...args], {stdio: 'ignore'});
	const code = await new Promise(resolve => child.on('exit', resolve));
	if (code !== 0) {
		throw new Error(`Tachyon exited with ${String(code)}`);
	}

	return parseCollapsed(fs.readFileSync(out, 'utf8'));
}

/**
 * Captures test/fixtures/binary-workload.py with Tachyon's `--binary`, then replays that one
 * file to `format` with Tachyon and with us: the two outputs of the same samples, to compare.
 */
export async function replayBothWays(interpreter: TestPython, format: string, extension: string, dir: string): Promise<{bin: string; theirs: string; ours: string}> {
	const bin = path.join(dir, 'capture.bin');
	execFileSync(interpreter.path, ['-m', 'profiling.sampling', 'run', '-d', '2', '-a', '--binary', '-o', bin, path.join(fixtures, 'binary-workload.py')], {stdio: 'pipe', timeout: 60_000});
	const theirs = path.join(dir, `theirs.${extension}`);
	execFileSync(interpreter.path, ['-m', 'profiling.sampling', 'replay', `--${format}`, '-o', theirs, bin], {stdio: 'pipe', timeout: 60_000});
	const ours = path.join(dir, `ours.${extension}`);
	const result = await runCli(['replay', `--${format}`, '-o', ours, bin]);
	if (result.code !== 0) {
		throw new Error(`replay --${format} exited with ${String(result.code)}: ${result.stderr}`);
	}

	return {bin, theirs, ours};
}

/** utime + stime of the whole process, in clock ticks. */
export function cpuTicks(pid: number): number {
	const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return Number(fields[11]) + Number(fields[12]);
}

/** The target is not traced, no thread is stopped, and its spinning threads keep using CPU. */
export async function runsOnNormally(pid: number): Promise<void> {
	assert.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), /^TracerPid:\s+0$/m, 'no tracer left');
	for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
		const state = /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1];
		assert.ok(state !== 't' && state !== 'T', `thread ${tid} is ${state}`);
	}

	// The spinners go on using CPU: a few ticks (10 ms each), however long a loaded machine makes them wait for them.
	const before = cpuTicks(pid);
	for (const deadline = Date.now() + 30_000; cpuTicks(pid) - before < 5; await delay(100)) {
		assert.ok(Date.now() < deadline, 'the spinning threads go on spinning');
	}
}

const shells: ChildProcess[] = [];

/**
 * `sh -c 'COMMAND; true'`: a shell that stays the parent of what it runs (the `; true` keeps it
 * from exec'ing the last command), as a tree below a non-Python PID. Resolves once the output
 * shows `readyText`, or at once without one. stopShells() kills every such tree.
 */
export async function startShell(command: string, readyText?: string): Promise<ChildProcess> {
	const child = spawn('/bin/sh', ['-c', `${command}; true`], {stdio: ['ignore', 'pipe', 'pipe']});
	shells.push(child);
	if (readyText !== undefined) {
		await new Promise<void>((resolve, reject) => {
			let output = '';
			const timer = setTimeout(() => {
				reject(new Error(`${command} did not print ${readyText}: ${output}`));
			}, 90_000);
			child.stdout.on('data', (data: Buffer) => {
				output += data.toString();
				if (output.includes(readyText)) {
					clearTimeout(timer);
					resolve();
				}
			});
		});
	}

	return child;
}

/** Kills each startShell tree, its descendants first (a killed shell would orphan them). */
export function stopShells(): void {
	for (const shell of shells) {
		for (const pid of [...descendants(shell.pid!), shell.pid!]) {
			try {
				process.kill(pid, 'SIGKILL');
			} catch {
				// Already gone.
			}
		}
	}
}
