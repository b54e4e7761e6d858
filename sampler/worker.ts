// The sampling loop. Runs in a worker_thread so that rendering, exporting or a busy main
// thread never delays a sample. It holds the rate by its own clock and sleeps between samples
// (clock_nanosleep with the thread's timer slack lowered to 1 ns), waking early by the overshoot
// it has measured instead of spinning, so 10 kHz costs a wake-up per sample and no more.
// Like Tachyon it catches up after a short stall by sampling back to back; a stall longer
// than maxBacklogUs is skipped and counted as missed. Samples go into preallocated typed
// arrays and leave as compact batches, so steady-state sampling allocates nothing per sample.
import {parentPort, workerData} from 'node:worker_threads';
import {UserError} from '../common/errors.js';
import {FrameTable} from './frame-table.js';
import {libc} from './libc.js';
import {Control, type SamplerOptions, type SamplerStats, type ThreadDef, type WorkerMessage} from './protocol.js';
import {readStat} from './proc.js';
import {TargetGoneError, TornReadError} from './remote-memory.js';
import {maxSliceUs, sleepUs} from './sleep.js';
import {StackTable} from './stack-table.js';
import {describeReadError, openTarget, type Target} from './target.js';
import {AsyncStacks} from './asyncio.js';
import {ThreadFreezer} from './ptrace.js';
import {ThreadNames} from './thread-names.js';
import {Unwinder} from './unwinder.js';

const {options, control} = workerData as {options: SamplerOptions; control: SharedArrayBuffer};
const controlWords = new Int32Array(control);
const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(message, transfer);
const prSetTimerslack = 29;
/** Behind schedule by more than this, the missed ticks are skipped rather than caught up. */
const maxBacklogUs = 20_000;
/** How long a thread first seen without a name is asked for one again (µs). */
const unnamedRetryUs = 2_000_000;
/** Atomics.wait oversleeps by ~20 µs here; start from that and follow what is measured. */
const initialOvershootUs = 20;

type TypedArrayOf<T> = T extends Float64Array ? Float64ArrayConstructor : Uint32ArrayConstructor;

/** A growable typed array used as a push buffer; its storage is kept between batches. */
class PushBuffer<T extends Float64Array | Uint32Array> {
	data: T;
	length = 0;
	private readonly make: (length: number) => T;

	constructor(kind: TypedArrayOf<T>) {
		this.make = length => new kind(length) as T;
		this.data = this.make(3 * 4096);
	}

	push3(a: number, b: number, c: number): void {
		if (this.length + 3 > this.data.length) {
			const bigger = this.make(this.data.length * 2);
			bigger.set(this.data);
			this.data = bigger;
		}

		this.data[this.length++] = a;
		this.data[this.length++] = b;
		this.data[this.length++] = c;
	}

	/** A copy of the content in its own ArrayBuffer, ready to transfer; empties the buffer. */
	take(): T {
		const taken = this.data.slice(0, this.length) as T;
		this.length = 0;
		return taken;
	}
}

function openWhenReady(): {target: Target; unwinder: Unwinder; frames: FrameTable} {
	const deadline = performance.now() + options.waitForRuntimeMs;
	for (;;) {
		try {
			const target = openTarget(options.pid);
			const frames = new FrameTable();
			// Task chains may run in any thread: --async-aware reads them all.
			const unwinder = new Unwinder(target, frames, {...options, allThreads: options.allThreads || options.asyncAware === true});
			if (unwinder.ready || performance.now() >= deadline) {
				return {target, unwinder, frames};
			}
		} catch (error) {
			// A process we just started may not have exec'd Python or built its runtime yet.
			if (performance.now() >= deadline || !(error instanceof UserError) || Atomics.load(controlWords, Control.stop) === 1) {
				throw error;
			}
		}

		Atomics.wait(controlWords, 1, 0, 5);
	}
}

/** This worker's own CPU time, for the bench: /proc/self/task/TID/stat of this thread. */
function workerCpuUs(tid: number): number {
	const stat = readStat(process.pid, tid);
	return stat ? ((stat.utimeTicks + stat.stimeTicks) * 1e6) / 100 : 0;
}

function run(): void {
	const {target, unwinder, frames} = openWhenReady();
	const gettid = libc().gettid;
	const workerTid = gettid();
	libc().prctl(prSetTimerslack, 1, 0, 0, 0);
	const startedAt = Date.now();
	post({type: 'attached', target: {pid: target.pid, version: target.version.text, binary: target.binary, command: target.command, startedAt}});

	// --blocking: the target's threads stand still while they are read and run on right after,
	// whatever the read does (the finally), so no way out of the loop leaves them stopped.
	const freezer = options.blocking ? new ThreadFreezer(target.pid) : undefined;
	const asyncStacks = options.asyncAware ? new AsyncStacks(unwinder, options.asyncMode ?? 'running') : undefined;
	unwinder.runningBeforePause = freezer?.runningBefore;
	const needStates = options.cpuState || options.native;
	const sampleOnce = (nowMs: number): number => {
		if (!freezer) {
			return unwinder.sample(nowMs);
		}

		freezer.pause(needStates);
		try {
			return unwinder.sample(nowMs);
		} finally {
			freezer.resume();
		}
	};

	const stacks = new StackTable();
	const knownThreads = new Set<number>();
	const threadNames = new ThreadNames(unwinder);
	let newThreads: ThreadDef[] = [];
	/**
	 * Threads first sampled without a name (still starting: no OS name yet on 3.14+, no entry in
	 * threading._active yet on older versions), by tid: their state and when first seen. Each batch
	 * asks again for a while; a name found is sent like a new thread's.
	 */
	const unnamed = new Map<number, {readonly tid: number; readonly tstate: number; readonly since: number}>();
	const ticks = new PushBuffer<Float64Array>(Float64Array);
	const records = new PushBuffer<Uint32Array>(Uint32Array);
	let attempts = 0;
	let errors = 0;
	let missed = 0;
	let lastError: string | undefined;
	const interval = options.intervalUs;
	const start = performance.now() * 1000;
	let next = start;
	// Tick times are kept in whole µs, as the binary format (and Tachyon) store them, so a
	// replayed capture holds exactly the times of the direct one.
	let previousStamp = -interval;
	let lastBatch = start;
	let lastLivenessCheck = start;
	let consecutiveErrors = 0;
	let overshootUs = initialOvershootUs;

	const sendBatch = (now: number) => {
		for (const thread of unnamed.values()) {
			const name = threadNames.name(thread, now / 1000, false);
			if (name !== '') {
				newThreads.push({tid: thread.tid, name});
			}

			if (name !== '' || now - thread.since > unnamedRetryUs) {
				unnamed.delete(thread.tid);
			}
		}

		const tickArray = ticks.take();
		const recordArray = records.take();
		const stackArray = stacks.takeNew();
		const stats: SamplerStats = {
			attempts, errors, missed, elapsedUs: now - start,
			reads: unwinder.memory.calls, bytesRead: unwinder.memory.bytes, cpuUs: workerCpuUs(workerTid),
			...(freezer ? {pauseUs: freezer.pauseUs, pauses: freezer.pauses} : {}),
			...(lastError ? {lastError} : {}),
		};
		post({type: 'batch', frames: frames.takeNew(), threads: newThreads, stacks: stackArray, ticks: tickArray, records: recordArray, stats},
			[tickArray.buffer as ArrayBuffer, recordArray.buffer as ArrayBuffer, stackArray.buffer as ArrayBuffer]);
		newThreads = [];
		lastBatch = now;
	};

	const targetGone = () => {
		const stat = readStat(target.pid);
		return !stat || stat.state === 'Z' || stat.state === 'X';
	};

	let reason: 'duration' | 'stopped' | 'exited' = 'stopped';
	// The clock as last read: each pass reads it once, after its sample, and the next pass starts
	// from that reading (at the highest rates a clock read is a noticeable share of a sample).
	let clock = performance.now() * 1000;
	for (;;) {
		if (Atomics.load(controlWords, Control.stop) === 1) {
			reason = 'stopped';
			break;
		}

		let now = clock;
		if (options.durationS > 0 && now - start >= options.durationS * 1e6) {
			reason = 'duration';
			break;
		}

		if (now < next) {
			const early = next - now;
			if (early > overshootUs) {
				// Sleep until the next sample is due, less the usual oversleep; long sleeps come in
				// slices so that a stop request is seen soon.
				const sleepFor = early - overshootUs;
				sleepUs(sleepFor);
				const woke = performance.now() * 1000;
				if (sleepFor <= maxSliceUs) {
					// Follow the oversleep slowly: one late wake-up on a busy machine must not make us spin.
					const overslept = woke - (now + sleepFor);
					overshootUs = Math.min(Math.max(overshootUs + ((overslept - overshootUs) / 16), 0), Math.max(interval / 4, 1));
				}

				if (woke < next - 1) {
					clock = woke;
					continue;
				}

				now = woke;
			}
		}

		// Stalled for long (the machine was busy, or the rate is beyond us): skip, and count, those samples.
		if (now - next > maxBacklogUs) {
			const behind = Math.floor((now - next) / interval);
			missed += behind;
			next += behind * interval;
		}

		next += interval;
		attempts++;
		try {
			const count = asyncStacks ? asyncStacks.rewrite(now / 1000, sampleOnce(now / 1000)) : sampleOnce(now / 1000);
			const stamp = Math.round(now - start);
			const standsFor = stamp - previousStamp;
			previousStamp = stamp;
			ticks.push3(stamp, standsFor, count);
			for (let index = 0; index < count; index++) {
				const sample = unwinder.samples[index]!;
				if (!knownThreads.has(sample.tid)) {
					knownThreads.add(sample.tid);
					const name = threadNames.name(sample, now / 1000);
					newThreads.push({tid: sample.tid, name});
					if (name === '') {
						unnamed.set(sample.tid, {tid: sample.tid, tstate: sample.tstate, since: now});
					}
				}

				records.push3(sample.tid, sample.status, stacks.intern(sample.tid, sample.frames, sample.depth));
			}

			consecutiveErrors = 0;
		} catch (error) {
			if (error instanceof TargetGoneError) {
				reason = 'exited';
				break;
			}

			if (!(error instanceof TornReadError)) {
				throw describeReadError(target.pid, error);
			}

			errors++;
			consecutiveErrors++;
			lastError = error.message;
			// A zombie (exited, not yet reaped) reads as torn memory rather than ESRCH.
			if (consecutiveErrors > 20 && targetGone()) {
				reason = 'exited';
				break;
			}
		}

		now = performance.now() * 1000;
		clock = now;
		if (now - lastLivenessCheck > 200_000) {
			lastLivenessCheck = now;
			if (targetGone()) {
				reason = 'exited';
				break;
			}

			clock = performance.now() * 1000;
		}

		if (now - lastBatch >= options.batchMs * 1000 || ticks.length > 90_000) {
			sendBatch(now);
			clock = performance.now() * 1000;
		}
	}

	sendBatch(performance.now() * 1000);
	unwinder.close();
	post({type: 'done', reason});
}

try {
	run();
} catch (error) {
	const userError = error instanceof UserError;
	post({
		type: 'error',
		message: error instanceof Error ? error.message : String(error),
		userError,
		exitCode: userError ? error.exitCode : 1,
	});
}
