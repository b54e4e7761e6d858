// One sampled process in the worker: its target and unwinder, what --blocking and
// --async-aware add around each read, the batches its samples go into, and how its reads went.
import {UserError} from '../common/errors.js';
import type {AsyncStacks} from './asyncio.js';
import {BatchBuilder} from './batch-builder.js';
import {FrameTable} from './frame-table.js';
import type {NativeStacks} from './native/native-stacks.js';
import {nowUs} from './pacer.js';
import {processEnding} from './proc.js';
import type {SampleBatch, SamplerOptions, SamplerStats} from './protocol.js';
import {ThreadFreezer} from './ptrace.js';
import {TargetGoneError, TornReadError} from './remote-memory.js';
import {describeReadError, openTarget, type Target} from './target.js';
import {type IdentityCheck, TargetIdentity} from './target-identity.js';
import {ThreadNames} from './thread-names.js';
import {Unwinder} from './unwinder.js';

/** What the worker adds to a session's statistics: pacing (missed, late ticks) and its own thread's CPU. */
export type WorkerStats = Pick<SamplerStats, 'missed' | 'late' | 'cpuUs' | 'cpuWaitUs'>;

/**
 * The parts only some captures use, loaded by loadOptionalParts() when asked for: the DWARF
 * unwinder of --native-stacks and the task reader of --async-aware cost a worker ~45 ms of CPU
 * to load, before its first sample, in every capture that does not use them.
 */
const parts: {AsyncStacks?: typeof AsyncStacks; NativeStacks?: typeof NativeStacks} = {};

/** Loads what `options` will need of the optional parts; call before opening a session with them. */
export async function loadOptionalParts(options: SamplerOptions): Promise<void> {
	if (options.asyncAware && !parts.AsyncStacks) {
		parts.AsyncStacks = (await import('./asyncio.js')).AsyncStacks;
	}

	if ((options.nativeStacks || options.nativeStacksToggle) && !parts.NativeStacks) {
		parts.NativeStacks = (await import('./native/native-stacks.js')).NativeStacks;
	}
}

/** An optional part, which loadOptionalParts() must have loaded. */
function part<K extends keyof typeof parts>(name: K): NonNullable<(typeof parts)[K]> {
	const loaded = parts[name];
	if (!loaded) {
		throw new Error(`${name} was not loaded (loadOptionalParts)`);
	}

	return loaded;
}

/**
 * What the Python walk is asked for: every thread for --async-aware (task chains may run in
 * any); the eval-call markers of --native for --native-stacks (its merge anchors).
 */
function unwindOptionsFor(options: SamplerOptions): SamplerOptions {
	return {...options, allThreads: options.allThreads || options.asyncAware === true, native: options.native || options.nativeStacks !== undefined};
}

/** How a tick went for one target: read, failed (a torn read, counted), the process is gone, or it exec'd. */
export type TickOutcome = 'sampled' | 'failed' | 'gone' | 'exec';

/** How long a program the target exec'd has to become a readable Python (ms). */
const execWaitMs = 5000;

/** Torn reads in a row after which we look whether the process is a zombie. */
const tornBeforeLivenessCheck = 20;

/** A sleep of a few ms on this thread (Atomics.wait on a cell nobody notifies). */
const napCell = new Int32Array(new SharedArrayBuffer(4));

export class TargetSession {
	target: Target;
	unwinder: Unwinder;
	/** When sampling this target started, on the worker's clock (µs): tick times count from it. */
	startUs: number;
	attempts = 0;
	errors = 0;
	lastError: string | undefined;
	private readonly batches: BatchBuilder;
	/** --blocking, --native-stacks: the target's threads stand still while they are read. */
	private freezer: ThreadFreezer | undefined;
	private asyncStacks: AsyncStacks | undefined;
	/** --native-stacks: each thread's native frames merged in while its threads stand still. */
	private nativeStacks: NativeStacks | undefined;
	/** Whether the process under the PID is still the one attached to, and the program it ran then. */
	private readonly identity: TargetIdentity;
	private options: SamplerOptions;
	private readonly frames: FrameTable;
	private readonly needStates: boolean;
	private consecutiveErrors = 0;
	/** Native stacks were turned on while sampling (the live view's `n`), not asked for at the start. */
	private nativeToggledOn = false;
	/** Why native stacks, turned on while sampling, were turned off again (the threads could not be stopped): for the worker to say. */
	nativeRefusal: string | undefined;

	/**
	 * Opens `options.pid`; a process just started may not have exec'd Python or built its
	 * runtime yet, so it is tried again for options.waitForRuntimeMs (or until a stop).
	 */
	static open(options: SamplerOptions, stopRequested: () => boolean): TargetSession {
		const frames = new FrameTable();
		const {target, unwinder} = TargetSession.openReader(options, frames, options.waitForRuntimeMs, stopRequested);
		return new TargetSession(options, target, unwinder, frames);
	}

	/** The target and an unwinder on it, once its runtime is ready (or waitMs has passed). */
	private static openReader(options: SamplerOptions, frames: FrameTable, waitMs: number, stopRequested: () => boolean): {target: Target; unwinder: Unwinder} {
		const deadline = performance.now() + waitMs;
		for (;;) {
			try {
				const target = openTarget(options.pid);
				const unwinder = new Unwinder(target, frames, unwindOptionsFor(options));
				if (unwinder.ready || performance.now() >= deadline) {
					return {target, unwinder};
				}
			} catch (error) {
				if (performance.now() >= deadline || !(error instanceof UserError) || stopRequested()) {
					throw error;
				}
			}

			Atomics.wait(napCell, 0, 0, 5);
		}
	}

	/**
	 * Opens a process found while sampling (a --subprocesses child) without waiting: undefined
	 * while it is not a readable Python (yet: not exec'd, runtime not built), with the reason.
	 */
	static tryOpen(options: SamplerOptions): TargetSession | string {
		try {
			const target = openTarget(options.pid);
			const frames = new FrameTable();
			const unwinder = new Unwinder(target, frames, {...options, allThreads: options.allThreads || options.asyncAware === true});
			return unwinder.ready ? new TargetSession(options, target, unwinder, frames) : 'its interpreter had not started';
		} catch (error) {
			return error instanceof Error ? error.message : String(error);
		}
	}

	private constructor(options: SamplerOptions, target: Target, unwinder: Unwinder, frames: FrameTable) {
		this.options = options;
		this.frames = frames;
		this.target = target;
		this.unwinder = unwinder;
		this.startUs = nowUs();
		this.identity = new TargetIdentity(target.pid);
		this.freezer = options.blocking || options.nativeStacks ? new ThreadFreezer(target.pid) : undefined;
		this.needStates = options.cpuState || options.native;
		this.batches = new BatchBuilder(frames, new ThreadNames(unwinder.remote), options.intervalUs);
		this.attachReaders();
	}

	/** What reads around the unwinder: native stacks, task chains, thread names. */
	private attachReaders(): void {
		const {options, unwinder, target} = this;
		this.nativeStacks = options.nativeStacks ? new (part('NativeStacks'))(target, this.frames, options.nativeStacks) : undefined;
		unwinder.recordAddresses ||= this.nativeStacks !== undefined;
		this.asyncStacks?.close();
		this.asyncStacks = options.asyncAware ? new (part('AsyncStacks'))(unwinder.remote, unwinder, options.asyncMode ?? 'running') : undefined;
		unwinder.runningBeforePause = this.stopsThreads() ? this.freezer?.runningBefore : undefined;
		this.batches.threadNames = new ThreadNames(unwinder.remote);
	}

	/**
	 * Whether the PID still names the process attached to: `gone` (exited, or another process has
	 * its PID now), `exec` (it runs a new program), or `same`.
	 */
	verify(): IdentityCheck {
		return this.identity.check();
	}

	/** Another process has the target's PID now (the target exited, and the PID was given again). */
	pidReused(): boolean {
		return this.identity.pidTaken();
	}

	/** --native-stacks as sampled now (undefined: off). */
	get nativeStacksMode(): SamplerOptions['nativeStacks'] {
		return this.options.nativeStacks;
	}

	/**
	 * The live view's `n`: native stacks on (a mode) or off from the next tick. The walk is built
	 * again (its eval-call markers follow the flag); frames and stacks sampled so far keep their
	 * ids, and the freezer keeps counting the pauses. Off again, the threads stand still only
	 * with --blocking. Returns why it could not be done, or undefined.
	 */
	setNativeStacks(mode: SamplerOptions['nativeStacks']): string | undefined {
		if (mode === this.options.nativeStacks) {
			return undefined;
		}

		if (mode && !parts.NativeStacks) {
			return 'the native unwinder was not loaded (nativeStacksToggle)';
		}

		const {nativeStacks: _nativeStacks, ...others} = this.options;
		const options: SamplerOptions = mode ? {...others, nativeStacks: mode} : others;
		const unwinder = new Unwinder(this.target, this.frames, unwindOptionsFor(options));
		this.unwinder.close();
		this.unwinder = unwinder;
		this.options = options;
		this.freezer ??= mode ? new ThreadFreezer(this.target.pid) : undefined;
		if (!this.stopsThreads()) {
			this.freezer?.releaseAll(); // Stragglers of the last pause: none stays ours.
		}

		this.nativeToggledOn = mode !== undefined;
		this.attachReaders();
		return undefined;
	}

	/** Lets every thread of the target go (before tachyon-top suspends itself): none stays in a ptrace stop. */
	releaseThreads(): void {
		this.freezer?.releaseAll();
	}

	/** Drops the samples not sent yet: taken since the last check, they may not be the target's. */
	discardPending(): void {
		this.batches.discard();
	}

	/**
	 * After an exec: reads the new program's interpreter (waiting for its runtime) and samples it
	 * from now on, with the same frame and stack tables. Returns its target, or undefined when the
	 * new program is not a Python we can read.
	 */
	followExec(stopRequested: () => boolean): Target | undefined {
		this.unwinder.close();
		try {
			const {target, unwinder} = TargetSession.openReader(this.options, this.frames, execWaitMs, stopRequested);
			this.target = target;
			this.unwinder = unwinder;
			this.identity.acceptImage();
			this.attachReaders();
			this.consecutiveErrors = 0;
			return target;
		} catch (error) {
			this.lastError = `after an exec: ${error instanceof Error ? error.message : String(error)}`;
			return undefined;
		}
	}

	/** Samples the target once, at `nowUs` on the worker's clock, into the next batch. */
	tick(nowUs: number): TickOutcome {
		this.attempts++;
		try {
			const nowMs = nowUs / 1000;
			const count = this.asyncStacks ? this.asyncStacks.rewrite(nowMs, this.read(nowMs)) : this.read(nowMs);
			this.batches.addTick(Math.round(nowUs - this.startUs), nowUs, this.unwinder.samples, count, this.asyncStacks?.repeated, this.asyncStacks?.keptStacks);
			this.consecutiveErrors = 0;
			return 'sampled';
		} catch (error) {
			if (error instanceof TargetGoneError) {
				return 'gone';
			}

			if (!(error instanceof TornReadError)) {
				// A process being killed refuses reads (EPERM) for a moment before it is gone.
				if (processEnding(this.target.pid)) {
					return 'gone';
				}

				throw describeReadError(this.target.pid, error);
			}

			this.errors++;
			this.consecutiveErrors++;
			this.lastError = error.message;
			// A zombie (exited, not yet reaped) reads as torn memory rather than ESRCH; so does a
			// runtime that moved away in an exec.
			if (this.consecutiveErrors > tornBeforeLivenessCheck) {
				const identity = this.verify();
				return identity === 'same' ? 'failed' : identity;
			}

			return 'failed';
		}
	}

	/** The process has exited (gone, or a zombie not yet reaped), or its PID is another process's. */
	gone(): boolean {
		return this.verify() === 'gone';
	}

	/** Buffers of batches the main thread has taken in, to copy the next batches into. */
	recycle(buffers: readonly ArrayBuffer[]): void {
		this.batches.recycle(buffers);
	}

	/** Numbers held for the next batch. */
	get pending(): number {
		return this.batches.pending;
	}

	/** The samples since the last batch, with the statistics of the whole capture so far (`worker`: the pacer's and the thread's). */
	takeBatch(nowUs: number, worker: WorkerStats): {batch: SampleBatch; transfer: ArrayBuffer[]} {
		const {attempts, errors, lastError, freezer} = this;
		return this.batches.take(nowUs, {
			attempts, errors, ...worker, elapsedUs: nowUs - this.startUs,
			reads: this.unwinder.memory.calls, bytesRead: this.unwinder.memory.bytes,
			...(freezer ? {pauseUs: freezer.pauseUs, pauses: freezer.pauses} : {}),
			...(lastError ? {lastError} : {}),
		});
	}

	/** Releases /proc file descriptors. */
	close(): void {
		this.unwinder.close();
		this.asyncStacks?.close();
		this.identity.close();
	}

	/** --blocking or --native-stacks (now: the live view turns the latter on and off). */
	private stopsThreads(): boolean {
		return this.options.blocking === true || this.options.nativeStacks !== undefined;
	}

	/** One read of every sampled thread; with --blocking, the threads stand still for it, and run on whatever happens (the finally). */
	private read(nowMs: number): number {
		if (!this.freezer || !this.stopsThreads()) {
			return this.unwinder.sample(nowMs);
		}

		try {
			this.freezer.pause(this.needStates);
		} catch (error) {
			// Turned on from the live view where the threads may not be stopped (another tracer,
			// ptrace_scope): native stacks go off again and sampling goes on, saying why.
			if (!this.nativeToggledOn || !(error instanceof UserError)) {
				throw error;
			}

			this.setNativeStacks(undefined);
			this.nativeRefusal = error.message;
			return this.unwinder.sample(nowMs);
		}

		try {
			const count = this.unwinder.sample(nowMs);
			this.nativeStacks?.rewrite(this.unwinder.samples, count);
			return count;
		} finally {
			this.freezer.resume();
		}
	}
}
