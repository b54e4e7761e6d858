// What a sampler sends: batches of ticks (each with its time, the time it stands for and its
// thread records), stacks interned as a prefix tree, frames and threads sent once, when first
// seen. A thread first seen without a name (still starting: no OS name yet on 3.14+, no entry
// in threading._active yet on older versions) is asked again at each batch for a while, and a
// name found then is sent like a new thread's.
//
// A tick whose samples are exactly the previous tick's (--async-aware all on tasks that did not
// move: 10,000 stacks) is sent as a repeat: its time and weight, and -1 for its record count.
// The first tick of a batch is always sent whole, so each batch stands on its own.
import type {FrameTable} from './frame-table.js';
import type {SampleBatch, SamplerStats, ThreadDef} from './protocol.js';
import {PushBuffer} from './push-buffer.js';
import {StackTable} from './stack-table.js';
import type {ThreadNames} from './thread-names.js';

/** How long a thread first seen without a name is asked for one again (µs). */
const unnamedRetryUs = 2_000_000;
/**
 * A thread not sampled for this long is taken as gone and no longer asked for a name (µs):
 * a program starting hundreds of short-lived threads a second would otherwise have each batch
 * ask again about thousands of dead threads (a read and two /proc files each).
 */
const unnamedGoneUs = 300_000;

/** One thread's stack as the unwinder leaves it: frames[0, depth), innermost first. */
/** Given-back buffers kept at most (BatchBuilder.recycle). */
const maxSpare = 6;

export type ThreadRecord = {
	readonly tid: number;
	readonly tstate: number;
	readonly status: number;
	readonly depth: number;
	readonly frames: readonly number[];
};

export class BatchBuilder {
	private readonly frames: FrameTable;
	/** Replaced when the target execs (the names are read from its new interpreter). */
	threadNames: ThreadNames;
	private readonly stacks = new StackTable();
	private readonly ticks = new PushBuffer<Float64Array>(Float64Array);
	private readonly records = new PushBuffer<Uint32Array>(Uint32Array);
	/** The records of the last tick added (tid, status, stack id each), for a repeat of it. */
	private lastRecords = new Uint32Array(0);
	private lastCount = -1;
	/** Ticks added since the last batch was taken (or discarded). */
	private ticksInBatch = 0;
	private readonly knownThreads = new Set<number>();
	/** Threads first sampled without a name, by tid: their state and when first seen (µs). */
	private readonly unnamed = new Map<number, {readonly tid: number; readonly tstate: number; readonly since: number; lastSeen: number}>();
	private newThreads: ThreadDef[] = [];
	/** Buffers given back by the main thread (recycle), which the next batches are copied into. */
	private readonly spare: ArrayBuffer[] = [];
	/**
	 * Tick times are kept in whole µs, as the binary format (and Tachyon) store them, so a
	 * replayed capture holds exactly the times of the direct one.
	 */
	private previousStamp: number;

	constructor(frames: FrameTable, threadNames: ThreadNames, intervalUs: number) {
		this.frames = frames;
		this.threadNames = threadNames;
		this.previousStamp = -intervalUs;
	}

	/** Numbers held for the next batch (a batch is sent early when they pile up). */
	get pending(): number {
		return this.ticks.length;
	}

	/**
	 * One tick taken at `stamp` (whole µs since sampling started), of samples[0, count).
	 * `repeat`: the samples have the threads and stacks of the previous tick added, in the same
	 * order (the caller knows it without comparing them); only their statuses may differ. Their
	 * stacks are then not interned again, and the tick goes as a repeat when no status changed.
	 * `kept`: where 1, the sample at that index has the thread and stack of the previous tick's
	 * at the same index (a partial --async-aware rewrite: the tasks that did not move), whose
	 * stack id is taken instead of interning its frames again.
	 */
	addTick(stamp: number, nowUs: number, samples: readonly ThreadRecord[], count: number, repeat = false, kept?: Uint8Array): void {
		if (repeat && count === this.lastCount) {
			this.addRepeat(stamp, nowUs, samples);
			return;
		}

		this.ticks.push3(stamp, stamp - this.previousStamp, count);
		this.previousStamp = stamp;
		this.ticksInBatch++;
		const first = this.records.length;
		const keptIds = kept !== undefined && count === this.lastCount ? kept : undefined;
		const last = this.lastRecords;
		// Until this tick is whole, the last records are no tick's to repeat or take ids from.
		this.lastCount = -1;
		for (let index = 0; index < count; index++) {
			const sample = samples[index]!;
			if (!this.knownThreads.has(sample.tid)) {
				this.firstSeen(sample, nowUs);
			} else if (this.unnamed.size > 0) {
				const unnamed = this.unnamed.get(sample.tid);
				if (unnamed) {
					unnamed.lastSeen = nowUs;
				}
			}

			const stack = keptIds?.[index] === 1 && last[index * 3] === sample.tid ? last[(index * 3) + 2]! : this.stacks.intern(sample.tid, sample.frames, sample.depth);
			this.records.push3(sample.tid, sample.status, stack);
		}

		if (this.lastRecords.length < count * 3) {
			this.lastRecords = new Uint32Array(Math.max(count * 3, this.lastRecords.length * 2));
		}

		this.lastRecords.set(this.records.data.subarray(first, first + (count * 3)));
		this.lastCount = count;
	}

	/** Forgets the ticks added since the last batch (samples that may not be the target's). */
	discard(): void {
		this.ticks.take();
		this.records.take();
		this.ticksInBatch = 0;
	}

	/**
	 * The previous tick's records again, with the statuses of `samples`: as a repeat when they
	 * are the same and this is not the first tick of a batch, else whole.
	 */
	private addRepeat(stamp: number, nowUs: number, samples: readonly ThreadRecord[]): void {
		const count = this.lastCount;
		const last = this.lastRecords;
		let same = true;
		for (let index = 0; index < count; index++) {
			if (last[(index * 3) + 1] !== samples[index]!.status) {
				last[(index * 3) + 1] = samples[index]!.status;
				same = false;
			}
		}

		this.ticks.push3(stamp, stamp - this.previousStamp, same && this.ticksInBatch > 0 ? -1 : count);
		this.previousStamp = stamp;
		if (!same || this.ticksInBatch === 0) {
			this.records.pushAll(last.subarray(0, count * 3));
		}

		this.ticksInBatch++;

		if (this.unnamed.size > 0) {
			for (let index = 0; index < count * 3; index += 3) {
				const unnamed = this.unnamed.get(this.lastRecords[index]!);
				if (unnamed) {
					unnamed.lastSeen = nowUs;
				}
			}
		}
	}

	/** Everything added since the last batch, and the buffers to transfer with it. */
	take(nowUs: number, stats: SamplerStats): {batch: SampleBatch; transfer: ArrayBuffer[]} {
		this.retryUnnamed(nowUs);
		const ticks = this.ticks.take(this.spare);
		const records = this.records.take(this.spare);
		const stacks = this.stacks.takeNew();
		this.ticksInBatch = 0;
		const batch: SampleBatch = {type: 'batch', frames: this.frames.takeNew(), threads: this.newThreads, stacks, ticks, records, stats};
		this.newThreads = [];
		return {batch, transfer: [ticks.buffer as ArrayBuffer, records.buffer as ArrayBuffer, stacks.buffer as ArrayBuffer]};
	}

	/**
	 * Buffers of sent batches that the main thread is done with. Without them each batch is a new
	 * allocation, and the main thread frees the ones it has taken in only at its next garbage
	 * collection, which its little allocation seldom calls for: at the highest rate (~36 bytes a
	 * sample, ~6 MB/s on a quiet machine) they piled up for seconds.
	 */
	recycle(buffers: readonly ArrayBuffer[]): void {
		for (const buffer of buffers) {
			if (buffer.byteLength > 0) {
				this.spare.push(buffer);
			}
		}

		// The largest few are enough for the two arrays of the next batches.
		if (this.spare.length > maxSpare) {
			this.spare.sort((a, b) => b.byteLength - a.byteLength);
			this.spare.length = maxSpare;
		}
	}

	private firstSeen(sample: ThreadRecord, nowUs: number): void {
		this.knownThreads.add(sample.tid);
		const name = this.threadNames.name(sample, nowUs / 1000);
		this.newThreads.push({tid: sample.tid, name});
		if (name === '') {
			this.unnamed.set(sample.tid, {tid: sample.tid, tstate: sample.tstate, since: nowUs, lastSeen: nowUs});
		}
	}

	private retryUnnamed(nowUs: number): void {
		for (const thread of this.unnamed.values()) {
			if (nowUs - thread.lastSeen > unnamedGoneUs) {
				this.unnamed.delete(thread.tid);
				continue;
			}

			const name = this.threadNames.name(thread, nowUs / 1000, false);
			if (name !== '') {
				this.newThreads.push({tid: thread.tid, name});
			}

			if (name !== '' || nowUs - thread.since > unnamedRetryUs) {
				this.unnamed.delete(thread.tid);
			}
		}
	}
}
