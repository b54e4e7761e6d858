// The sampling loop. Runs in a worker_thread so that rendering, exporting or a busy main
// thread never delays a sample. It holds the rate by its own clock, sleeps precisely between
// samples (Atomics.wait with the thread's timer slack lowered to 1 ns), counts samples it
// could not take in time as missed, and sends compact batches to the main thread.
import {parentPort, workerData} from 'node:worker_threads';
import {UserError} from './errors.js';
import {FrameTable} from './frame-table.js';
import {libc} from './libc.js';
import {Control, type SamplerOptions, type SamplerStats, type ThreadDef, type WorkerMessage} from './protocol.js';
import {readComm, readStat} from './proc.js';
import {TargetGoneError, TornReadError} from './remote-memory.js';
import {StackTable} from './stack-table.js';
import {describeReadError, openTarget, type Target} from './target.js';
import {Unwinder} from './unwinder.js';

const {options, control} = workerData as {options: SamplerOptions; control: SharedArrayBuffer};
const controlWords = new Int32Array(control);
const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(message, transfer);
const prSetTimerslack = 29;

function openWhenReady(): {target: Target; unwinder: Unwinder; frames: FrameTable} {
	const deadline = performance.now() + options.waitForRuntimeMs;
	for (;;) {
		try {
			const target = openTarget(options.pid);
			const frames = new FrameTable();
			const unwinder = new Unwinder(target, frames, options);
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

	const stacks = new StackTable();
	const knownThreads = new Set<number>();
	let newThreads: ThreadDef[] = [];
	let ticks: number[] = [];
	let records: number[] = [];
	let attempts = 0;
	let errors = 0;
	let missed = 0;
	let lastError: string | undefined;
	const interval = options.intervalUs;
	const start = performance.now() * 1000;
	let next = start;
	let previousTick = start - interval;
	let lastBatch = start;
	let lastLivenessCheck = start;
	let consecutiveErrors = 0;

	const sendBatch = (now: number) => {
		const tickArray = Float64Array.from(ticks);
		const recordArray = Uint32Array.from(records);
		const stackArray = stacks.takeNew();
		const stats: SamplerStats = {
			attempts, errors, missed, elapsedUs: now - start,
			reads: unwinder.memory.calls, bytesRead: unwinder.memory.bytes, cpuUs: workerCpuUs(workerTid),
			...(lastError ? {lastError} : {}),
		};
		post({type: 'batch', frames: frames.takeNew(), threads: newThreads, stacks: stackArray, ticks: tickArray, records: recordArray, stats},
			[tickArray.buffer as ArrayBuffer, recordArray.buffer as ArrayBuffer, stackArray.buffer as ArrayBuffer]);
		ticks = [];
		records = [];
		newThreads = [];
		lastBatch = now;
	};

	const targetGone = () => {
		const stat = readStat(target.pid);
		return !stat || stat.state === 'Z' || stat.state === 'X';
	};

	let reason: 'duration' | 'stopped' | 'exited' = 'stopped';
	for (;;) {
		if (Atomics.load(controlWords, Control.stop) === 1) {
			reason = 'stopped';
			break;
		}

		let now = performance.now() * 1000;
		if (options.durationS > 0 && now - start >= options.durationS * 1e6) {
			reason = 'duration';
			break;
		}

		if (now < next) {
			// Sleep until the next sample is due; a stop request wakes us early.
			Atomics.wait(controlWords, 1, 0, (next - now) / 1000);
			continue;
		}

		// Fell behind by more than one interval (the machine was busy): skip, and count, those samples.
		if (now - next >= interval) {
			const behind = Math.floor((now - next) / interval);
			missed += behind;
			next += behind * interval;
		}

		next += interval;
		attempts++;
		try {
			const count = unwinder.sample(now / 1000);
			const standsFor = now - previousTick;
			previousTick = now;
			ticks.push(now - start, standsFor, count);
			for (let index = 0; index < count; index++) {
				const sample = unwinder.samples[index]!;
				if (!knownThreads.has(sample.tid)) {
					knownThreads.add(sample.tid);
					newThreads.push({tid: sample.tid, name: readComm(target.pid, sample.tid)});
				}

				records.push(sample.tid, sample.status, stacks.intern(sample.tid, sample.frames, sample.depth));
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
		if (now - lastLivenessCheck > 200_000) {
			lastLivenessCheck = now;
			if (targetGone()) {
				reason = 'exited';
				break;
			}
		}

		if (now - lastBatch >= options.batchMs * 1000 || ticks.length > 30_000) {
			sendBatch(now);
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
