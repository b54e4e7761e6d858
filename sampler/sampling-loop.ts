// The sampling loop. The pacer (pacer.ts) holds the rate; the session (target-session.ts) reads
// the target and fills the batches (batch-builder.ts), which leave as compact typed arrays, so
// steady-state sampling allocates nothing per sample. With --subprocesses the target's Python
// descendants are read in the same loop, at the same ticks (followed-children.ts). This file is
// the loop: when to stop, when to look whether the target still lives (and is still the process
// attached to: a PID given to another process ends the capture, an exec is followed) and for new
// children, when to send. No batch leaves before that look: what it holds was the target's.
//
// It runs on a thread of its own (worker.ts: so drawing, pushing or exporting never delays a
// sample) or on the main thread (run and attach with TACHYON_TOP_SAMPLER=main: one V8 isolate
// instead of two, ~11–17 MB of RSS less, but on a loaded machine the main thread's own work
// delays samples). The loop is a generator that yields after each batch it sends (and while
// tachyon-top is suspended), so the main thread can take in the batch, draw its status line and
// hear Ctrl-C in between; the worker runs it straight through.
import {NotPythonError, UserError} from '../common/errors.js';
import {libc} from './libc.js';
import {nowUs, Pacer} from './pacer.js';
import {descendants, readCmdline, readRunQueueWaitUs, readStat} from './proc.js';
import {FollowedChildren} from './followed-children.js';
import {Control, type ControlMessage, type SamplerOptions, type WorkerMessage} from './protocol.js';
import {closeGate, gateLimit, waitForGate, waitPastGate} from './start-gate.js';
import {loadOptionalParts, TargetSession, type WorkerStats} from './target-session.js';
import {versionNotes} from './version-notes.js';

/** How the loop talks to whoever started it (the worker's port, or the main thread's handlers). */
type LoopPort = {
	readonly post: (message: WorkerMessage, transfer?: ArrayBuffer[]) => void;
	/** The next control message sent to the loop, if any (read between batches). */
	readonly receive: () => ControlMessage | undefined;
	/** While tachyon-top is suspended: waits a little (a worker), or not at all (the main thread, which the loop yields to). */
	readonly waitWhileSuspended: (controlWords: Int32Array) => void;
};

/** A generator of the loop's steps: each yield is a point where its thread may do other work. */
export type LoopSteps = Generator<void, void, void>;

/** The steps of a loop that failed before it started: none. */
function * noSteps(): LoopSteps {}

const prSetTimerslack = 29;
/** How often the loop looks whether the target still exists (a read of /proc), µs. */
const livenessCheckUs = 200_000;
/** A batch leaves early once this many tick numbers are waiting. */
const maxPendingTicks = 90_000;

type EndReason = 'duration' | 'stopped' | 'exited';

/** This thread's own CPU time, for the bench: /proc/self/task/TID/stat of this thread. */
function threadCpuUs(tid: number): number {
	const stat = readStat(process.pid, tid);
	return stat ? ((stat.utimeTicks + stat.stimeTicks) * 1e6) / 100 : 0;
}

/** How long this thread has waited for a CPU since `since` (µs, its schedstat). */
function cpuWaitSince(tid: number, since: number | undefined): number | undefined {
	const now = readRunQueueWaitUs(process.pid, tid);
	return now === undefined || since === undefined ? undefined : now - since;
}

/** The statistics of the thread that samples, for each batch. */
function threadStats(pacer: Pacer): () => WorkerStats {
	const tid = libc().gettid();
	libc().prctl(prSetTimerslack, 1, 0, 0, 0);
	const waitAtStart = readRunQueueWaitUs(process.pid, tid);
	return () => {
		const cpuWaitUs = cpuWaitSince(tid, waitAtStart);
		return {missed: pacer.missed, late: pacer.late, cpuUs: threadCpuUs(tid), ...(cpuWaitUs === undefined ? {} : {cpuWaitUs})};
	};
}

export class SamplingLoop {
	private readonly options: SamplerOptions;
	private readonly controlWords: Int32Array;
	private readonly port: LoopPort;
	/** run: the script waits at its start gate until this loop has read it (start-gate.ts). */
	private gateShut: boolean;

	constructor(options: SamplerOptions, controlWords: Int32Array, port: LoopPort) {
		this.options = options;
		this.controlWords = controlWords;
		this.port = port;
		this.gateShut = options.gateFd === undefined;
	}

	/** Loads the parts the options need, then the loop's steps; a failure is posted as an `error` message. */
	async steps(): Promise<LoopSteps> {
		try {
			await loadOptionalParts(this.options);
		} catch (error) {
			this.fail(error);
			return noSteps();
		}

		return this.guarded();
	}

	private * guarded(): LoopSteps {
		try {
			yield * this.run();
		} catch (error) {
			this.fail(error);
		}
	}

	private fail(error: unknown): void {
		this.releaseGate(false);
		const userError = error instanceof UserError;
		this.port.post({
			type: 'error',
			message: error instanceof Error ? error.message : String(error),
			userError,
			exitCode: userError ? error.exitCode : 1,
		});
	}

	private readonly stopRequested = () => Atomics.load(this.controlWords, Control.stop) === 1;

	private releaseGate(go: boolean): void {
		if (!this.gateShut) {
			this.gateShut = true;
			closeGate(this.options.gateFd!, go);
		}
	}

	/**
	 * tachyon-top is about to stop itself (Ctrl-Z): every thread of the target is let go (between
	 * ticks none is seized; a straggler still ours is detached now), the main thread is told, and
	 * the loop waits until it is continued (or stopped). The pacer counts the time away as missed.
	 */
	private * holdWhileSuspended(session: TargetSession | undefined): LoopSteps {
		const words = this.controlWords;
		if (Atomics.load(words, Control.suspend) !== 1) {
			return;
		}

		session?.releaseThreads();
		Atomics.store(words, Control.suspended, 1);
		Atomics.notify(words, Control.suspended);
		while (Atomics.load(words, Control.suspend) === 1 && !this.stopRequested()) {
			this.port.waitWhileSuspended(words);
			yield;
		}

		Atomics.store(words, Control.suspended, 0);
	}

	private * run(): LoopSteps {
		const {options, port, stopRequested} = this;
		let session: TargetSession;
		try {
			session = TargetSession.open(options, stopRequested);
		} catch (error) {
			// attach --subprocesses of a shell or launcher whose children are Python: those are read.
			if (error instanceof NotPythonError && options.followChildren === true && options.gateFd === undefined && descendants(options.pid).length > 0) {
				yield * this.runBelow();
				return;
			}

			throw error;
		}

		const {target} = session;
		if (!this.gateShut) {
			// Read the script until it waits at its gate, let it go, and start the clock once it is past it.
			const limit = gateLimit(target.pid, Math.max(options.waitForRuntimeMs, 1000), 10_000);
			waitForGate(session.unwinder, limit, stopRequested);
			this.releaseGate(true);
			waitPastGate(session.unwinder, limit, stopRequested);
			session.startUs = nowUs();
		}

		const pacer = new Pacer(options.intervalUs, session.startUs);
		const workerStats = threadStats(pacer);
		const notes = versionNotes(target.version, target.traits, options);
		port.post({type: 'attached', target: {pid: target.pid, version: target.version.text, binary: target.binary, command: target.command, startedAt: Date.now(), notes, ...(target.nsPid === undefined ? {} : {nsPid: target.nsPid})}});

		const durationUs = options.durationS * 1e6;
		const children = options.followChildren ? new FollowedChildren(options, port.post, workerStats) : undefined;
		const sendBatches = (now: number) => {
			const {batch, transfer} = session.takeBatch(now, workerStats());
			port.post(batch, transfer);
			children?.sendBatches(now);
			this.readControlMessages(session, children, now);
			if (session.nativeRefusal !== undefined) {
				port.post({type: 'native-stacks', error: session.nativeRefusal});
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
				port.post({type: 'exec', atUs: Math.round(pacer.readClock() - session.startUs), target: {pid: target.pid, version: target.version.text, binary: target.binary, command: target.command, startedAt: Date.now()}});
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
			yield * this.holdWhileSuspended(session);
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
				yield; // Woke from a slice of a long wait: the thread's other work, a look for a stop, then wait on.
				continue;
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
				yield;
				pacer.readClock();
			}
		}

		// The last batch (only the statistics, when samples were dropped for not being the target's).
		const end = nowUs();
		sendBatches(end);
		children?.close(end);
		session.close();
		port.post({type: 'done', reason: reason!});
	}

	/**
	 * --subprocesses below a process that is not Python (a shell, a launcher, as py-spy allows):
	 * the same loop without a target of its own, reading its Python descendants until it ends.
	 */
	private * runBelow(): LoopSteps {
		const {options, port, stopRequested} = this;
		port.post({type: 'attached', target: {pid: options.pid, version: '', binary: '', command: readCmdline(options.pid), startedAt: Date.now(), notPython: true}});
		const startUs = nowUs();
		const pacer = new Pacer(options.intervalUs, startUs);
		const workerStats = threadStats(pacer);
		const durationUs = options.durationS * 1e6;
		const children = new FollowedChildren(options, port.post, workerStats);
		let lastBatch = startUs;
		let lastLivenessCheck = startUs;
		let reason: EndReason;
		for (;;) {
			yield * this.holdWhileSuspended(undefined);
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
				yield;
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
				this.readControlMessages(undefined, children, after);
				lastBatch = after;
				yield;
				pacer.readClock();
			}
		}

		const end = nowUs();
		children.sendBatches(end);
		children.close(end);
		port.post({type: 'done', reason});
	}

	/** What the main thread asked since the last batch (a worker's event loop never runs: it is read here). */
	private readControlMessages(session: TargetSession | undefined, children: FollowedChildren | undefined, nowUs: number): void {
		for (let message = this.port.receive(); message; message = this.port.receive()) {
			switch (message.type) {
				case 'stop-child': {
					children?.stop(message.pid, nowUs);
					break;
				}

				case 'recycle': {
					session?.recycle(message.buffers);
					break;
				}

				case 'native-stacks': {
					this.port.post(session ? switchNativeStacks(session, message.mode) : {type: 'native-stacks', error: 'no Python process of its own to unwind'});
					break;
				}
			}
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
