// Starts the sampling worker and relays what it says. The main thread's only sampler API.
import {Worker} from 'node:worker_threads';
import type {LoopSteps} from './sampling-loop.js';
import {Control, type ChildMessage, type ControlMessage, type NativeStacksMode, type SampleBatch, type SamplerOptions, type TargetInfo, type WorkerMessage} from './protocol.js';

/**
 * The worker's young generation, in MB. V8 grows it to 16 MB semi-spaces under the sampler's
 * steady allocation (a few short-lived objects per sample), which was the largest part of its
 * heap; everything a sample allocates dies within the sample, so a small one costs little
 * more scavenging and keeps the worker's heap near its live data.
 */
const workerYoungGenerationMb = 3;

export type SamplerDefaults = Omit<SamplerOptions, 'pid'>;

export const samplerDefaults: SamplerDefaults = {
	intervalUs: 1000,
	durationS: 0,
	allThreads: false,
	gc: true,
	native: false,
	opcodes: false,
	cpuState: false,
	exceptionState: false,
	batchMs: 100,
	waitForRuntimeMs: 0,
};

export type SamplerEnd =
	| {readonly kind: 'done'; readonly reason: 'duration' | 'stopped' | 'exited'}
	| {readonly kind: 'error'; readonly message: string; readonly userError: boolean; readonly exitCode: number};

/** What a sampling can be asked and awaited for: a Sampler, or one child of a followChildren sampler. */
export type SamplerHandle = Pick<Sampler, 'finished' | 'stop'>;

/** --subprocesses: what the worker says about one of the target's children (SamplerOptions.followChildren). */
export type ChildEvent = ChildMessage | (SampleBatch & {readonly pid: number});

export type SamplerHandlers = {
	readonly onAttached?: (target: TargetInfo) => void;
	readonly onBatch: (batch: SampleBatch) => void;
	/** The target exec'd another program, which is sampled from now on (`atUs` since sampling started). */
	readonly onExec?: (atUs: number, target: TargetInfo) => void;
	readonly onChild?: (event: ChildEvent) => void;
	/** The answer to setNativeStacks(): the mode sampled now (undefined: off), or why it did not change. */
	readonly onNativeStacks?: (mode: NativeStacksMode | undefined, error: string | undefined) => void;
};

/** Where the sampling loop runs (sampling-loop.ts). */
export type SamplerPlacement = {
	/**
	 * On this thread instead of a worker of its own: one V8 isolate instead of two (~11–17 MB of
	 * RSS less), for a command that does nothing else while it samples (run, attach). This
	 * thread then samples between batches and takes each batch in, draws its status line and
	 * hears signals in between. The live view and the agent keep the worker, so drawing or
	 * pushing never delays a sample.
	 */
	readonly inThread?: boolean;
};

export class Sampler {
	/** Resolves when sampling has ended and every batch has been delivered. */
	readonly finished: Promise<SamplerEnd>;
	private readonly control = new SharedArrayBuffer(Control.length * 4);
	private readonly worker: Worker | undefined;
	/** In this thread: the control messages for the loop's next batch, and the loop's steps once loaded. */
	private readonly inbox: ControlMessage[] = [];
	private steps: LoopSteps | undefined;

	constructor(options: SamplerOptions, handlers: SamplerHandlers, placement: SamplerPlacement = {}) {
		let settled = false;
		let resolveEnd!: (end: SamplerEnd) => void;
		this.finished = new Promise(resolve => {
			resolveEnd = resolve;
		});
		const settle = (end: SamplerEnd) => {
			if (!settled) {
				settled = true;
				void this.worker?.terminate();
				resolveEnd(end);
			}
		};

		const onMessage = (message: WorkerMessage) => {
			switch (message.type) {
				case 'attached': {
					handlers.onAttached?.(message.target);
					break;
				}

				case 'batch': {
					if (message.pid === undefined) {
						handlers.onBatch(message);
					} else {
						handlers.onChild?.({...message, pid: message.pid});
					}

					break;
				}

				case 'child-attached':
				case 'child-ended':
				case 'child-unread': {
					handlers.onChild?.(message);
					break;
				}

				case 'exec': {
					handlers.onExec?.(message.atUs, message.target);
					break;
				}

				case 'native-stacks': {
					handlers.onNativeStacks?.(message.mode, message.error);
					break;
				}

				case 'done': {
					settle({kind: 'done', reason: message.reason});
					break;
				}

				case 'error': {
					settle({kind: 'error', message: message.message, userError: message.userError, exitCode: message.exitCode});
					break;
				}
			}
		};

		if (placement.inThread) {
			this.worker = undefined;
			void this.runInThread(options, onMessage, settle);
			return;
		}

		this.worker = new Worker(new URL('worker.js', import.meta.url), {
			workerData: {options, control: this.control},
			resourceLimits: {maxYoungGenerationSizeMb: workerYoungGenerationMb},
		});
		this.worker.on('message', onMessage);
		this.worker.on('error', error => {
			settle({kind: 'error', message: error.message, userError: false, exitCode: 1});
		});
		this.worker.on('exit', () => {
			settle({kind: 'done', reason: 'stopped'});
		});
	}

	/**
	 * Gives a batch's arrays back once it has been taken in and nothing keeps them: the loop copies
	 * its next batches into them instead of allocating (BatchBuilder.recycle). From a worker they
	 * go back to it (transferred: the arrays here are left empty).
	 */
	recycle(batch: SampleBatch): void {
		const buffers = [...new Set([batch.ticks.buffer, batch.records.buffer, batch.stacks.buffer])].filter(buffer => buffer.byteLength > 0) as ArrayBuffer[];
		if (buffers.length === 0) {
			return;
		}

		if (this.worker) {
			this.worker.postMessage({type: 'recycle', buffers} satisfies ControlMessage, buffers);
		} else {
			this.inbox.push({type: 'recycle', buffers});
		}
	}

	/** --subprocesses: ends the sampling of one child (read by the worker at its next batch). */
	stopChild(pid: number): void {
		this.send({type: 'stop-child', pid});
	}

	/**
	 * The live view's `n`: native stacks on (a mode) or off, from the worker's next batch; its
	 * answer comes to onNativeStacks. The worker must have been started with nativeStacksToggle.
	 */
	setNativeStacks(mode: NativeStacksMode | undefined): void {
		this.send({type: 'native-stacks', ...(mode ? {mode} : {})});
	}

	/** Asks the worker to stop; it sends what it has and then ends. Safe to call twice. */
	stop(): void {
		const words = new Int32Array(this.control);
		Atomics.store(words, Control.stop, 1);
		Atomics.notify(words, Control.wake);
		Atomics.notify(words, Control.suspend);
	}

	/**
	 * Before tachyon-top stops itself (SIGTSTP): has the worker let every thread of the target go
	 * and hold there. Waits up to `timeoutMs` (on this thread: the process is about to stop);
	 * false if the worker did not answer in time (it had ended, or is busy in a long read).
	 */
	holdForSuspend(timeoutMs: number): boolean {
		const words = new Int32Array(this.control);
		Atomics.store(words, Control.suspend, 1);
		Atomics.notify(words, Control.wake);
		if (!this.worker) {
			// The loop waits at a batch's end, where no thread is ours but a straggler: one step lets that go and holds.
			this.step();
			return Atomics.load(words, Control.suspended) === 1;
		}

		const deadline = performance.now() + timeoutMs;
		while (Atomics.load(words, Control.suspended) === 0) {
			const left = deadline - performance.now();
			if (left <= 0) {
				return false;
			}

			Atomics.wait(words, Control.suspended, 0, Math.min(left, 50));
		}

		return true;
	}

	/** After a SIGCONT: sampling goes on (the threads are seized again at the next sample). */
	resumeAfterSuspend(): void {
		const words = new Int32Array(this.control);
		Atomics.store(words, Control.suspend, 0);
		Atomics.notify(words, Control.suspend);
	}

	/** A control message for the loop, read at its next batch. */
	private send(message: ControlMessage): void {
		if (this.worker) {
			this.worker.postMessage(message);
		} else {
			this.inbox.push(message);
		}
	}

	/** The loop on this thread: a step (up to its next batch) at a time, with the event loop's turn between steps. */
	private async runInThread(options: SamplerOptions, onMessage: (message: WorkerMessage) => void, settle: (end: SamplerEnd) => void): Promise<void> {
		// Loaded here, not with this module: the live view's main thread never samples.
		const {SamplingLoop} = await import('./sampling-loop.js');
		const loop = new SamplingLoop(options, new Int32Array(this.control), {
			post: onMessage,
			receive: () => this.inbox.shift(),
			waitWhileSuspended() {
				// The step ends here: tachyon-top stops itself, and steps go on once it is continued.
			},
		});
		this.steps = await loop.steps();
		const next = () => {
			if (this.step()) {
				setImmediate(next);
			} else {
				settle({kind: 'done', reason: 'stopped'}); // After the loop's own `done` or `error`, a no-op.
			}
		};

		next();
	}

	/** One step of the loop on this thread; false once it has ended. */
	private step(): boolean {
		return this.steps?.next().done === false;
	}
}
