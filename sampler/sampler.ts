// Starts the sampling worker and relays what it says. The main thread's only sampler API.
import {Worker} from 'node:worker_threads';
import {Control, type SampleBatch, type SamplerOptions, type TargetInfo, type WorkerMessage} from './protocol.js';

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

export type SamplerHandlers = {
	readonly onAttached?: (target: TargetInfo) => void;
	readonly onBatch: (batch: SampleBatch) => void;
};

export class Sampler {
	/** Resolves when sampling has ended and every batch has been delivered. */
	readonly finished: Promise<SamplerEnd>;
	private readonly control = new SharedArrayBuffer(Control.length * 4);
	private readonly worker: Worker;

	constructor(options: SamplerOptions, handlers: SamplerHandlers) {
		this.worker = new Worker(new URL('worker.js', import.meta.url), {workerData: {options, control: this.control}});
		this.finished = new Promise(resolve => {
			let settled = false;
			const settle = (end: SamplerEnd) => {
				if (!settled) {
					settled = true;
					void this.worker.terminate();
					resolve(end);
				}
			};

			this.worker.on('message', (message: WorkerMessage) => {
				switch (message.type) {
					case 'attached': {
						handlers.onAttached?.(message.target);
						break;
					}

					case 'batch': {
						handlers.onBatch(message);
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
			});
			this.worker.on('error', error => {
				settle({kind: 'error', message: error.message, userError: false, exitCode: 1});
			});
			this.worker.on('exit', () => {
				settle({kind: 'done', reason: 'stopped'});
			});
		});
	}

	/** Asks the worker to stop; it sends what it has and then ends. Safe to call twice. */
	stop(): void {
		const words = new Int32Array(this.control);
		Atomics.store(words, Control.stop, 1);
		Atomics.notify(words, 1);
	}
}
