// Shared by every test: the installed test Pythons, starting real Python targets, running the CLI.
import assert from 'node:assert/strict';
import {execFileSync, spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

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

/** Every test Python present on this machine, oldest first. 3.12 exists only where pyenv has it. */
export function testPythons(): TestPython[] {
	const found: TestPython[] = [];
	const py311 = firstExisting(['/usr/bin/python3.11', ...[pyenvPython('3.11')].filter((p): p is string => p !== undefined)]);
	if (py311) {
		found.push({version: '3.11', path: py311});
	}

	const py312 = pyenvPython('3.12');
	if (py312 && fs.existsSync(py312)) {
		found.push({version: '3.12', path: py312});
	}

	for (const minor of ['3.13', '3.14', '3.15']) {
		const candidate = path.join(cache, 'pythons', minor, 'usr', 'bin', `python${minor}`);
		if (fs.existsSync(candidate)) {
			found.push({version: minor, path: candidate});
		}
	}

	return found;
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
		const timer = setTimeout(() => {
			reject(new Error(`${interpreter.path} ${script} did not print "${readyText}" within 15 s: ${output}`));
		}, 15_000);
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

/** Share of samples (0–100) whose stack contains `needle`, from collapsed text. */
/** Samples whose stack contains `needle`. */
export function countOf(stacks: Map<string, number>, needle: string): number {
	let matching = 0;
	for (const [stack, count] of stacks) {
		matching += stack.includes(needle) ? count : 0;
	}

	return matching;
}

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
