// Issue 5's table: ours against Tachyon (CPython 3.15's own sampler) and austin (on 3.13, the
// newest Python it reads), each attached to the article's workload in turn, in this one run.
// Absolute figures drift on a shared machine; the ratios, measured minutes apart, do not.
import type {BenchOptions, BenchRow, BenchSection} from '../section.js';
import {median, runTool, startTarget, type ToolRun} from '../processes.js';
import {austinPath, fixedWork, invocation, parseCapture, python313, python315, type Capture, type ToolName, workloadLoop} from '../tools.js';

type Measured = {capture: Capture | undefined; run: ToolRun};

const ready = /\[workload\] pid=/;

function pythonFor(tool: ToolName): string | undefined {
	return tool === 'austin' ? python313 : python315;
}

function available(tool: ToolName): boolean {
	return pythonFor(tool) !== undefined && (tool !== 'austin' || austinPath !== undefined);
}

/** One tool attached to a fresh workload for `durationS` at `rateHz` (0: as fast as it goes). */
async function measure(tool: ToolName, rateHz: number, durationS: number, log: (line: string) => void, python = pythonFor(tool)!): Promise<Measured> {
	const target = await startTarget(python, [workloadLoop], ready);
	try {
		const {command, args} = invocation(tool, target.pid, rateHz, durationS);
		// The steady-state window skips start-up (Node and Python both take a while to load on a
		// busy machine) and ends before the tool stops sampling.
		const run = await runTool({
			command, args,
			windowFrom: Math.min(2, durationS * 0.4),
			windowTo: durationS - 0.2,
			timeoutS: durationS + 30,
		});
		const capture = parseCapture(tool, run.output);
		if (!capture || run.windowCpuPercent === undefined) {
			log(`${tool} at ${rateHz || 'max'} Hz: no ${capture ? 'CPU window' : 'sample count'} (exit ${run.code}): ${run.output.trim().split('\n').slice(-3).join(' | ')}`);
		}

		return {capture, run};
	} finally {
		await target.stop();
	}
}

/** Wall and CPU seconds the target needs for the fixed work, with `tool` sampling it at `rateHz` (or alone). */
async function timedWork(python: string, tool: ToolName | undefined, rateHz: number, iterations: number): Promise<{wall: number; cpu: number}> {
	const target = await startTarget(python, [fixedWork, String(iterations)], /ready/);
	try {
		const done = target.waitFor(/work ([\d.]+) cpu ([\d.]+)/, 120_000);
		if (tool === undefined) {
			target.send('go');
		} else {
			const {command, args} = invocation(tool, target.pid, rateHz, 600);
			await runTool({
				command, args, windowFrom: 1e9, windowTo: 1e9, timeoutS: 180,
				// Give the sampler a second to attach and settle before the timed work starts.
				onStarted() {
					setTimeout(() => {
						target.send('go');
					}, 1000);
				},
				until: done,
			});
		}

		const [, wall, cpu] = await done;
		return {wall: Number(wall), cpu: Number(cpu)};
	} finally {
		await target.stop();
	}
}

const rate = (measured: Measured | undefined) => (measured?.capture ? measured.capture.samples / measured.capture.seconds : undefined);
const delivered = (measured: Measured | undefined, hz: number) => (measured?.capture ? (measured.capture.samples / (measured.capture.seconds * hz)) * 100 : undefined);
const ratio = (ours: number | undefined, theirs: number | undefined) => (ours !== undefined && theirs !== undefined && theirs > 0 ? ours / theirs : undefined);
const fixed = (value: number | undefined, digits = 1) => (value === undefined ? '–' : value.toFixed(digits));

async function run({short, log}: BenchOptions): Promise<BenchRow[]> {
	const tools = (['ours', 'tachyon', 'austin'] as const).filter(tool => available(tool));
	if (!tools.includes('ours')) {
		throw new Error('the bench needs the test Pythons: run scripts/setup.sh (python3.15 not found in .cache/pythons)');
	}

	const seconds = short ? 3 : 5;
	const each = async (rateHz: number, label: string) => {
		const results: Partial<Record<ToolName | 'ours313', Measured>> = {};
		for (const tool of tools) {
			log(`${label}: ${tool}`);
			results[tool] = await measure(tool, rateHz, seconds, log);
		}

		// The short form skips this comparison run to stay well inside CI's time.
		if (!short && tools.includes('austin') && python313) {
			log(`${label}: ours on 3.13 (austin's target)`);
			results.ours313 = await measure('ours', rateHz, seconds, log, python313);
		}

		return results;
	};

	const rows: BenchRow[] = [];
	const max = await each(0, 'highest rate');
	const maxOurs = rate(max.ours);
	const maxRatio = ratio(maxOurs, rate(max.tachyon));
	rows.push({
		metric: 'highest achieved rate (-r 1mhz)',
		unit: 'samples/s',
		ours: maxOurs, tachyon: rate(max.tachyon), austin: rate(max.austin),
		ratio: maxRatio, target: '≥ 1.25 × Tachyon', met: maxRatio === undefined ? undefined : maxRatio >= 1.25,
		note: `ours on 3.13: ${fixed(rate(max.ours313), 0)}/s = ${fixed(ratio(rate(max.ours313), rate(max.austin)), 2)} × austin`,
	}, {
		metric: 'CPU at the highest rate',
		unit: '% of a core',
		ours: max.ours?.run.windowCpuPercent, tachyon: max.tachyon?.run.windowCpuPercent, austin: max.austin?.run.windowCpuPercent,
		ratio: ratio(max.ours?.run.windowCpuPercent, max.tachyon?.run.windowCpuPercent),
	});
	// On a busy machine the highest rate is capped by the share of a core each tool gets; samples
	// per CPU-second is what the rate would be with a whole core, and is fair under load.
	const perCpuSecond = (measured: Measured | undefined) => {
		const cpu = measured?.run.windowCpuPercent;
		const achieved = rate(measured);
		return cpu && achieved ? achieved / (cpu / 100) : undefined;
	};

	const efficiencyRatio = ratio(perCpuSecond(max.ours), perCpuSecond(max.tachyon));
	rows.push({
		metric: 'samples per CPU-second at the highest rate',
		unit: 'samples/CPU-s',
		ours: perCpuSecond(max.ours), tachyon: perCpuSecond(max.tachyon), austin: perCpuSecond(max.austin),
		ratio: efficiencyRatio, target: '≥ 1.25 × Tachyon', met: efficiencyRatio === undefined ? undefined : efficiencyRatio >= 1.25,
		note: `ours on 3.13: ${fixed(perCpuSecond(max.ours313), 0)} = ${fixed(ratio(perCpuSecond(max.ours313), perCpuSecond(max.austin)), 2)} × austin`,
	});

	const tenK = await each(10_000, '10 kHz');
	const deliveredOurs = delivered(tenK.ours, 10_000);
	rows.push({
		metric: '10 kHz: samples delivered',
		unit: '%',
		ours: deliveredOurs, tachyon: delivered(tenK.tachyon, 10_000), austin: delivered(tenK.austin, 10_000),
		ratio: ratio(deliveredOurs, delivered(tenK.tachyon, 10_000)), target: '≥ 97 %', met: deliveredOurs === undefined ? undefined : deliveredOurs >= 97,
		note: `ours on 3.13: ${fixed(delivered(tenK.ours313, 10_000))} %`,
	});
	const tenKCpu = tenK.ours?.run.windowCpuPercent;
	rows.push({
		metric: '10 kHz: sampler CPU (steady)',
		unit: '% of a core',
		ours: tenKCpu, tachyon: tenK.tachyon?.run.windowCpuPercent, austin: tenK.austin?.run.windowCpuPercent,
		ratio: ratio(tenKCpu, tenK.tachyon?.run.windowCpuPercent), target: '≤ 20 %', met: tenKCpu === undefined ? undefined : tenKCpu <= 20,
		note: `ours on 3.13: ${fixed(tenK.ours313?.run.windowCpuPercent)} %; whole run incl. start-up: ours ${fixed(tenK.ours?.run.totalCpuPercent)} %, Tachyon ${fixed(tenK.tachyon?.run.totalCpuPercent)} %, austin ${fixed(tenK.austin?.run.totalCpuPercent)} %`,
	});

	const oneK = await each(1000, '1 kHz');
	const oneKCpu = oneK.ours?.run.windowCpuPercent;
	rows.push({
		metric: '1 kHz: sampler CPU (steady)',
		unit: '% of a core',
		ours: oneKCpu, tachyon: oneK.tachyon?.run.windowCpuPercent, austin: oneK.austin?.run.windowCpuPercent,
		ratio: ratio(oneKCpu, oneK.tachyon?.run.windowCpuPercent), target: '≤ 3 %', met: oneKCpu === undefined ? undefined : oneKCpu <= 3,
		note: `delivered: ours ${fixed(delivered(oneK.ours, 1000))} %, Tachyon ${fixed(delivered(oneK.tachyon, 1000))} %, austin ${fixed(delivered(oneK.austin, 1000))} %`,
	}, {
		metric: `1 kHz: sampler CPU incl. start-up (${seconds} s run)`,
		unit: '% of a core',
		ours: oneK.ours?.run.totalCpuPercent, tachyon: oneK.tachyon?.run.totalCpuPercent, austin: oneK.austin?.run.totalCpuPercent,
		ratio: ratio(oneK.ours?.run.totalCpuPercent, oneK.tachyon?.run.totalCpuPercent),
	});

	// Slowdown: the target's own time for a fixed amount of work, alone and sampled at 10 kHz,
	// interleaved so that drift in the machine's speed hits every variant alike.
	const repeats = short ? 1 : 5;
	const iterations = short ? 40 : 150;
	const times: Record<string, number[]> = {};
	const cpuTimes: Record<string, number[]> = {};
	const variants: Array<{key: string; python: string; tool: ToolName | undefined}> = [
		{key: 'alone315', python: python315!, tool: undefined},
		...tools.filter(tool => tool !== 'austin').map(tool => ({key: tool, python: python315!, tool})),
		...(tools.includes('austin') ? [{key: 'alone313', python: python313!, tool: undefined}, {key: 'austin', python: python313!, tool: 'austin' as const}] : []),
	];
	for (let repeat = 0; repeat < repeats; repeat++) {
		for (const variant of variants) {
			log(`slowdown ${repeat + 1}/${repeats}: ${variant.tool ?? 'alone'} (${variant.python.endsWith('3.13') ? '3.13' : '3.15'})`);
			const measured = await timedWork(variant.python, variant.tool, 10_000, iterations);
			(times[variant.key] ??= []).push(measured.wall);
			(cpuTimes[variant.key] ??= []).push(measured.cpu);
		}
	}

	const slowdown = (table: Record<string, number[]>, key: string, alone: string) => (table[key] && table[alone] ? ((median(table[key]) / median(table[alone])) - 1) * 100 : undefined);
	const slowdownOurs = slowdown(times, 'ours', 'alone315');
	rows.push({
		metric: '10 kHz: target slowdown (its wall time)',
		unit: '%',
		ours: slowdownOurs, tachyon: slowdown(times, 'tachyon', 'alone315'), austin: slowdown(times, 'austin', 'alone313'),
		target: '≤ 1 %', met: slowdownOurs === undefined ? undefined : slowdownOurs <= 1,
		note: `median of ${repeats} runs of ${iterations} iterations; alone: ${fixed(median(times['alone315'] ?? [0]), 3)} s (3.15)${times['alone313'] ? `, ${fixed(median(times['alone313']), 3)} s (3.13)` : ''}; on a busy 2-core machine this includes the sampler taking a core the target could have used`,
	}, {
		metric: '10 kHz: target slowdown (its CPU time)',
		unit: '%',
		ours: slowdown(cpuTimes, 'ours', 'alone315'), tachyon: slowdown(cpuTimes, 'tachyon', 'alone315'), austin: slowdown(cpuTimes, 'austin', 'alone313'),
		note: 'time.process_time() of the target: what reading its memory costs it, without competition for cores',
	});

	// Memory: RSS over a long capture at the highest rate. Ours must stay flat once warm.
	const memorySeconds = short ? 4 : 60;
	const memory: Partial<Record<ToolName, Measured>> = {};
	for (const tool of tools) {
		log(`memory, ${memorySeconds} s at the highest rate: ${tool}`);
		memory[tool] = await measure(tool, 0, memorySeconds, log);
	}

	const lastRss = (measured: Measured | undefined) => {
		const last = measured?.run.rss.filter(([at]) => at <= memorySeconds).at(-1);
		return last ? last[1] / 1024 : undefined;
	};

	// Garbage collection makes RSS a sawtooth, so compare peaks: the first half after warm-up
	// (from a sixth of the run) against the second half. Flat means no per-sample growth.
	const ourRss = memory.ours?.run.rss.filter(([at]) => at <= memorySeconds) ?? [];
	const peak = (from: number, to: number) => Math.max(...ourRss.filter(([at]) => at >= from && at < to).map(([, kb]) => kb / 1024));
	const growth = ourRss.length >= 4 ? peak(memorySeconds / 2, memorySeconds + 1) - peak(memorySeconds / 6, memorySeconds / 2) : undefined;
	rows.push({
		metric: `memory: RSS after ${memorySeconds} s at the highest rate`,
		unit: 'MB',
		ours: lastRss(memory.ours), tachyon: lastRss(memory.tachyon), austin: lastRss(memory.austin),
		ratio: ratio(lastRss(memory.ours), lastRss(memory.tachyon)),
		note: `ours took ${fixed(memory.ours?.capture?.samples, 0)} samples, Tachyon ${fixed(memory.tachyon?.capture?.samples, 0)}; our RSS over time: ${ourRss.filter((_, index) => index % Math.max(1, Math.round(ourRss.length / 12)) === 0).map(([at, kb]) => `${at.toFixed(0)} s ${(kb / 1024).toFixed(0)}`).join(', ')}`,
	}, {
		metric: 'memory: our RSS growth, 2nd half vs 1st (peaks)',
		unit: 'MB',
		ours: growth,
		target: '≤ 5 MB (flat)', met: growth === undefined || !Number.isFinite(growth) ? undefined : growth <= 5,
	});
	return rows;
}

const section: BenchSection = {name: 'sampler', order: 0, run};
export default section;
