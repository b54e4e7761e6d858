// Issue 14's async at scale: `--async-aware --async-mode all` on a process with 10,000 asyncio
// tasks (bench/many-tasks-target.py, 3.15: each task two coroutines deep under a TaskGroup),
// ours then Tachyon's on the same target: samples (whole passes over every task) per second
// as each tool reports them; once with every task parked (the process asleep) and once with a
// few tasks moving every millisecond (it runs every ms). Beside each, what one such sample
// costs us in CPU, measured in this process, which does not depend on the share of a core the
// capture gets on a loaded machine; and what a sample that walks every task costs.
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
		stacks.close();
	}
}

const movers = 5;

type Workload = {
	/** Samples per second of each tool's capture. */
	readonly ours: number | undefined;
	readonly tachyon: number | undefined;
	readonly cost: SampleCost;
	readonly load: string;
};

/**
 * One target of 10,000 parked tasks and `moving` movers (tasks that wake every millisecond):
 * ours then Tachyon's capture, then what one sample costs in this thread (`spacingMs` apart).
 */
async function measure(moving: number, seconds: number, samples: number, spacingMs: number, dir: string): Promise<Workload> {
	const target = await startTarget(python315!, [path.join(root, 'bench', 'many-tasks-target.py'), String(tasks), String(moving)], /ready/);
	try {
		const capture = async (command: string, args: string[], file: string) => {
			const {stdout, stderr} = await promisify(execFile)(command, [...args, 'attach', '--async-aware', '--async-mode', 'all', '-r', '1000', '-d', String(seconds), '--collapsed', '-o', file, String(target.pid)], {timeout: (seconds + 120) * 1000});
			const result = parseCapture('ours', stdout + stderr);
			return result ? result.samples / result.seconds : undefined;
		};

		const ours = await capture(process.execPath, [path.join(root, 'dist', 'source', 'cli.js')], path.join(dir, `ours-${moving}.txt`));
		const tachyon = await capture(python315!, ['-m', 'profiling.sampling'], path.join(dir, `tachyon-${moving}.txt`));
		const load = os.loadavg()[0]!.toFixed(1);
		return {ours, tachyon, cost: sampleCost(target.pid, samples, spacingMs), load};
	} finally {
		await target.stop();
	}
}

/** The samples/s row of one workload, ours beside Tachyon's. */
function rateRow(metric: string, workload: Workload, seconds: number, why: string): BenchRow {
	const {ours, tachyon} = workload;
	return {
		metric, ours, tachyon, unit: 'samples/s', ratio: ours !== undefined && tachyon ? ours / tachyon : undefined, target: '≥ 200', met: ours !== undefined && ours >= 200,
		note: `${seconds} s captures at -r 1000, one after the other; each sample holds one stack per task; ${why}; load average ${workload.load}`,
	};
}

/** The CPU row of one workload's in-thread samples; no figure (rather than 0 ms) where they measured nothing. */
function costRow(metric: string, cost: SampleCost, how: string): BenchRow {
	if (cost.ms === undefined) {
		return {metric, unit: 'ms CPU', note: `in the bench's own thread: no figure, ${cost.why}`};
	}

	return {
		metric, ours: cost.ms, unit: 'ms CPU', target: '≤ 5', met: cost.ms <= 5,
		note: `in the bench's own thread${how}: ${Math.round(1000 / cost.ms)} samples per CPU-second; ${cost.stacks} task stacks a sample; ${cost.repeats} of ${cost.samples} samples repeated the one before${cost.torn.note()}; one sample that walks every task: ${cost.fullMs.toFixed(1)} ms`,
	};
}

async function run({short, log}: BenchOptions): Promise<BenchRow[]> {
	const metric = '--async-aware --async-mode all on 10,000 tasks: samples/s';
	if (!python315) {
		return [{metric, unit: 'samples/s', note: 'needs Python 3.15 (scripts/install-test-pythons.sh)'}];
	}

	const seconds = short ? 4 : 10;
	const samples = short ? 20 : 100;
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tachyon-top-bench-tasks-'));
	try {
		log(`tasks: ours and Tachyon, ${seconds} s each at -r 1000, 10,000 parked tasks`);
		const parked = await measure(0, seconds, samples, 0, dir);
		log(`tasks: the same with ${movers} tasks moving every ms`);
		const moving = await measure(movers, seconds, samples, 5, dir);
		log(`tasks: parked: ours ${parked.ours?.toFixed(1)}, Tachyon ${parked.tachyon?.toFixed(1)} samples/s, one sample ${parked.cost.ms?.toFixed(2)} ms; moving: ours ${moving.ours?.toFixed(1)}, Tachyon ${moving.tachyon?.toFixed(1)} samples/s, one sample ${moving.cost.ms?.toFixed(2)} ms`);
		return [
			rateRow(metric, parked, seconds, 'every task parked, the process asleep: a sample reads no task page while no thread ran since the last (sampler/thread-activity.ts)'),
			rateRow(`same, ${movers} of them moving every ms`, moving, seconds, 'the process runs every ms: every sample copies and compares the pages the last one read'),
			costRow('one sample of 10,000 parked tasks, CPU (no thread ran: no page read)', parked.cost, ''),
			costRow(`one sample of 10,000 tasks with ${movers} moving every ms, CPU (read every task page, walk only the tasks that moved)`, moving.cost, ', samples 5 ms apart'),
		];
	} finally {
		fs.rmSync(dir, {recursive: true, force: true});
	}
}

const section: BenchSection = {name: 'tasks', run};
export default section;
