// Issue 14's async at scale: `--async-aware --async-mode all` on a process with 10,000 asyncio
// tasks (bench/many-tasks-target.py, 3.15: each task two coroutines deep under a TaskGroup),
// ours then Tachyon's on the same target: samples (whole passes over every task) per second
// as each tool reports them. Beside it, what one such sample costs us in CPU, measured in this
// process (read the threads and every page the last sample read; walk the tasks again only if
// one changed), which does not depend on the share of a core the capture gets on a loaded
// machine; and what a sample that walks every task costs.
import {execFile} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {AsyncStacks} from '../../sampler/asyncio.js';
import {FrameTable} from '../../sampler/frame-table.js';
import {openTarget} from '../../sampler/target.js';
import {Unwinder} from '../../sampler/unwinder.js';
import {startTarget} from '../processes.js';
import type {BenchOptions, BenchRow, BenchSection} from '../section.js';
import {TornReads} from '../torn-reads.js';
import {parseCapture, python315, root} from '../tools.js';

const tasks = 10_000;

/**
 * A clock of the calling thread's CPU time in µs: its schedstat run time; where the kernel
 * shows none (schedstat reads "0 0 0" where the kernel keeps no scheduler statistics), the
 * process's CPU time, which here is this thread's (the captures have ended; nothing else in
 * the bench runs meanwhile). schedstat moves by scheduler ticks: CI's "0.00 ms" was 5 samples
 * that found no task (see sampler/elf.ts) and cost less than a tick together.
 */
function cpuClock(): () => number {
	const schedstat = () => Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1000;
	try {
		if (schedstat() > 0) {
			return schedstat;
		}
	} catch {
		// No schedstat file at all: the process clock below.
	}

	return () => {
		const {user, system} = process.cpuUsage();
		return user + system;
	};
}

type SampleCost = {
	/** CPU ms per sample over the measured samples, undefined when none gave a task stack. */
	readonly ms: number | undefined;
	/** CPU ms of one sample that walks every task (caches warm). */
	readonly fullMs: number;
	readonly stacks: number;
	/** Samples that repeated the one before (no task moved), of `samples`. */
	readonly repeats: number;
	/** Measured samples that read torn memory (a task freed mid-read), of `samples`: their CPU is in `ms`. */
	readonly torn: TornReads;
	readonly samples: number;
	/** Why there is no figure, when there is none. */
	readonly why?: string;
};

/**
 * CPU ms of one sample of every task, in this process; and the task stacks one sample gives.
 * A target whose tasks are not all found at once (still starting, on a slow machine) is
 * sampled again for up to 20 s until a sample holds every task.
 */
function sampleCost(pid: number, samples: number, spacingMs = 0): SampleCost {
	const unwinder = new Unwinder(openTarget(pid), new FrameTable(), {allThreads: false, gc: true, native: false, opcodes: false, cpuState: false, exceptionState: false});
	const stacks = new AsyncStacks(unwinder.remote, unwinder, 'all');
	const clock = cpuClock();
	let threads = 0;
	// A task freed while it is read (a mover's coroutine, a finished sleep's handle) is a torn read.
	const torn = new TornReads();
	const once = (): number | undefined => torn.attempt(() => {
		threads = unwinder.sample(performance.now());
		return stacks.rewrite(performance.now(), threads);
	});

	try {
		// asyncio's offsets are looked up on the first sample; the second walks with caches filled.
		let produced = once() ?? 0;
		for (const deadline = performance.now() + 20_000; produced < tasks && performance.now() < deadline;) {
			produced = once() ?? produced;
		}

		if (produced === 0) {
			return {ms: undefined, fullMs: 0, stacks: 0, repeats: 0, torn, samples: 0, why: `the main thread read ${threads === 0 ? 'no thread' : `${threads} thread(s)`} and asyncio's task lists no task, for 20 s`};
		}

		// A sample where every task moved: walked whole, caches filled (two, for a clock of ms ticks).
		const beforeFull = clock();
		for (let index = 0; index < 2; index++) {
			stacks.walkNext();
			once();
		}

		const fullMs = (clock() - beforeFull) / 2000;
		torn.count = 0;
		let repeats = 0;
		let spent = 0;
		for (let index = 0; index < samples; index++) {
			// Movers: samples some ms apart, as a capture at a few hundred a second takes them, so
			// that tasks move between them; only the sample itself is counted.
			for (const until = performance.now() + spacingMs; performance.now() < until;) {
				// Wait without yielding (a sleep would need this function to be async).
			}

			const before = clock();
			const got = once();
			spent += clock() - before;
			if (got !== undefined) {
				produced = got;
				repeats += stacks.repeated ? 1 : 0;
			}
		}

		return spent > 0
			? {ms: spent / samples / 1000, fullMs, stacks: produced, repeats, torn, samples}
			: {ms: undefined, fullMs, stacks: produced, repeats, torn, samples, why: 'no CPU clock of this thread advanced'};
	} finally {
		unwinder.close();
	}
}

const movers = 5;
const movingMetric = `one sample of 10,000 tasks with ${movers} moving every ms, CPU (walk only the tasks that moved)`;

/**
 * What a sample costs where a few tasks move between samples (a real program's usual case):
 * 10,000 parked tasks and `movers` that wake every millisecond, on a target of their own.
 */
async function movingCost(samples: number): Promise<SampleCost> {
	const target = await startTarget(python315!, [path.join(root, 'bench', 'many-tasks-target.py'), String(tasks), String(movers)], /ready/);
	try {
		return sampleCost(target.pid, samples, 5);
	} finally {
		await target.stop();
	}
}

async function run({short, log}: BenchOptions): Promise<BenchRow[]> {
	const metric = '--async-aware --async-mode all on 10,000 tasks: samples/s';
	if (!python315) {
		return [{metric, unit: 'samples/s', note: 'needs Python 3.15 (scripts/install-test-pythons.sh)'}];
	}

	const seconds = short ? 4 : 10;
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tachyon-top-bench-tasks-'));
	const target = await startTarget(python315, [path.join(root, 'bench', 'many-tasks-target.py'), String(tasks)], /ready/);
	try {
		const capture = async (command: string, args: string[], file: string) => {
			const {stdout, stderr} = await promisify(execFile)(command, [...args, 'attach', '--async-aware', '--async-mode', 'all', '-r', '1000', '-d', String(seconds), '--collapsed', '-o', file, String(target.pid)], {timeout: (seconds + 120) * 1000});
			const result = parseCapture('ours', stdout + stderr);
			return result ? result.samples / result.seconds : undefined;
		};

		log(`tasks: ours and Tachyon, ${seconds} s each at -r 1000`);
		const ours = await capture(process.execPath, [path.join(root, 'dist', 'source', 'cli.js')], path.join(dir, 'ours.txt'));
		const tachyon = await capture(python315, ['-m', 'profiling.sampling'], path.join(dir, 'tachyon.txt'));
		const load = os.loadavg()[0]!.toFixed(1);
		const cost = sampleCost(target.pid, short ? 20 : 100);
		const moving = await movingCost(short ? 20 : 100);
		log(`tasks: ours ${ours?.toFixed(1)}, Tachyon ${tachyon?.toFixed(1)} samples/s; one sample ${cost.ms?.toFixed(2)} ms of CPU, ${cost.repeats} of ${cost.samples} repeats; a full walk ${cost.fullMs.toFixed(1)} ms; with ${movers} tasks moving ${moving.ms?.toFixed(2)} ms (load ${load})`);
		const costMetric = 'one sample of 10,000 tasks, CPU (read the threads and every task page, walk what changed)';
		return [
			{
				metric, ours, tachyon, unit: 'samples/s', ratio: ours !== undefined && tachyon ? ours / tachyon : undefined, target: '≥ 200', met: ours !== undefined && ours >= 200,
				note: `${seconds} s captures at -r 1000, one after the other; each sample holds one stack per task; load average ${load}`,
			},
			// A sample that gave no task stack, or a clock that did not move, measured nothing: no figure rather than 0 ms.
			cost.ms === undefined
				? {metric: costMetric, unit: 'ms CPU', note: `in the bench's own thread: no figure, ${cost.why}`}
				: {
					metric: costMetric, ours: cost.ms, unit: 'ms CPU', target: '≤ 5', met: cost.ms <= 5,
					note: `in the bench's own thread: ${Math.round(1000 / cost.ms)} samples per CPU-second; ${cost.stacks} task stacks a sample; ${cost.repeats} of ${cost.samples} samples repeated the one before (no task moved)${cost.torn.note()}; one sample that walks every task: ${cost.fullMs.toFixed(1)} ms`,
				},
			moving.ms === undefined
				? {metric: movingMetric, unit: 'ms CPU', note: `in the bench's own thread: no figure, ${moving.why}`}
				: {
					metric: movingMetric, ours: moving.ms, unit: 'ms CPU', target: '≤ 5', met: moving.ms <= 5,
					note: `in the bench's own thread, samples 5 ms apart: ${Math.round(1000 / moving.ms)} samples per CPU-second; ${moving.stacks} task stacks a sample; ${moving.repeats} of ${moving.samples} repeated the one before${moving.torn.note()}; one that walks every task: ${moving.fullMs.toFixed(1)} ms; load average ${os.loadavg()[0]!.toFixed(1)}`,
				},
		];
	} finally {
		await target.stop();
		fs.rmSync(dir, {recursive: true, force: true});
	}
}

const section: BenchSection = {name: 'tasks', run};
export default section;
