// Issue 14's footprint: peak RSS of `attach --pstats` at 1 kHz and at the highest rate, ours
// beside Tachyon's on the same workload, and whether ours stays flat (the second half's peak
// against the first half's after warm-up). A bare Node running one idle worker thread is the
// floor any design with a sampling worker starts from; most of it is the node binary's own
// pages (file-backed, shared with every other Node process), which RSS counts all the same.
import {spawn} from 'node:child_process';
import os from 'node:os';
import {delay, rssKb, runTool, startTarget, type ToolRun} from '../processes.js';
import type {BenchOptions, BenchRow, BenchSection} from '../section.js';
import {invocation, python315, workloadLoop, type ToolName} from '../tools.js';

const targetMb = 64;

const megabytes = (kb: number) => kb / 1024;

/** The highest RSS seen from `from` s to `to` s after start, in MB. */
function peakMb(run: ToolRun, from = 0, to = Number.POSITIVE_INFINITY): number | undefined {
	const inside = run.rss.filter(([at]) => at >= from && at < to).map(([, kb]) => kb);
	return inside.length > 0 ? megabytes(Math.max(...inside)) : undefined;
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

		const ours = runs.ours && peakMb(runs.ours);
		const tachyon = runs.tachyon && peakMb(runs.tachyon);
		rows.push({
			metric: `memory: peak RSS, attach --pstats ${seconds} s at ${label}`,
			ours, tachyon, unit: 'MB', ratio: ours && tachyon ? ours / tachyon : undefined,
			target: `≤ ${targetMb} MB`, met: ours === undefined ? undefined : ours <= targetMb,
			note: `load average ${load}`,
		});
		if (runs.ours && rateHz === 0) {
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
	return rows;
}

const section: BenchSection = {name: 'footprint', order: 15, run};
export default section;
