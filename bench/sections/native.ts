// --native-stacks: how long the target stands still per sample, with and without the native
// unwind, on test/fixtures/native_stacks.py (zlib, ctypes qsort with a Python callback,
// hashlib) under 3.11 and 3.15. Measured in this process as the worker does it: stop every
// thread, read the Python stack (and unwind and merge the native one), let them run. The
// target is a grandchild (started through a shell), never our own child: see run.ts.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {FrameTable} from '../../sampler/frame-table.js';
import {NativeStacks} from '../../sampler/native/native-stacks.js';
import {ThreadFreezer} from '../../sampler/ptrace.js';
import {openTarget} from '../../sampler/target.js';
import {Unwinder} from '../../sampler/unwinder.js';
import type {BenchOptions, BenchRow, BenchSection} from '../section.js';
import {python315, root} from '../tools.js';

const fixture = path.join(root, 'test', 'fixtures', 'native_stacks.py');
/** The target's time between two samples (a 1 kHz capture). */
const gapMs = 1;
/** Ours at most per thread and sample, from the issue. */
const goalUs = 200;

const napCell = new Int32Array(new SharedArrayBuffer(4));

function nap(ms: number): void {
	Atomics.wait(napCell, 0, 0, ms);
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function mean(values: number[]): number {
	return values.reduce((sum, value) => sum + value, 0) / Math.max(values.length, 1);
}

async function startDetached(python: string): Promise<number> {
	const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tachyon-top-bench-')), 'out.txt');
	const pid = Number(execFileSync('sh', ['-c', '"$0" "$1" >"$2" 2>&1 & echo $!', python, fixture, log], {encoding: 'utf8'}).trim());
	const deadline = performance.now() + 15_000;
	while (!fs.readFileSync(log, 'utf8').includes('ready')) {
		if (performance.now() > deadline) {
			throw new Error(`${python} ${fixture} did not start: ${fs.readFileSync(log, 'utf8')}`);
		}

		await new Promise(resolve => {
			setTimeout(resolve, 50);
		});
	}

	return pid;
}

/** How a sample is taken: the threads left running (no flag), stopped around the Python read (--blocking), or stopped for the native unwind too (--native-stacks). */
type Way = 'running' | 'blocking' | 'native';

function measure(pid: number, samples: number, way: Way): {pauseUs: number[]; unwindUs: number[]; frames: number} {
	const native = way === 'native';
	const target = openTarget(pid);
	const frameTable = new FrameTable();
	const unwinder = new Unwinder(target, frameTable, {allThreads: false, gc: true, native, opcodes: false, cpuState: false, exceptionState: false});
	unwinder.recordAddresses = native;
	const nativeStacks = native ? new NativeStacks(target, frameTable, 'default') : undefined;
	const freezer = new ThreadFreezer(pid);
	const pauseUs: number[] = [];
	const unwindUs: number[] = [];
	for (let index = 0; index < samples + 50; index++) {
		nap(gapMs);
		const started = performance.now();
		if (way !== 'running') {
			freezer.pause();
		}

		let unwound = 0;
		try {
			const count = unwinder.sample(performance.now());
			const before = performance.now();
			nativeStacks?.rewrite(unwinder.samples, count);
			unwound = performance.now() - before;
		} catch {
			// A torn read costs a sample, as in the worker.
		} finally {
			if (way !== 'running') {
				freezer.resume();
			}
		}

		if (index >= 50) { // The first samples fill the caches (rows, names): the steady state is what a capture pays.
			pauseUs.push((performance.now() - started) * 1000);
			unwindUs.push(unwound * 1000);
		}
	}

	unwinder.close();
	return {pauseUs, unwindUs, frames: nativeStacks ? nativeStacks.nativeFrames / (samples + 50) : 0};
}

async function run({short, log}: BenchOptions): Promise<BenchRow[]> {
	const rows: BenchRow[] = [];
	const pythons = [['3.11', '/usr/bin/python3.11'], ['3.15', python315]] as const;
	for (const [version, python] of pythons) {
		if (!python || !fs.existsSync(python)) {
			rows.push({metric: `Python ${version}`, unit: '', note: 'not installed here'});
			continue;
		}

		const pid = await startDetached(python);
		try {
			const samples = short ? 200 : 2000;
			log(`${version}: ${samples} samples read without stopping (no flag), stopped around the Python read (--blocking), then with the native unwind (--native-stacks)`);
			const running = measure(pid, samples, 'running');
			const blocking = measure(pid, samples, 'blocking');
			const native = measure(pid, samples, 'native');
			const nativeMedian = median(native.pauseUs);
			rows.push(
				{metric: `${version}: one sample without the flag (the Python read; the target never stops) (median)`, unit: 'µs', ours: median(running.pauseUs), note: `mean ${mean(running.pauseUs).toFixed(0)} µs`},
				{metric: `${version}: target stopped per sample, --blocking (median)`, unit: 'µs', ours: median(blocking.pauseUs), note: `mean ${mean(blocking.pauseUs).toFixed(0)} µs`},
				{
					metric: `${version}: target stopped per sample, --native-stacks (median)`, unit: 'µs', ours: nativeMedian, target: `≤ ${goalUs} µs per thread`, met: nativeMedian <= goalUs,
					note: `mean ${mean(native.pauseUs).toFixed(0)} µs; one thread; ${native.frames.toFixed(1)} native frames unwound per sample`,
				},
				{metric: `${version}: of which the native unwind and merge (median)`, unit: 'µs', ours: median(native.unwindUs), note: `mean ${mean(native.unwindUs).toFixed(0)} µs: registers, one stack read, cached CFI rows and names`},
			);
		} finally {
			process.kill(pid, 'SIGKILL');
		}
	}

	rows.push({metric: 'load while measuring (1-minute load average)', unit: '', ours: os.loadavg()[0], note: `${os.cpus().length} cores`});
	return rows;
}

const section: BenchSection = {name: 'native', order: 5, run};
export default section;
