// Issue 11's soak: `tachyon-top agent` profiling 10 processes at 100 Hz for 10 minutes,
// pushing a window per process every 10 s to a Pyroscope-style /ingest on 127.0.0.1. Its
// RSS must stay flat (peak of the second half against the first, after a warm-up) and its CPU
// stay at or under 1 % of a core per target. Left out of --short (it takes 10 minutes);
// TACHYON_TOP_SOAK_S shortens it for a try.
import path from 'node:path';
import {IngestServer} from '../../test/ingest-server.js';
import {delay, runTool, startTarget, type Target} from '../processes.js';
import type {BenchOptions, BenchRow, BenchSection} from '../section.js';
import {python315, root} from '../tools.js';

const targets = 10;
const rateHz = 100;
const intervalS = 10;

async function run({short, log}: BenchOptions): Promise<BenchRow[]> {
	if (short) {
		return [{metric: 'agent soak (10 targets, 100 Hz, 10 min)', unit: '', note: 'left out of --short: it takes 10 minutes'}];
	}

	const soakS = Number(process.env['TACHYON_TOP_SOAK_S'] ?? 600);
	const warmUpS = Math.min(60, soakS / 5);
	const python = python315 ?? 'python3';
	const server = new IngestServer();
	await server.start();
	const started: Target[] = [];
	try {
		for (let index = 0; index < targets; index++) {
			started.push(await startTarget(python, [path.join(root, 'bench', 'soak-target.py')], /ready/));
		}

		log(`agent: ${targets} targets (${python}), ${rateHz} Hz, ${intervalS} s windows, ${soakS} s`);
		let stopAt: () => void = () => undefined;
		const until = new Promise<void>(resolve => {
			stopAt = resolve;
		});
		const timer = setTimeout(stopAt, soakS * 1000);
		const result = await runTool({
			command: process.execPath,
			args: [path.join(root, 'dist', 'source', 'cli.js'), 'agent', '--server', server.url, '--app', 'soak', '--interval', String(intervalS),
				'-r', String(rateHz), ...started.map(target => String(target.pid))],
			windowFrom: warmUpS,
			windowTo: soakS - 1,
			timeoutS: soakS + 60,
			until,
		});
		clearTimeout(timer);
		// The agent was stopped with SIGINT: give its last windows a moment to arrive.
		await delay(500);
		const half = (warmUpS + soakS) / 2;
		const peak = (from: number, to: number) => Math.max(...result.rss.filter(([at]) => at >= from && at < to).map(([, kb]) => kb / 1024));
		const firstHalf = peak(warmUpS, half);
		const secondHalf = peak(half, soakS);
		const growth = ((secondHalf - firstHalf) / firstHalf) * 100;
		const perTarget = result.windowCpuPercent === undefined ? undefined : result.windowCpuPercent / targets;
		const expectedWindows = targets * Math.floor(soakS / intervalS);
		const samples = server.windows.reduce((sum, window) => sum + window.samples, 0);
		const dropped = /(\d+) dropped/.exec(result.output)?.[1];
		log(`agent: exit ${result.code}; ${server.windows.length} windows, ${samples} samples; ${result.output.trim().split('\n').at(-1)}`);
		return [
			{metric: 'agent RSS, peak of the first half (after warm-up)', ours: firstHalf, unit: 'MB', note: `${warmUpS}–${half} s of ${soakS} s`},
			{metric: 'agent RSS, peak of the second half', ours: secondHalf, unit: 'MB', target: 'flat (≤ first half + 5 %)', met: growth <= 5, note: `growth ${growth.toFixed(1)} %`},
			{metric: 'agent CPU per target at 100 Hz', ours: perTarget, unit: '% of a core', target: '≤ 1 %', ...(perTarget === undefined ? {} : {met: perTarget <= 1}), note: `whole agent ${result.windowCpuPercent?.toFixed(2) ?? '–'} % for ${targets} targets, after ${warmUpS} s warm-up`},
			{metric: 'windows received', ours: server.windows.length, unit: 'windows', target: `≥ ${expectedWindows}`, met: server.windows.length >= expectedWindows && server.malformed.length === 0, note: `${samples} samples (${(samples / (targets * soakS)).toFixed(1)} per target-second), ${dropped ?? '?'} dropped`},
		];
	} finally {
		await Promise.all(started.map(async target => target.stop()));
		await server.stop();
	}
}

const section: BenchSection = {name: 'agent', order: 60, run};
export default section;
