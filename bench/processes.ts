// Starting targets and tools for the bench, and measuring what a process costs: CPU time
// from /proc (nanosecond schedstat, summed over its threads), RSS over time, and its whole
// run's CPU including start-up (bash's `times` for its child), the same way for every tool.
import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';

export const delay = async (ms: number) => new Promise(resolve => {
	setTimeout(resolve, ms);
});

/** CPU time of every thread of a process so far, in seconds; undefined once it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
	try {
		let total = 0;
		for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
			try {
				total += Number(fs.readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
			} catch {
				// The thread ended between the listing and the read.
			}
		}

		return total / 1e9;
	} catch {
		return undefined;
	}
}

export function rssKb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number | undefined {
	try {
		const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
		return match ? Number(match[1]) : undefined;
	} catch {
		return undefined;
	}
}

export type Target = {
	readonly pid: number;
	output(): string;
	/** Resolves with the first match of `pattern` in what the target printed. */
	waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
	send(line: string): void;
	stop(): Promise<void>;
};

function watchOutput(child: ChildProcess) {
	let output = '';
	const waiters: Array<() => void> = [];
	const onData = (data: Buffer) => {
		output += data.toString();
		for (const waiter of waiters.splice(0)) {
			waiter();
		}
	};

	child.stdout?.on('data', onData);
	child.stderr?.on('data', onData);
	const exited = new Promise<void>(resolve => {
		child.on('exit', () => {
			for (const waiter of waiters.splice(0)) {
				waiter();
			}

			resolve();
		});
	});
	const waitFor = async (pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> => {
		const deadline = performance.now() + timeoutMs;
		for (;;) {
			const match = pattern.exec(output);
			if (match) {
				return match;
			}

			if (child.exitCode !== null || child.signalCode !== null || performance.now() > deadline) {
				throw new Error(`expected ${pattern} from ${child.spawnfile}, got: ${output.slice(-500)}`);
			}

			await Promise.race([new Promise<void>(resolve => waiters.push(resolve)), delay(250)]);
		}
	};

	return {output: () => output, waitFor, exited};
}

/** Starts a Python target and waits until it printed `ready`. */
export async function startTarget(python: string, args: string[], ready: RegExp): Promise<Target> {
	const child = spawn(python, args, {stdio: ['pipe', 'pipe', 'pipe']});
	const watched = watchOutput(child);
	await watched.waitFor(ready);
	return {
		pid: child.pid!,
		output: watched.output,
		waitFor: watched.waitFor,
		send(line) {
			child.stdin.write(`${line}\n`);
		},
		async stop() {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGKILL');
				await watched.exited;
			}
		},
	};
}

export type ToolRun = {
	readonly code: number | null;
	readonly output: string;
	/** Wall seconds from spawn to exit. */
	readonly wallS: number;
	/** CPU of the tool's process over [windowFrom, windowTo] s after spawn, % of one core. */
	readonly windowCpuPercent: number | undefined;
	/** CPU of the whole run, start-up and writing the result included, % of one core over wallS. */
	readonly totalCpuPercent: number | undefined;
	/** (seconds since spawn, RSS kB), twice a second. */
	readonly rss: Array<[number, number]>;
	/**
	 * The kernel's high-water mark of RSS (VmHWM, kB) as last read, 20 times a second: the true
	 * peak, which a poll of RSS twice a second misses when it lasts less than half a second.
	 */
	readonly peakKb: number | undefined;
};

export type ToolSpec = {
	readonly command: string;
	readonly args: string[];
	/** Seconds after spawn to start and end the steady-state CPU window. */
	readonly windowFrom: number;
	readonly windowTo: number;
	/** Kill the tool after this long if it has not exited. */
	readonly timeoutS: number;
	/** Called once the tool is running (e.g. to tell a target to start its work). */
	readonly onStarted?: (pid: number) => void;
	/** Resolve to stop the tool early with SIGINT. */
	readonly until?: Promise<unknown>;
};

/** The tool process under a bash that reports the CPU its child used (`times`). */
async function childOf(shell: number): Promise<number | undefined> {
	for (let attempt = 0; attempt < 1000; attempt++) {
		try {
			const children = fs.readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim();
			if (children) {
				return Number(children.split(' ')[0]);
			}
		} catch {
			return undefined;
		}

		await delay(5);
	}

	return undefined;
}

function parseTimes(text: string): number | undefined {
	// `times` prints the shell's user/sys, then its children's: "0m0.750s 0m1.588s".
	const lines = text.trim().split('\n').filter(line => /^\d+m[\d.]+s \d+m[\d.]+s$/.test(line.trim()));
	const children = lines.at(-1);
	if (!children) {
		return undefined;
	}

	return children.trim().split(' ').reduce((sum, part) => {
		const [, minutes, seconds] = /^(\d+)m([\d.]+)s$/.exec(part)!;
		return sum + (Number(minutes) * 60) + Number(seconds);
	}, 0);
}

export async function runTool(spec: ToolSpec): Promise<ToolRun> {
	const started = performance.now();
	const shell = spawn('bash', ['-c', '"$@"; status=$?; times >&2; exit $status', 'bash', spec.command, ...spec.args], {stdio: ['ignore', 'pipe', 'pipe']});
	const watched = watchOutput(shell);
	const pid = await childOf(shell.pid!);
	if (pid !== undefined) {
		spec.onStarted?.(pid);
	}

	const rss: Array<[number, number]> = [];
	// (seconds since spawn, CPU seconds) every 100 ms; the window is cut from this afterwards, so
	// a poll that comes late on a busy machine shortens the window instead of losing it.
	const cpu: Array<[number, number]> = [];
	let exited = false;
	void watched.exited.then(() => {
		exited = true;
	});
	let stopped = false;
	void spec.until?.then(() => {
		stopped = true;
	});
	let nextRss = 1;
	let nextPeak = 0;
	let peakKb: number | undefined;
	let nextCpu = 0;
	const seconds = () => (performance.now() - started) / 1000;
	while (!exited && !stopped && seconds() < spec.timeoutS && pid !== undefined) {
		const now = seconds();
		if (now >= nextCpu && now <= spec.windowTo + 0.5) {
			const used = processCpuSeconds(pid);
			if (used !== undefined) {
				cpu.push([seconds(), used]);
			}

			nextCpu = now + 0.1;
		}

		if (now >= nextPeak) {
			peakKb = rssKb(pid, 'VmHWM') ?? peakKb;
			nextPeak = now + 0.05;
		}

		if (now >= nextRss) {
			const kb = rssKb(pid);
			if (kb !== undefined) {
				rss.push([now, kb]);
			}

			nextRss += 0.5;
		}

		await delay(10);
	}

	if (!exited) {
		try {
			if (pid !== undefined) {
				process.kill(pid, stopped ? 'SIGINT' : 'SIGKILL');
			}
		} catch {
			// It ended on its own meanwhile (a sampler stops when its target exits).
		}

		await watched.exited;
	}

	const wallS = seconds();
	const total = parseTimes(watched.output());
	const inWindow = cpu.filter(([at]) => at >= spec.windowFrom && at <= spec.windowTo);
	const first = inWindow[0];
	const last = inWindow.at(-1);
	const windowCpuPercent = first && last && last[0] - first[0] >= 0.5
		? ((last[1] - first[1]) / (last[0] - first[0])) * 100
		: undefined;
	return {
		code: shell.exitCode,
		output: watched.output(),
		wallS,
		windowCpuPercent,
		totalCpuPercent: total === undefined ? undefined : (total / wallS) * 100,
		rss,
		peakKb,
	};
}

export function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
