// The agent's outbox: windows wait here, oldest first, until the server takes them. A push
// that fails in a way worth retrying (no connection, timeout, 5xx) is tried again with
// exponential backoff; the queue is bounded in bytes, and when it overflows the oldest windows
// are dropped (and counted), so a long outage costs a bounded amount of memory.
import type {PushOutcome} from './ingest.js';

export type Queued = {
	/** What the window weighs in memory while it waits. */
	readonly bytes: number;
};

export type PushQueueOptions<T extends Queued> = {
	readonly limitBytes: number;
	readonly send: (item: T) => Promise<PushOutcome>;
	readonly onSent?: (item: T, status: number, ms: number) => void;
	readonly onRetry?: (item: T, reason: string, delayMs: number) => void;
	readonly onRejected?: (item: T, reason: string) => void;
	/** `count` windows of `bytes` were dropped to stay under the limit. */
	readonly onDropped?: (count: number, bytes: number) => void;
	/** First wait after a failure, and the longest. */
	readonly backoffMs?: {readonly first: number; readonly max: number};
};

export type PushStats = {
	sent: number;
	/** Failed attempts that were tried again. */
	retried: number;
	/** Dropped to stay under the memory limit, or left unsent when the agent stopped. */
	dropped: number;
	/** Refused by the server (4xx). */
	rejected: number;
};

export class PushQueue<T extends Queued> {
	readonly stats: PushStats = {sent: 0, retried: 0, dropped: 0, rejected: 0};
	private readonly options: PushQueueOptions<T>;
	private readonly items: T[] = [];
	private bytes = 0;
	private running = false;
	private failures = 0;
	private flushing = false;
	private wake: (() => void) | undefined;
	private readonly idleWaiters: Array<() => void> = [];

	constructor(options: PushQueueOptions<T>) {
		this.options = options;
	}

	get length(): number {
		return this.items.length;
	}

	get queuedBytes(): number {
		return this.bytes;
	}

	add(item: T): void {
		this.items.push(item);
		this.bytes += item.bytes;
		// Over the limit: drop the oldest, but never the one being sent (index 0 while running).
		let dropped = 0;
		let droppedBytes = 0;
		const first = this.running ? 1 : 0;
		while (this.bytes > this.options.limitBytes && this.items.length > first + 1) {
			const [old] = this.items.splice(first, 1);
			this.bytes -= old!.bytes;
			dropped++;
			droppedBytes += old!.bytes;
		}

		if (dropped > 0) {
			this.stats.dropped += dropped;
			this.options.onDropped?.(dropped, droppedBytes);
		}

		if (!this.running) {
			this.running = true;
			void this.loop();
		}
	}

	/**
	 * Keeps sending until the queue is empty or `timeoutMs` has passed, retrying at once rather
	 * than waiting out a long backoff. Returns how many windows were left unsent (counted dropped).
	 */
	async flush(timeoutMs: number): Promise<number> {
		this.flushing = true;
		this.wake?.();
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([
			new Promise<void>(resolve => {
				if (this.items.length === 0) {
					resolve();
				} else {
					this.idleWaiters.push(resolve);
				}
			}),
			new Promise<void>(resolve => {
				timer = setTimeout(resolve, timeoutMs);
			}),
		]);
		clearTimeout(timer);
		const left = this.items.length;
		this.stats.dropped += left;
		this.items.length = 0;
		this.bytes = 0;
		this.wake?.();
		return left;
	}

	private async loop(): Promise<void> {
		while (this.items.length > 0) {
			const item = this.items[0]!;
			const started = performance.now();
			const outcome = await this.options.send(item);
			if (this.items[0] !== item) {
				continue; // The queue was emptied by flush while this push was out.
			}

			if (outcome.kind === 'retry') {
				this.stats.retried++;
				this.failures++;
				const {first, max} = this.options.backoffMs ?? {first: 1000, max: 30_000};
				// While flushing, retry soon: the agent is about to exit.
				const delayMs = this.flushing ? Math.min(first, 250) : Math.min(max, first * (2 ** Math.min(this.failures - 1, 20))) * (0.8 + (Math.random() * 0.4));
				this.options.onRetry?.(item, outcome.reason, delayMs);
				await this.sleep(delayMs);
				continue;
			}

			this.items.shift();
			this.bytes -= item.bytes;
			this.failures = 0;
			if (outcome.kind === 'sent') {
				this.stats.sent++;
				this.options.onSent?.(item, outcome.status, performance.now() - started);
			} else {
				this.stats.rejected++;
				this.options.onRejected?.(item, outcome.reason);
			}
		}

		this.running = false;
		for (const resolve of this.idleWaiters.splice(0)) {
			resolve();
		}
	}

	private async sleep(ms: number): Promise<void> {
		await new Promise<void>(resolve => {
			const timer = setTimeout(resolve, ms);
			this.wake = () => {
				clearTimeout(timer);
				resolve();
			};
		});
		this.wake = undefined;
	}
}
