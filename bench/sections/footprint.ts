// Issue 14's footprint: peak RSS of `attach --pstats` at 1 kHz and at the highest rate, ours
// beside Tachyon's on the same workload, and whether ours stays flat (the second half's peak
// against the first half's after warm-up). A bare Node running one idle worker thread is the
// floor any design with a sampling worker starts from; most of it is the node binary's own
// pages (file-backed, shared with every other Node process), which RSS counts all the same.
// Then start-up: the CPU of `--help` against `node -e 0`, of `dump` against Tachyon's, and how
// long after it starts each tool first reads the target (strace's timestamps of its exec and
// its first process_vm_readv).
import {execFile, spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {pathToFileURL} from 'node:url';
import {thousands} from '../../common/thousands.js';
import {delay, median, rssKb, runTool, startTarget, type ToolRun} from '../processes.js';
import type {BenchOptions, BenchRow, BenchSection} from '../section.js';
import {invocation, python315, root, workloadLoop, type ToolName} from '../tools.js';

const targetMb = 64;
const cli = path.join(root, 'dist', 'source', 'cli.js');

const megabytes = (kb: number) => kb / 1024;

/** The highest RSS seen from `from` s to `to` s after start, in MB. */
function peakMb(run: ToolRun, from = 0, to = Number.POSITIVE_INFINITY): number | undefined {
	const inside = run.rss.filter(([at]) => at >= from && at < to).map(([, kb]) => kb);
	return inside.length > 0 ? megabytes(Math.max(...inside)) : undefined;
}

/** The kernel's peak RSS of a run (VmHWM), else the highest RSS polled, in MB. */
function highWaterMb(run: ToolRun): number | undefined {
	return run.peakKb === undefined ? peakMb(run) : megabytes(run.peakKb);
}

/** Samples per second as the tool printed them ("Captured N samples in T seconds"). */
function samplesPerSecond(run: ToolRun | undefined): number | undefined {
	const match = run && /Captured ([\d,]+) samples in ([\d.]+) seconds/.exec(run.output);
	return match ? Math.round(Number(match[1]!.replaceAll(',', '')) / Number(match[2])) : undefined;
}

/** RSS of `node` running one idle worker thread, once it has settled (MB). */
async function nodeWithWorkerMb(): Promise<number | undefined> {
	const child = spawn(process.execPath, ['-e', 'new (require("node:worker_threads").Worker)("setTimeout(() => {}, 5000)", {eval: true}); setTimeout(() => {}, 5000)'], {stdio: 'ignore'});
	try {
		let peak = 0;
		for (let poll = 0; poll < 20; poll++) {
			await delay(100);
			peak = Math.max(peak, rssKb(child.pid!) ?? 0);
		}

		return peak > 0 ? megabytes(peak) : undefined;
	} finally {
		child.kill('SIGKILL');
	}
}

/** The CPU seconds of one whole run of a command, start-up and exit included (bash's `times`). */
async function cpuOf(command: string, args: string[]): Promise<number | undefined> {
	const run = await runTool({command, args, windowFrom: 0, windowTo: 0, timeoutS: 60});
	return run.totalCpuPercent === undefined ? undefined : (run.totalCpuPercent / 100) * run.wallS;
}

/** Median CPU seconds over `times` runs, runs of the commands interleaved so load drifts alike. */
async function medianCpu(commands: ReadonlyArray<{command: string; args: string[]}>, times: number): Promise<Array<number | undefined>> {
	const seen: number[][] = commands.map(() => []);
	for (let round = 0; round < times; round++) {
		for (const [index, {command, args}] of commands.entries()) {
			const cpu = await cpuOf(command, args);
			if (cpu !== undefined) {
				seen[index]!.push(cpu);
			}
		}
	}

	return seen.map(values => (values.length > 0 ? median(values) : undefined));
}

const strace = ['/usr/bin/strace', '/bin/strace'].find(file => fs.existsSync(file));

/**
 * strace's --seccomp-bpf (strace 5.3+), when it has it: only the two traced calls stop the
 * tool. Without it every system call does, twice, and start-up makes thousands (Node opens,
 * reads and maps each module, its threads wait on futexes): at load 3, ours took 370–910 ms
 * from exec to first read under plain strace and 167–187 ms under --seccomp-bpf, Tachyon's
 * 716–1,448 and 327–778 ms.
 */
async function straceFilter(): Promise<string[]> {
	try {
		await promisify(execFile)(strace!, ['--seccomp-bpf', '-f', '-qq', '-o', '/dev/null', '-e', 'trace=execve', 'true'], {timeout: 10_000});
		return ['--seccomp-bpf'];
	} catch {
		return [];
	}
}

/** Milliseconds from a command's exec to its first process_vm_readv, under strace. */
async function firstReadMs(command: string, args: string[], filter: string[]): Promise<number | undefined> {
	const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tachyon-top-bench-strace-')), 'trace');
	try {
		await promisify(execFile)(strace!, [...filter, '-f', '-ttt', '-qq', '-o', log, '-e', 'trace=execve,process_vm_readv', command, ...args], {timeout: 60_000});
		const lines = fs.readFileSync(log, 'utf8').split('\n');
		const stamp = (line: string | undefined) => (line === undefined ? undefined : Number(/^\d+\s+([\d.]+)/.exec(line)?.[1]));
		const started = stamp(lines.find(line => line.includes('execve(')));
		const read = stamp(lines.find(line => line.includes('process_vm_readv(')));
		return started !== undefined && read !== undefined ? (read - started) * 1000 : undefined;
	} finally {
		fs.rmSync(path.dirname(log), {recursive: true, force: true});
	}
}

/**
 * Said beside each start-up row when NODE_EXTRA_CA_CERTS is set: Node then parses that
 * certificate file at every start, before any of our code runs (this sandbox sets it: node -e 0
 * 50 ms of CPU with it, 20 ms without). Left set, as the machine has it: --help and node -e 0
 * both pay it; dump and the first read pay it where Tachyon does not.
 */
const extraCertsNote = process.env['NODE_EXTRA_CA_CERTS'] ? '; NODE_EXTRA_CA_CERTS is set (every node start parses it, ~30 ms here)' : '';

async function startUp({short, log}: BenchOptions): Promise<BenchRow[]> {
	const times = short ? 1 : 7;
	// A tenth of a second each: even the short run takes a median, as one run alone moved the ratio 1.5 -> 1.9.
	const helpTimes = Math.max(times, 5);
	log(`footprint: --help and node -e 0, ${helpTimes} times each`);
	const [help, bare] = await medianCpu([{command: process.execPath, args: [cli, '--help']}, {command: process.execPath, args: ['-e', '0']}], helpTimes);
	const rows: BenchRow[] = [{
		metric: 'start-up: CPU of --help', ours: help && help * 1000, unit: 'ms', ratio: help && bare ? help / bare : undefined,
		target: '≤ 1.6 × node -e 0', met: help && bare ? help <= bare * 1.6 : undefined,
		note: `node -e 0: ${bare === undefined ? '?' : (bare * 1000).toFixed(0)} ms; ratio is ours / node -e 0; median of ${helpTimes}; load average ${os.loadavg()[0]!.toFixed(1)}${extraCertsNote}`,
	}];
	// What the live view and the picker load before their first frame (Ink, React, Yoga, our
	// components), without drawing: Ink's es-toolkit import once cost ~180 ms of it (scripts/slim-ink.mjs).
	log(`footprint: the live view's modules, ${helpTimes} times`);
	const liveModule = pathToFileURL(path.join(root, 'dist', 'source', 'commands', 'live.js')).href;
	const [live] = await medianCpu([{command: process.execPath, args: ['--input-type=module', '-e', `await import(${JSON.stringify(liveModule)})`]}], helpTimes);
	rows.push({
		metric: 'start-up: CPU of loading the live view (Ink, React, components)', ours: live && live * 1000, unit: 'ms', ratio: live && bare ? live / bare : undefined,
		note: `node -e 0: ${bare === undefined ? '?' : (bare * 1000).toFixed(0)} ms; ratio is ours / node -e 0; median of ${helpTimes}; the modules only, no frame drawn; load average ${os.loadavg()[0]!.toFixed(1)}${extraCertsNote}`,
	});
	const target = await startTarget(python315!, [workloadLoop], /\[workload\] pid=/);
	try {
		log(`footprint: dump, ours and Tachyon's, ${times} times each`);
		const pid = String(target.pid);
		const [ours, tachyon] = await medianCpu([{command: process.execPath, args: [cli, 'dump', pid]}, {command: python315!, args: ['-m', 'profiling.sampling', 'dump', pid]}], times);
		rows.push({
			metric: 'start-up: CPU of dump', ours: ours && ours * 1000, tachyon: tachyon && tachyon * 1000, unit: 'ms',
			ratio: ours && tachyon ? ours / tachyon : undefined, target: '≤ 0.5 × Tachyon', met: ours && tachyon ? ours <= tachyon * 0.5 : undefined,
			note: `median of ${times}; load average ${os.loadavg()[0]!.toFixed(1)}${extraCertsNote}`,
		});
		if (!strace) {
			rows.push({metric: 'start-up: first read of the target', unit: 'ms', note: 'needs strace'});
			return rows;
		}

		log('footprint: first read of the target under strace, ours and Tachyon\'s');
		const filter = await straceFilter();
		const firstReads: Record<'ours' | 'tachyon', number[]> = {ours: [], tachyon: []};
		for (let round = 0; round < Math.max(1, Math.ceil(times / 2)); round++) {
			for (const tool of ['ours', 'tachyon'] as const) {
				const {command, args} = invocation(tool, target.pid, 1000, 1);
				const ms = await firstReadMs(command, args, filter);
				if (ms !== undefined) {
					firstReads[tool].push(ms);
				}
			}
		}

		const first = (values: number[]) => (values.length > 0 ? median(values) : undefined);
		const oursMs = first(firstReads.ours);
		const tachyonMs = first(firstReads.tachyon);
		rows.push({
			metric: 'start-up: exec to first read of the target (attach)', ours: oursMs, tachyon: tachyonMs, unit: 'ms',
			ratio: oursMs && tachyonMs ? oursMs / tachyonMs : undefined, target: '≤ 150 ms (quiet machine)', met: oursMs === undefined ? undefined : oursMs <= 150,
			note: `strace's timestamps${filter.length > 0 ? ' (--seccomp-bpf: it stops only the two calls traced)' : ' (no --seccomp-bpf here: every call is stopped, which slows both)'}; median of ${firstReads.ours.length}; load average ${os.loadavg()[0]!.toFixed(1)}${extraCertsNote}`,
		});
		return rows;
	} finally {
		await target.stop();
	}
}

async function run({short, log}: BenchOptions): Promise<BenchRow[]> {
	if (!python315) {
		return [{metric: 'memory: peak RSS', unit: 'MB', note: 'needs Python 3.15 (scripts/install-test-pythons.sh)'}];
	}

	const seconds = short ? 4 : 30;
	const rows: BenchRow[] = [];
	for (const rateHz of [1000, 0]) {
		const label = rateHz === 0 ? 'the highest rate' : `${rateHz / 1000} kHz`;
		const runs: Partial<Record<ToolName, ToolRun>> = {};
		let load = '';
		for (const tool of ['ours', 'tachyon'] as const) {
			const target = await startTarget(python315, [workloadLoop], /\[workload\] pid=/);
			try {
				log(`footprint: ${tool}, ${seconds} s at ${label}`);
				const {command, args} = invocation(tool, target.pid, rateHz, seconds);
				runs[tool] = await runTool({command, args, windowFrom: 0, windowTo: 0, timeoutS: seconds + 60});
				load = os.loadavg()[0]!.toFixed(1);
			} finally {
				await target.stop();
			}
		}

		const ours = runs.ours && highWaterMb(runs.ours);
		const tachyon = runs.tachyon && highWaterMb(runs.tachyon);
		// At the highest rate the peak grows with the rate reached (each batch carries more samples): said beside it.
		const rates = (['ours', 'tachyon'] as const).map(tool => {
			const rate = samplesPerSecond(runs[tool]);
			return `${tool} ${rate === undefined ? '?' : thousands(rate)}/s`;
		}).join(', ');
		rows.push({
			metric: `memory: peak RSS, attach --pstats ${seconds} s at ${label}`,
			ours, tachyon, unit: 'MB', ratio: ours && tachyon ? ours / tachyon : undefined,
			target: `≤ ${targetMb} MB`, met: ours === undefined ? undefined : ours <= targetMb,
			note: `VmHWM; ${rateHz === 0 ? `${rates}; ` : ''}load average ${load}`,
		});
		// A short run's first half is start-up itself: no flatness to judge there.
		if (runs.ours && rateHz === 0 && !short) {
			// Peaks, because garbage collection makes RSS a sawtooth; the first second is start-up.
			const first = peakMb(runs.ours, 1, seconds / 2);
			const second = peakMb(runs.ours, seconds / 2);
			rows.push({
				metric: `memory: our peak RSS, 2nd half vs 1st (${label})`,
				ours: first && second ? ((second - first) / first) * 100 : undefined, unit: '%', target: '≤ 5 %',
				met: first && second ? second <= first * 1.05 : undefined,
				note: `1st half ${first?.toFixed(1)} MB, 2nd half ${second?.toFixed(1)} MB`,
			});
		}
	}

	const floor = await nodeWithWorkerMb();
	rows.push({metric: 'memory: bare node with one idle worker thread (the floor)', ours: floor, unit: 'MB', note: `${process.execPath} ${process.version}`});
	rows.push(...await startUp({short, log}));
	return rows;
}

const section: BenchSection = {name: 'footprint', order: 15, run};
export default section;
