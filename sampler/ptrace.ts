// --blocking: stops every thread of the target around one sample, so the stacks read are
// exactly the stacks it had. PTRACE_SEIZE + PTRACE_INTERRUPT, never PTRACE_ATTACH: a seized
// thread is not SIGSTOPped, so if we die the kernel detaches it and it simply runs on.
//
// ptrace requests are bound to the OS thread that seized: everything here runs in the
// sampler worker, synchronously (no koffi async). Every pause is undone by resume() before
// the worker does anything else; close() resumes too, for the ways out of the loop.
import fs from 'node:fs';
import {UserError} from '../common/errors.js';
import {errno, libc} from './libc.js';
import {permissionError} from './permission-advice.js';
import {listTasks, processEnding, readStatusField} from './proc.js';
import {TargetGoneError} from './remote-memory.js';

const ptraceSeize = 0x42_06;
const ptraceInterrupt = 0x42_07;
const ptraceDetach = 17;
const waitAll = 0x40_00_00_00; // __WALL: clone()d threads too
const waitNoHang = 1;
/** Listings of the thread list per pause: threads started while we stop the others are found by the next one. */
const maxListings = 4;
/** A refusal of the main thread this many pauses in a row, before any seize ever worked, is a real one. */
const refusalsBeforeError = 5;
/** A thread that does not reach its stop in this long is left running (it is exiting, most likely). */
const stopTimeoutMs = 50;
/** How long to spin for a stop before sleeping between checks, and how long each sleep is. */
const spinSpanMs = 0.2;
const napMs = 0.05;

/** Who traces a process (TracerPid in its status), 0 for nobody. */
function tracerOf(pid: number): number {
	try {
		return Number(readStatusField(pid, 'TracerPid') ?? 0);
	} catch {
		return 0;
	}
}

/** WIFSTOPPED: the wait status of a stop rather than an exit. */
function isStopped(status: number): boolean {
	return (status & 0xFF) === 0x7F;
}

/**
 * The signal of a signal-delivery stop, else 0. A thread that was taking a signal as it was
 * seized stops with that signal in hand instead of delivering it: it must be handed back on
 * detach (its data argument), or the target never gets it (a Ctrl-C, a SIGTERM, a timer
 * lost). The stop of PTRACE_INTERRUPT is an event stop (an event in bits 16+), with none.
 */
function deliveredSignal(status: number): number {
	return isStopped(status) && (status >>> 16) === 0 ? (status >> 8) & 0xFF : 0;
}

export class ThreadFreezer {
	readonly pid: number;
	/** Threads seized by the current pause, to detach on resume. */
	private readonly seized: number[] = [];
	/** Per seized thread, the signal its stop intercepted (0 for none), handed back on detach. */
	private readonly signals = new Map<number, number>();
	/** Seized threads whose stop has been waited for (its status collected): only these are detached. */
	private readonly collected = new Set<number>();
	/** Threads that reached no stop before detach gave up on them: retried on each resume. */
	private readonly stragglers = new Set<number>();
	private readonly status = new Int32Array(1);
	/** Atomics.wait's only way to sleep a thread for a while: a cell nobody ever notifies. */
	private readonly nap = new Int32Array(new SharedArrayBuffer(4));
	/**
	 * Which threads were running on a CPU just before the pause (filled when pause() is asked
	 * to): once stopped, /proc shows every thread as stopped, so on-CPU state is taken first.
	 */
	readonly runningBefore = new Map<number, boolean>();
	private readonly statBuffer = Buffer.alloc(512);
	/** Some thread was stopped once: permission is not the problem. */
	private everSeized = false;
	/** Pauses in a row whose seize of the main thread was refused, before any ever succeeded. */
	private deniedInARow = 0;
	/**
	 * How long the target stood still, in total, and how often: from the start of each pause to
	 * the end of its resume, the reads in between included (what --blocking costs the target).
	 */
	pauseUs = 0;
	pauses = 0;
	/** When the current pause began (performance.now() ms). */
	private pausedAt = 0;

	constructor(pid: number) {
		this.pid = pid;
	}

	/**
	 * Stops every thread of the target; returns how many were stopped. Threads race with us:
	 * one may start while the others are being stopped (it is stopped too: the thread list is
	 * read again until it holds no new thread), end in the middle (ESRCH, or EPERM for one
	 * exiting), or still be ours from an earlier pause. None of that costs more than that
	 * thread in this sample. Only a process whose main thread we may never stop is an error.
	 */
	pause(readStates = false): number {
		this.pausedAt = performance.now();
		let tids = this.listThreads();
		if (tids.length === 0) {
			return 0; // The process is gone; the unwinder will say so.
		}

		this.runningBefore.clear();
		if (readStates) {
			for (const tid of tids) {
				this.runningBefore.set(tid, this.isRunning(tid));
			}
		}

		try {
			const looked = new Set<number>();
			// A thread created while we stop the others appears in the next listing.
			for (let round = 0; round < maxListings && tids.length > 0; round++) {
				for (const tid of tids) {
					looked.add(tid);
					this.seize(tid);
				}

				this.waitForStops();
				tids = this.listThreads().filter(tid => !looked.has(tid));
			}
		} catch (error) {
			this.resume();
			throw error;
		}

		return this.seized.length;
	}

	/** The target's threads now; empty once it is gone. */
	private listThreads(): number[] {
		return listTasks(this.pid);
	}

	/** Seizes and interrupts one thread, or leaves it be (gone, exiting, still ours). */
	private seize(tid: number): void {
		const {ptrace} = libc();
		if (this.stragglers.has(tid) || this.seized.includes(tid)) {
			return; // Still ours from an earlier pause, not yet stopped: resume() detaches it.
		}

		if (ptrace(ptraceSeize, tid, 0, 0) !== 0) {
			const code = libc().errno();
			if (code === errno.EPERM) {
				this.deniedOnce(tid);
			}

			return; // ESRCH: it ended since we listed it.
		}

		this.everSeized = true;
		this.deniedInARow = 0;
		this.seized.push(tid);
		ptrace(ptraceInterrupt, tid, 0, 0); // ESRCH: it is exiting; its wait says so.
	}

	/**
	 * EPERM from PTRACE_SEIZE. For a thread that is exiting (or a process in the middle of
	 * exec) it is a race, and costs that thread this sample. It is a real refusal only when
	 * the main thread is refused again and again before any thread was ever stopped: then
	 * say why (another tracer, or the kernel's rules).
	 */
	private deniedOnce(tid: number): void {
		if (tid !== this.pid || this.everSeized || ++this.deniedInARow < refusalsBeforeError) {
			return;
		}

		// A process on its way out (killed, exiting) refuses ptrace with EPERM too: that is an
		// exit, not a permission to ask for.
		if (processEnding(this.pid)) {
			throw new TargetGoneError(this.pid);
		}

		const tracer = tracerOf(this.pid);
		throw tracer !== 0 && tracer !== process.pid
			? new UserError(`cannot stop the threads of process ${this.pid} (--blocking): it is already traced by process ${tracer} (a debugger?)`)
			: permissionError(this.pid, 'stopping (--blocking, ptrace) the threads of');
	}

	/** Waits for each seized thread to reach its stop, without ever blocking for good. */
	private waitForStops(): void {
		const {waitpid} = libc();
		for (const tid of this.seized) {
			if (this.collected.has(tid)) {
				continue;
			}

			const started = performance.now();
			const deadline = started + stopTimeoutMs;
			let waited: number;
			while ((waited = waitpid(tid, this.status, waitAll | waitNoHang)) === 0 && performance.now() < deadline) {
				// A stop takes microseconds: spin. A thread still not there after spinSpanMs is
				// waiting for a CPU, which the spinning would keep from it (2 cores, loaded): sleep.
				if (performance.now() - started > spinSpanMs) {
					Atomics.wait(this.nap, 0, 0, napMs);
				}
			}

			if (waited === tid) {
				this.noteStop(tid);
			}
		}
	}

	private isRunning(tid: number): boolean {
		try {
			const fd = fs.openSync(`/proc/${this.pid}/task/${tid}/stat`, 'r');
			const length = fs.readSync(fd, this.statBuffer, 0, this.statBuffer.length, 0);
			fs.closeSync(fd);
			const close = this.statBuffer.lastIndexOf(0x29, length); // ')'
			return close >= 0 && this.statBuffer[close + 2] === 0x52; // 'R'
		} catch {
			return false;
		}
	}

	/** Lets every stopped thread run again. Safe to call when nothing is paused. */
	resume(): void {
		for (const tid of this.seized) {
			if (!this.detach(tid, 1000)) {
				this.stragglers.add(tid);
			}
		}

		for (const tid of this.stragglers) {
			if (!this.seized.includes(tid) && this.detach(tid, 0)) {
				this.stragglers.delete(tid);
			}
		}

		if (this.seized.length > 0) {
			this.pauses++;
			// From the start of pause() to now: stopping, the reads while stopped, resuming.
			this.pauseUs += (performance.now() - this.pausedAt) * 1000;
		}

		this.seized.length = 0;
	}

	/**
	 * Detaches every thread still ours, waiting up to `waitMs` each for a straggler to reach its
	 * stop (a thread can only be detached in it): called between samples, before tachyon-top
	 * suspends itself, so that no thread of the target stays stopped while we are.
	 */
	releaseAll(waitMs = 200): void {
		this.resume();
		for (const tid of this.stragglers) {
			if (this.detach(tid, waitMs)) {
				this.stragglers.delete(tid);
			}
		}
	}

	/** The status just waited for: a stop (its intercepted signal noted) or an exit. */
	private noteStop(tid: number): void {
		if (!isStopped(this.status[0]!)) {
			return;
		}

		this.collected.add(tid);
		const signal = deliveredSignal(this.status[0]!);
		if (signal !== 0) {
			this.signals.set(tid, signal);
		}
	}

	/**
	 * Detaches one thread; false if it is still ours (no stop within waitMs). PTRACE_DETACH
	 * only works on a thread in its ptrace stop (else ESRCH), and it sets the signal the thread
	 * resumes with to its data argument: so a stop is always collected (waited for, its signal
	 * noted) before the detach. A thread that reached a signal-delivery stop unseen (after the
	 * pause's wait gave up on it, a loaded machine) and were detached then would lose that
	 * signal. One slow to get to its stop must not stay ours: wait for it, or for its exit.
	 */
	private detach(tid: number, waitMs: number): boolean {
		const {ptrace, waitpid} = libc();
		const deadline = performance.now() + waitMs;
		while (!this.collected.has(tid)) {
			const waited = waitpid(tid, this.status, waitAll | waitNoHang);
			if (waited < 0 || (waited === tid && !isStopped(this.status[0]!))) {
				this.forget(tid);
				return true; // Exited, or not ours (any more): nothing left to detach.
			}

			if (waited === tid) {
				this.noteStop(tid);
			} else if (performance.now() >= deadline) {
				return false;
			} else {
				Atomics.wait(this.nap, 0, 0, napMs); // Not stopped yet: leave it a CPU to get there.
			}
		}

		const detached = ptrace(ptraceDetach, tid, 0, this.signals.get(tid) ?? 0) === 0;
		this.forget(tid);
		// Refused: the thread left its stop, killed on its way out (SIGKILL ends a ptrace stop).
		// It is still ours, and a traced thread that exits stays a zombie until its tracer waits
		// for it (holding up its whole process's exit): kept, its exit is collected later.
		return detached;
	}

	private forget(tid: number): void {
		this.collected.delete(tid);
		this.signals.delete(tid);
	}

	/** True while threads are stopped (between pause and resume). */
	get paused(): boolean {
		return this.seized.length > 0;
	}
}
