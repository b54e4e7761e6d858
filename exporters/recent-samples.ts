// The last minute of samples, by the time they were taken: the live view's recent window
// ("the last 10 s") and its header trends. Samples are kept aggregated per half-second slot,
// as the profile keeps them per (thread, stack, status) cell, in a ring of slots: memory is
// bounded by the slots' distinct cells (typically tens), never by the sampling rate, and
// stays flat however long the capture runs. A closed slot is packed into typed arrays.
import {addStatus, emptyStatusCounts} from './status-counts.js';
import type {Cell} from './model.js';

/** Slot length, µs. */
export const slotUs = 500_000;
/** Slots kept: a minute and the slot being filled. */
export const slotCount = 121;

type OpenSlot = {readonly index: number; readonly cells: Map<number, Cell>; ticks: number};

/** A slot once closed: its cells side by side, 17 bytes each. */
type PackedSlot = {
	readonly index: number;
	readonly ticks: number;
	readonly tid: Uint32Array;
	readonly stack: Int32Array;
	readonly status: Uint8Array;
	readonly count: Uint32Array;
	readonly timeUs: Float32Array;
};

/** One slot's counts for the header trends. */
export type SlotTrend = {
	/** µs since the start of sampling at the slot's start. */
	readonly startUs: number;
	/** Sampling ticks in the slot. */
	readonly ticks: number;
	/** Thread samples, and those on a CPU / holding the GIL. */
	readonly samples: number;
	readonly onCpu: number;
	readonly hasGil: number;
};

export class RecentSamples {
	private readonly closed: PackedSlot[] = [];
	private open: OpenSlot | undefined;
	/** µs since the start of sampling of the last tick seen. */
	private lastUs = 0;

	/** The time of the newest tick (the window ends there). */
	get newestUs(): number {
		return this.lastUs;
	}

	/** A sampling tick at `at` µs: opens its slot (closing the previous) and counts the tick. */
	tick(at: number): void {
		this.slotFor(at).ticks++;
		this.lastUs = Math.max(this.lastUs, at);
	}

	/** `count` samples of one cell (same key as the profile's) taken at `at` µs. */
	add(key: number, tid: number, stack: number, status: number, count: number, timeUs: number, at: number): void {
		const slot = this.slotFor(at);
		let cell = slot.cells.get(key);
		if (cell === undefined) {
			cell = {tid, stack, status, count: 0, timeUs: 0};
			slot.cells.set(key, cell);
		}

		cell.count += count;
		cell.timeUs += timeUs * count;
	}

	/** Cells of the samples taken at or after `sinceUs` (slot granularity: whole slots from the one holding `sinceUs`), merged per cell. */
	cellsSince(sinceUs: number): Cell[] {
		const first = Math.floor(Math.max(0, sinceUs) / slotUs);
		const merged = new Map<string, Cell>();
		const addCell = (tid: number, stack: number, status: number, count: number, timeUs: number) => {
			const key = `${tid},${stack},${status}`;
			const cell = merged.get(key);
			if (cell) {
				cell.count += count;
				cell.timeUs += timeUs;
			} else {
				merged.set(key, {tid, stack, status, count, timeUs});
			}
		};

		for (const slot of this.closed) {
			if (slot.index >= first) {
				for (let index = 0; index < slot.tid.length; index++) {
					addCell(slot.tid[index]!, slot.stack[index]!, slot.status[index]!, slot.count[index]!, slot.timeUs[index]!);
				}
			}
		}

		if (this.open && this.open.index >= first) {
			for (const cell of this.open.cells.values()) {
				addCell(cell.tid, cell.stack, cell.status, cell.count, cell.timeUs);
			}
		}

		return [...merged.values()];
	}

	/** Ticks taken at or after `sinceUs` (same slots as cellsSince), and the µs they span. */
	ticksSince(sinceUs: number): {ticks: number; spanUs: number} {
		const first = Math.floor(Math.max(0, sinceUs) / slotUs);
		let ticks = 0;
		let oldest = Number.POSITIVE_INFINITY;
		for (const slot of [...this.closed, ...(this.open ? [this.open] : [])]) {
			if (slot.index >= first) {
				ticks += slot.ticks;
				oldest = Math.min(oldest, slot.index);
			}
		}

		return {ticks, spanUs: ticks > 0 ? Math.max(0, this.lastUs - (oldest * slotUs)) : 0};
	}

	/** Per closed slot, oldest first: ticks and the thread states, for one thread or all. */
	trend(tid?: number): SlotTrend[] {
		return this.closed.map(slot => {
			const counts = emptyStatusCounts();
			for (let index = 0; index < slot.tid.length; index++) {
				if (tid === undefined || slot.tid[index] === tid) {
					addStatus(counts, slot.status[index]!, slot.count[index]!);
				}
			}

			return {startUs: slot.index * slotUs, ticks: slot.ticks, samples: counts.samples, onCpu: counts.onCpu, hasGil: counts.hasGil};
		});
	}

	/** Cells held, for the memory check. */
	get cellCount(): number {
		return this.closed.reduce((sum, slot) => sum + slot.tid.length, 0) + (this.open?.cells.size ?? 0);
	}

	reset(): void {
		this.closed.length = 0;
		this.open = undefined;
	}

	private slotFor(at: number): OpenSlot {
		const index = Math.floor(Math.max(0, at) / slotUs);
		if (this.open?.index === index) {
			return this.open;
		}

		if (this.open && index < this.open.index) {
			// Out of order (never from the sampler, whose ticks only go forward): count it in the open slot.
			return this.open;
		}

		if (this.open) {
			this.closed.push(pack(this.open));
		}

		while (this.closed.length > 0 && this.closed[0]!.index <= index - slotCount) {
			this.closed.shift();
		}

		this.open = {index, cells: new Map(), ticks: 0};
		return this.open;
	}
}

function pack(slot: OpenSlot): PackedSlot {
	const size = slot.cells.size;
	const packed = {
		index: slot.index, ticks: slot.ticks,
		tid: new Uint32Array(size), stack: new Int32Array(size), status: new Uint8Array(size), count: new Uint32Array(size), timeUs: new Float32Array(size),
	};
	let index = 0;
	for (const cell of slot.cells.values()) {
		packed.tid[index] = cell.tid;
		packed.stack[index] = cell.stack;
		packed.status[index] = cell.status;
		packed.count[index] = cell.count;
		packed.timeUs[index] = cell.timeUs;
		index++;
	}

	return packed;
}
