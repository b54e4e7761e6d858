// What a sample cannot cost less than on this machine, measured in this process against a
// real 3.15 workload: one process_vm_readv, each further iovec, one sleep and wake-up. Next
// to them, what our sample costs: the gap is what the unwinder itself adds.
import fs from 'node:fs';
import {FrameTable} from '../../sampler/frame-table.js';
import {libc} from '../../sampler/libc.js';
import {RemoteMemory} from '../../sampler/remote-memory.js';
import {sleepUs} from '../../sampler/sleep.js';
import {openTarget} from '../../sampler/target.js';
import {Unwinder} from '../../sampler/unwinder.js';
import {startTarget} from '../processes.js';
import type {BenchOptions, BenchRow, BenchSection} from '../section.js';
import {TornReads} from '../torn-reads.js';
import {python315, workloadLoop} from '../tools.js';

/** CPU time of the calling thread in µs (schedstat: nanoseconds on the CPU). */
function threadCpuUs(): number {
	return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1000;
}

/** CPU µs per call of `body`, after a warm-up. */
function cost(iterations: number, body: () => void): number {
	for (let index = 0; index < Math.min(1000, iterations); index++) {
		body();
	}

	const started = threadCpuUs();
	for (let index = 0; index < iterations; index++) {
		body();
	}

	return (threadCpuUs() - started) / iterations;
}

async function run({short, log}: BenchOptions): Promise<BenchRow[]> {
	if (!python315) {
		throw new Error('the bench needs python3.15 in .cache/pythons: run scripts/setup.sh');
	}

	const target = await startTarget(python315, [workloadLoop], /\[workload\] pid=/);
	try {
		const iterations = short ? 5000 : 50_000;
		const python = openTarget(target.pid);
		const memory = new RemoteMemory(target.pid, 1 << 16);
		const address = python.runtimeAddress;
		log('one process_vm_readv, 1 and 8 iovecs');
		const oneRead = cost(iterations, () => {
			memory.read(address, 8, 0);
		});
		const eightReads = cost(iterations, () => {
			// Ranges 8 KiB apart, so that coalescing cannot merge them.
			for (let index = 0; index < 8; index++) {
				memory.queue(address + (index * 8192), 8, index * 16);
			}

			memory.flush();
		});
		log('sleep and wake-up (80 µs: clock_nanosleep as the worker does, and Atomics.wait)');
		libc().prctl(29, 1, 0, 0, 0);
		const words = new Int32Array(new SharedArrayBuffer(8));
		const wake = cost(short ? 2000 : 10_000, () => {
			sleepUs(80);
		});
		const atomicsWake = cost(short ? 2000 : 10_000, () => {
			Atomics.wait(words, 1, 0, 0.08);
		});
		log('our sample, back to back and one per wake-up');
		const unwinder = new Unwinder(python, new FrameTable(), {allThreads: false, gc: true, native: false, opcodes: false, cpuState: false, exceptionState: false});
		const callsBefore = unwinder.memory.calls;
		const iovecsBefore = unwinder.memory.iovecs;
		// A frame freed while it is read is a torn read: counted, as a capture counts it.
		const torn = new TornReads();
		const hot = cost(iterations, () => {
			torn.attempt(() => unwinder.sample(performance.now()));
		});
		const samples = iterations + Math.min(1000, iterations);
		const callsPerSample = (unwinder.memory.calls - callsBefore) / samples;
		const iovecsPerSample = (unwinder.memory.iovecs - iovecsBefore) / samples;
		const paced = cost(short ? 2000 : 10_000, () => {
			sleepUs(80);
			torn.attempt(() => unwinder.sample(performance.now()));
		});
		unwinder.close();
		return [
			{metric: 'one process_vm_readv of 8 bytes', unit: 'µs CPU', ours: oneRead},
			{metric: 'each further iovec in the same call', unit: 'µs CPU', ours: (eightReads - oneRead) / 7},
			{metric: 'one sleep + wake-up, clock_nanosleep (×10,000/s at 10 kHz)', unit: 'µs CPU', ours: wake, note: 'mostly the kernel: in a VM, arming the timer and waking up are exits to the hypervisor'},
			{metric: 'one sleep + wake-up, timed Atomics.wait', unit: 'µs CPU', ours: atomicsWake},
			{metric: 'our sample, back to back (main thread, 3.15)', unit: 'µs CPU', ours: hot, note: `${callsPerSample.toFixed(2)} process_vm_readv and ${iovecsPerSample.toFixed(2)} iovecs per sample${torn.note()}`},
			{metric: 'our sample + its wake-up, paced (what 10 kHz costs per sample)', unit: 'µs CPU', ours: paced, note: `${paced.toFixed(1)} % of a core at 10 kHz, ${(paced / 10).toFixed(2)} % at 1 kHz, before batching and the main thread`},
		];
	} finally {
		await target.stop();
	}
}

const section: BenchSection = {name: 'floor', order: 1, run};
export default section;
