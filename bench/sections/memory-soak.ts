// Issue 14's memory over time: peak RSS of `attach --pstats` at the highest rate for 10 minutes,
// and of the live view (1 kHz, in a 160×50 pseudo-terminal from script(1)) for an hour, each
// on a fresh bench/workload-loop.py (3.15). RSS is polled every 500 ms; each run is judged by
// its peak (target ≤ 64 MB) and by its flatness: the peak of the second half against the peak
// of the first half after a warm-up (peaks, because garbage collection makes RSS a sawtooth).
// Left out of --short (70 minutes); TACHYON_TOP_ATTACH_SOAK_S and TACHYON_TOP_LIVE_SOAK_S set
// the two durations (0 leaves a run out).
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {delay, rssKb, runTool, startTarget} from '../processes.js';
import type {BenchOptions, BenchRow, BenchSection} from '../section.js';
import {invocation, parseCapture, python315, root, workloadLoop} from '../tools.js';

const targetMb = 64;
const cli = path.join(root, 'dist', 'source', 'cli.js');
const script = '/usr/bin/script';

type RssSeries = Array<[number, number]>;

/** Seconds from the environment, or the default. */
function secondsFrom(name: string, fallback: number): number {
	const value = Number(process.env[name] ?? fallback);
	return Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** The highest RSS (MB) polled in [from, to) s. */
function peakMb(rss: RssSeries, from: number, to: number): number | undefined {
	const inside = rss.filter(([at]) => at >= from && at < to).map(([, kb]) => kb / 1024);
	return inside.length > 0 ? Math.max(...inside) : undefined;
}

/** A process's resident pages by kind (MB): the node binary's own, other files', anonymous. */
function residentKinds(pid: number): string {
	try {
		let binary = 0;
		let files = 0;
		let anon = 0;
		let name = '';
		for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
			const mapping = /^[\da-f]+-[\da-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
			if (mapping) {
				name = mapping[1]!;
			} else if (line.startsWith('Rss:')) {
				const kb = Number(line.split(/\s+/)[1]);
				if (name === process.execPath || name.endsWith('/node')) {
					binary += kb;
				} else if (name.startsWith('/')) {
					files += kb;
				} else {
					anon += kb;
				}
			}
		}

		return `node binary ${(binary / 1024).toFixed(1)} MB, other files ${(files / 1024).toFixed(1)} MB, anonymous ${(anon / 1024).toFixed(1)} MB`;
	} catch {
		return 'smaps unreadable';
	}
}

/** Rows for one run's RSS: its peak, and its second half's peak against its first's after warm-up. */
function rssRows(what: string, rss: RssSeries, seconds: number, warmUpS: number, note: string): BenchRow[] {
	const peak = peakMb(rss, 0, Number.POSITIVE_INFINITY);
	const half = (warmUpS + seconds) / 2;
	const first = peakMb(rss, warmUpS, half);
	const second = peakMb(rss, half, Number.POSITIVE_INFINITY);
	return [
		{metric: `memory: peak RSS, ${what}`, ours: peak, unit: 'MB', target: `≤ ${targetMb} MB`, met: peak === undefined ? undefined : peak <= targetMb, note},
		{
			metric: `memory: peak RSS, 2nd half vs 1st, ${what}`,
			ours: first && second ? ((second - first) / first) * 100 : undefined, unit: '%', target: '≤ 5 %',
			met: first && second ? second <= first * 1.05 : undefined,
			note: `1st half (${warmUpS}–${half.toFixed(0)} s) ${first?.toFixed(1)} MB, 2nd half ${second?.toFixed(1)} MB`,
		},
	];
}

async function attachSoak(seconds: number, log: BenchOptions['log']): Promise<BenchRow[]> {
	const target = await startTarget(python315!, [workloadLoop], /\[workload\] pid=/);
	try {
		log(`memory-soak: attach --pstats at the highest rate, ${seconds} s`);
		const {command, args} = invocation('ours', target.pid, 0, seconds);
		let kinds = '';
		const result = await runTool({
			command, args, windowFrom: 0, windowTo: 0, timeoutS: seconds + 120,
			onStarted(pid) {
				// What its pages are, three quarters of the way through.
				setTimeout(() => {
					kinds = residentKinds(pid);
				}, seconds * 750).unref();
			},
		});
		const capture = parseCapture('ours', result.output);
		const rate = capture ? `${(capture.samples / capture.seconds).toFixed(0)} samples/s` : 'no capture line';
		return rssRows(`attach --pstats ${seconds} s at the highest rate`, result.rss, seconds, Math.min(30, seconds / 5), `${rate}; ${kinds}; load average ${os.loadavg()[0]!.toFixed(1)}`);
	} finally {
		await target.stop();
	}
}

/** The first child of `pid` (script's shell exec's the CLI, so this is the CLI). */
async function childOf(pid: number): Promise<number | undefined> {
	for (let attempt = 0; attempt < 400; attempt++) {
		try {
			const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
			if (children) {
				return Number(children.split(' ')[0]);
			}
		} catch {
			return undefined;
		}

		await delay(25);
	}

	return undefined;
}

async function liveSoak(seconds: number, log: BenchOptions['log']): Promise<BenchRow[]> {
	const target = await startTarget(python315!, [workloadLoop], /\[workload\] pid=/);
	// script(1) gives the live view a terminal; its stdin stays open (and unwritten) until the end.
	const command = `stty cols 160 rows 50; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} attach --live ${target.pid}`;
	const terminal = spawn(script, ['-qec', command, '/dev/null'], {stdio: ['pipe', 'ignore', 'ignore']});
	const ended = new Promise<void>(resolve => {
		terminal.on('exit', () => {
			resolve();
		});
	});
	try {
		log(`memory-soak: the live view at 1 kHz, ${seconds} s`);
		const pid = await childOf(terminal.pid!);
		if (pid === undefined) {
			return [{metric: 'memory: peak RSS, live view', unit: 'MB', note: 'the live view did not start under script(1)'}];
		}

		const rss: RssSeries = [];
		const started = performance.now();
		let kinds = '';
		let exited = false;
		void ended.then(() => {
			exited = true;
		});
		for (let at = 0; at < seconds && !exited; at = (performance.now() - started) / 1000) {
			const kb = rssKb(pid);
			if (kb !== undefined) {
				rss.push([at, kb]);
			}

			if (kinds === '' && at >= seconds * 0.75) {
				kinds = residentKinds(pid);
			}

			await delay(500);
		}

		if (exited) {
			return [{metric: 'memory: peak RSS, live view', unit: 'MB', note: `the live view ended after ${((performance.now() - started) / 1000).toFixed(0)} s`}];
		}

		return rssRows(`live view ${seconds} s at 1 kHz`, rss, seconds, Math.min(60, seconds / 5), `${kinds}; load average ${os.loadavg()[0]!.toFixed(1)}`);
	} finally {
		terminal.stdin.end('q');
		await Promise.race([ended, delay(5000)]);
		terminal.kill('SIGKILL');
		await target.stop();
	}
}

async function run({short, log}: BenchOptions): Promise<BenchRow[]> {
	if (short) {
		return [{metric: 'memory soak (attach 10 min at the highest rate, live view 1 h)', unit: '', note: 'left out of --short: it takes 70 minutes'}];
	}

	if (!python315) {
		return [{metric: 'memory soak', unit: 'MB', note: 'needs Python 3.15 (scripts/install-test-pythons.sh)'}];
	}

	const attachS = secondsFrom('TACHYON_TOP_ATTACH_SOAK_S', 600);
	const liveS = secondsFrom('TACHYON_TOP_LIVE_SOAK_S', 3600);
	const rows: BenchRow[] = [];
	if (attachS > 0) {
		rows.push(...await attachSoak(attachS, log));
	}

	if (liveS > 0) {
		rows.push(...(fs.existsSync(script) ? await liveSoak(liveS, log) : [{metric: 'memory: peak RSS, live view', unit: 'MB', note: 'needs script(1) (util-linux)'}]));
	}

	return rows;
}

const section: BenchSection = {name: 'memory-soak', order: 16, run};
export default section;
