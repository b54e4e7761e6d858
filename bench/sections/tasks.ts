// Issue 14's async at scale: `--async-aware --async-mode all` on a process with 10,000 asyncio
// tasks (bench/many-tasks-target.py, 3.15: each task two coroutines deep under a TaskGroup),
// ours then Tachyon's on the same target: samples (whole passes over every task) per second
// as each tool reports them. Beside it, what one such sample costs us in CPU, measured in this
// process (read every thread, then rebuild every task's chain), which does not depend on the
// share of a core the capture gets on a loaded machine.
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
import {parseCapture, python315, root} from '../tools.js';

const tasks = 10_000;

/** CPU time of the calling thread in µs. */
function threadCpuUs(): number {
	return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1000;
}

/** CPU ms of one sample of every task, in this process; and the task stacks one sample gives. */
function sampleCost(pid: number, samples: number): {ms: number; stacks: number} {
	const unwinder = new Unwinder(openTarget(pid), new FrameTable(), {allThreads: false, gc: true, native: false, opcodes: false, cpuState: false, exceptionState: false});
	const stacks = new AsyncStacks(unwinder.remote, unwinder, 'all');
	const once = () => stacks.rewrite(performance.now(), unwinder.sample(performance.now()));
	try {
		// asyncio's offsets are looked up on the first sample; the second fills the caches.
		once();
		once();
		let produced = 0;
		const started = threadCpuUs();
		for (let index = 0; index < samples; index++) {
			produced = once();
		}

		return {ms: (threadCpuUs() - started) / samples / 1000, stacks: produced};
	} finally {
		unwinder.close();
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
		const cost = sampleCost(target.pid, short ? 5 : 30);
		log(`tasks: ours ${ours?.toFixed(1)}, Tachyon ${tachyon?.toFixed(1)} samples/s; one sample ${cost.ms.toFixed(1)} ms of CPU (load ${load})`);
		return [
			{
				metric, ours, tachyon, unit: 'samples/s', ratio: ours !== undefined && tachyon ? ours / tachyon : undefined, target: '≥ 200', met: ours !== undefined && ours >= 200,
				note: `${seconds} s captures at -r 1000, one after the other; each sample holds one stack per task; load average ${load}`,
			},
			// A sample that gave no task stack measured nothing: no figure rather than 0 ms.
			cost.stacks === 0
				? {metric: 'one sample of 10,000 tasks, CPU (read every task, rebuild its chain)', unit: 'ms CPU', note: 'in the bench\'s own thread: no task stack was read, so there is no figure'}
				: {
					metric: 'one sample of 10,000 tasks, CPU (read every task, rebuild its chain)', ours: cost.ms, unit: 'ms CPU',
					note: `in the bench's own thread: ${Math.round(1000 / cost.ms)} samples per CPU-second; ${cost.stacks} task stacks a sample`,
				},
		];
	} finally {
		await target.stop();
		fs.rmSync(dir, {recursive: true, force: true});
	}
}

const section: BenchSection = {name: 'tasks', run};
export default section;
