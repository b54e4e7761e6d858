// The sampling loop. Runs in a worker_thread so that rendering, exporting or a busy main
// thread never delays a sample. The pacer (pacer.ts) holds the rate; the session
// (target-session.ts) reads the target and fills the batches (batch-builder.ts), which leave
// as compact typed arrays, so steady-state sampling allocates nothing per sample. With
// --subprocesses the target's Python descendants are read in the same loop, at the same ticks
// (followed-children.ts). This file is the loop: when to stop, when to look whether the target
// still lives (and is still the process attached to: a PID given to another process ends the
// capture, an exec is followed) and for new children, when to send. No batch leaves before
// that look: what it holds was the target's.
import {parentPort, receiveMessageOnPort, workerData} from 'node:worker_threads';
import {NotPythonError, UserError} from '../common/errors.js';
import {libc} from './libc.js';
import {nowUs, Pacer} from './pacer.js';
import {descendants, readCmdline, readRunQueueWaitUs, readStat} from './proc.js';
import {FollowedChildren} from './followed-children.js';
import {Control, type ControlMessage, type SamplerOptions, type WorkerMessage} from './protocol.js';
import {closeGate, waitForGate, waitPastGate} from './start-gate.js';
import {loadOptionalParts, TargetSession, type WorkerStats} from './target-session.js';
import {versionNotes} from './version-notes.js';

const {options, control} = workerData as {options: SamplerOptions; control: SharedArrayBuffer};
const controlWords = new Int32Array(control);
const post = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(message, transfer);
const prSetTimerslack = 29;
/** How often the loop looks whether the target still exists (a read of /proc), µs. */
const livenessCheckUs = 200_000;
/** A batch leaves early once this many tick numbers are waiting. */
const maxPendingTicks = 90_000;

const stopRequested = () => Atomics.load(controlWords, Control.stop) === 1;

/**
 * tachyon-top is about to stop itself (Ctrl-Z): every thread of the target is let go (between
 * ticks none is seized; a straggler still ours is detached now), the main thread is told, and
 * the worker waits until it is continued (or stopped). The pacer counts the time away as missed.
 */
function holdWhileSuspended(session: TargetSession | undefined): void {
	if (Atomics.load(controlWords, Control.suspend) !== 1) {
		return;
	}

	session?.releaseThreads();
	Atomics.store(controlWords, Control.suspended, 1);
	Atomics.notify(controlWords, Control.suspended);
	while (Atomics.load(controlWords, Control.suspend) === 1 && !stopRequested()) {
		Atomics.wait(controlWords, Control.suspend, 1, 200);
	}

	Atomics.store(controlWords, Control.suspended, 0);
}

/** This worker's own CPU time, for the bench: /proc/self/task/TID/stat of this thread. */
function workerCpuUs(tid: number): number {
	const stat = readStat(process.pid, tid);
	return stat ? ((stat.utimeTicks + stat.stimeTicks) * 1e6) / 100 : 0;
}

/** How long this worker's thread has waited for a CPU since `since` (µs, its schedstat). */
function cpuWaitSince(tid: number, since: number | undefined): number | undefined {
	const now = readRunQueueWaitUs(process.pid, tid);
	return now === undefined || since === undefined ? undefined : now - since;
}

type EndReason = 'duration' | 'stopped' | 'exited';

/** run: the script waits at its start gate until this worker has read it (start-gate.ts). */
let gateShut = options.gateFd === undefined;
function releaseGate(go: boolean): void {
	if (!gateShut) {
		gateShut = true;
		closeGate(options.gateFd!, go);
	}
}

function run(): void {
	let session: TargetSession;
	try {
		session = TargetSession.open(options, stopRequested);
	} catch (error) {
		// attach --subprocesses of a shell or launcher whose children are Python: those are read.
		if (error instanceof NotPythonError && options.followChildren === true && options.gateFd === undefined && descendants(options.pid).length > 0) {
			runBelow();
			return;
		}

		throw error;
	}

	const {target} = session;
	if (!gateShut) {
		// Read the script until it waits at its gate, let it go, and start the clock once it is past it.
		waitForGate(session.unwinder, performance.now() + Math.max(options.waitForRuntimeMs, 1000), stopRequested);
		releaseGate(true);
		waitPastGate(session.unwinder, performance.now() + Math.max(options.waitForRuntimeMs, 1000), stopRequested);
		session.startUs = nowUs();
	}

	const workerTid = libc().gettid();
	libc().prctl(prSetTimerslack, 1, 0, 0, 0);
	const notes = versionNotes(target.version, target.traits, options);
	post({type: 'attached', target: {pid: target.pid, version: target.version.text, binary: target.binary, command: target.command, startedAt: Date.now(), notes, ...(target.nsPid === undefined ? {} : {nsPid: target.nsPid})}});

	const pacer = new Pacer(options.intervalUs, session.startUs);
	const durationUs = options.durationS * 1e6;
	const waitAtStart = readRunQueueWaitUs(process.pid, workerTid);
	const workerStats = (): WorkerStats => {
		const cpuWaitUs = cpuWaitSince(workerTid, waitAtStart);
		return {missed: pacer.missed, late: pacer.late, cpuUs: workerCpuUs(workerTid), ...(cpuWaitUs === undefined ? {} : {cpuWaitUs})};
	};

	const children = options.followChildren ? new FollowedChildren(options, post, workerStats) : undefined;
	const sendBatches = (now: number) => {
		const {batch, transfer} = session.takeBatch(now, workerStats());
		post(batch, transfer);
		children?.sendBatches(now);
		readControlMessages(session, children, now);
		if (session.nativeRefusal !== undefined) {
			post({type: 'native-stacks', error: session.nativeRefusal});
			session.nativeRefusal = undefined;
		}
	};

	let lastBatch = session.startUs;
	let lastLivenessCheck = session.startUs;
	let reason: EndReason;
	/** The target is gone: samples not sent yet are dropped if another process now has its PID. */
	const ended = (): EndReason => {
		if (session.pidReused()) {
			session.discardPending();
		}

		return 'exited';
	};

	/** The target exec'd: samples since the last look are dropped, the new program read from now on. */
	const followed = (): boolean => {
		session.discardPending();
		const target = session.followExec(stopRequested);
		if (target) {
			post({type: 'exec', atUs: Math.round(pacer.readClock() - session.startUs), target: {pid: target.pid, version: target.version.text, binary: target.binary, command: target.command, startedAt: Date.now()}});
		}

		return target !== undefined;
	};

	/** Whether sampling goes on after a look at the target's identity. */
	const stillTarget = (): boolean => {
		const identity = session.verify();
		if (identity === 'gone') {
			reason = ended();
			return false;
		}

		if (identity === 'exec' && !followed()) {
			reason = 'exited';
			return false;
		}

		return true;
	};

	for (;;) {
		holdWhileSuspended(session);
		if (stopRequested()) {
			reason = 'stopped';
			break;
		}

		if (durationUs > 0 && pacer.clock - session.startUs >= durationUs) {
			reason = 'duration';
			break;
		}

		const now = pacer.nextTick();
		if (now === undefined) {
			continue; // Woke from a slice of a long wait: look for a stop, then wait on.
		}

		const outcome = session.tick(now);
		if (outcome === 'gone') {
			reason = ended();
			break;
		}

		if (outcome === 'exec' && !followed()) {
			reason = 'exited';
			break;
		}

		children?.tick(now);
		const after = pacer.readClock();
		const sending = after - lastBatch >= options.batchMs * 1000 || session.pending > maxPendingTicks;
		if (sending || after - lastLivenessCheck > livenessCheckUs) {
			lastLivenessCheck = after;
			if (!stillTarget()) {
				break;
			}

			pacer.readClock();
		}

		if (children) {
			children.look(after);
			pacer.readClock();
		}

		if (sending) {
			sendBatches(after);
			lastBatch = after;
			pacer.readClock();
		}
	}

	// The last batch (only the statistics, when samples were dropped for not being the target's).
	const end = nowUs();
	sendBatches(end);
	children?.close(end);
	session.close();
	post({type: 'done', reason: reason!});
}

/**
 * --subprocesses below a process that is not Python (a shell, a launcher, as py-spy allows):
 * the same loop without a target of its own, reading its Python descendants until it ends.
 */
function runBelow(): void {
	const workerTid = libc().gettid();
	libc().prctl(prSetTimerslack, 1, 0, 0, 0);
	post({type: 'attached', target: {pid: options.pid, version: '', binary: '', command: readCmdline(options.pid), startedAt: Date.now(), notPython: true}});
	const startUs = nowUs();
	const pacer = new Pacer(options.intervalUs, startUs);
	const durationUs = options.durationS * 1e6;
	const waitAtStart = readRunQueueWaitUs(process.pid, workerTid);
	const children = new FollowedChildren(options, post, (): WorkerStats => {
		const cpuWaitUs = cpuWaitSince(workerTid, waitAtStart);
		return {missed: pacer.missed, late: pacer.late, cpuUs: workerCpuUs(workerTid), ...(cpuWaitUs === undefined ? {} : {cpuWaitUs})};
	});
	let lastBatch = startUs;
	let lastLivenessCheck = startUs;
	let reason: EndReason;
	for (;;) {
		holdWhileSuspended(undefined);
		if (stopRequested()) {
			reason = 'stopped';
			break;
		}

		if (durationUs > 0 && pacer.clock - startUs >= durationUs) {
			reason = 'duration';
			break;
		}

		const now = pacer.nextTick();
		if (now === undefined) {
			continue;
		}

		children.tick(now);
		const after = pacer.readClock();
		if (after - lastLivenessCheck > livenessCheckUs) {
			lastLivenessCheck = after;
			const state = readStat(options.pid)?.state;
			if (state === undefined || state === 'Z' || state === 'X') {
				reason = 'exited';
				break;
			}
		}

		children.look(after);
		pacer.readClock();
		if (after - lastBatch >= options.batchMs * 1000) {
			children.sendBatches(after);
			readControlMessages(undefined, children, after);
			lastBatch = after;
			pacer.readClock();
		}
	}

	const end = nowUs();
	children.sendBatches(end);
	children.close(end);
	post({type: 'done', reason});
}

/** What the main thread asked since the last batch (it cannot reach this thread's event loop: it never runs). */
function readControlMessages(session: TargetSession | undefined, children: FollowedChildren | undefined, nowUs: number): void {
	for (let received = receiveMessageOnPort(parentPort!); received; received = receiveMessageOnPort(parentPort!)) {
		const message = received.message as ControlMessage;
		if (message.type === 'stop-child') {
			children?.stop(message.pid, nowUs);
		} else {
			post(session ? switchNativeStacks(session, message.mode) : {type: 'native-stacks', error: 'no Python process of its own to unwind'});
		}
	}
}

/** The live view's `n`: native stacks on or off from the next tick, and the answer that says which. */
function switchNativeStacks(session: TargetSession, mode: SamplerOptions['nativeStacks']): WorkerMessage {
	let error: string | undefined;
	try {
		error = session.setNativeStacks(mode);
	} catch (thrown) {
		error = thrown instanceof Error ? thrown.message : String(thrown);
	}

	// The mode sampled now either way: a refused change leaves the one before.
	const now = session.nativeStacksMode;
	return {type: 'native-stacks', ...(now ? {mode: now} : {}), ...(error === undefined ? {} : {error})};
}

try {
	await loadOptionalParts(options);
	run();
} catch (error) {
	releaseGate(false);
	const userError = error instanceof UserError;
	post({
		type: 'error',
		message: error instanceof Error ? error.message : String(error),
		userError,
		exitCode: userError ? error.exitCode : 1,
	});
}
