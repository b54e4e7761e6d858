// The remote ranges one sample has read, and where each landed in scratch.
//
// Why: a system call costs ~1 µs, so a sample queues many ranges, reads them in one
// process_vm_readv, and afterwards looks an address up among what it already read before
// reading anything more. That lookup is what lets last sample's reads, replayed speculatively
// (frame-walk.ts), answer most of a walk with no further system call. Scratch is handed out
// bump-pointer style from regionsStart and taken back all at once by reset().
import {type RemoteMemory, TornReadError} from './remote-memory.js';

/** Where a remote range was copied to in scratch, for this sample. */
export type Region = {address: number; length: number; at: number};

/** Scratch below this offset is left to the interpreter-wide words (interpreter-words.ts). */
export const regionsStart = 4096;
/** How far before the last hit a lookup starts: a thread's own regions lie within a few. */
const nearbyRegions = 8;
/** Scratch grows up to this for one sample (100,000 frames of a deep recursion take ~20 MB). */
const maxScratch = 256 << 20;

export class SampleReads {
	readonly memory: RemoteMemory;
	/** This sample's regions are regions[0, count); the objects are reused from sample to sample. */
	private readonly regions: Region[] = [];
	private count = 0;
	private cursor = regionsStart;
	private lastHit = 0;
	private markCount = 0;
	private markCursor = regionsStart;

	constructor(memory: RemoteMemory) {
		this.memory = memory;
	}

	/** Forgets every region: the next thread (or the next sample) starts with empty scratch. */
	reset(): void {
		this.count = 0;
		this.cursor = regionsStart;
	}

	/** Reserves `length` bytes of scratch; returns their offset. */
	allocate(length: number): number {
		const at = this.cursor;
		this.cursor += (length + 15) & ~15;
		if (this.cursor > this.memory.scratch.length) {
			if (this.cursor > maxScratch) {
				throw new TornReadError('stack too large for one sample');
			}

			this.memory.growScratch(Math.min(maxScratch, Math.max(this.cursor, this.memory.scratch.length * 2)));
		}

		return at;
	}

	/** Queues a read of [address, address + length) into fresh scratch; it lands at the next flush. */
	queue(address: number, length: number): Region {
		const at = this.allocate(length);
		let region = this.regions[this.count];
		if (region === undefined) {
			region = {address, length, at};
			this.regions.push(region);
		} else {
			region.address = address;
			region.length = length;
			region.at = at;
		}

		this.count++;
		this.memory.queue(address, length, at);
		return region;
	}

	/**
	 * Remembers where this sample's regions end, for rollback(): a thread read on its own after
	 * the batched read of every thread (-a) must not drop the other threads' regions.
	 */
	setMark(): void {
		this.markCount = this.count;
		this.markCursor = this.cursor;
	}

	/** Forgets the regions queued since setMark() (a read that failed left them unfilled). */
	rollback(): void {
		this.count = this.markCount;
		this.cursor = this.markCursor;
	}

	/** The scratch offset holding [address, address + length), if this sample read it; else -1. */
	locate(address: number, length: number): number {
		const {regions, count} = this;
		// Lookups mostly hit the last region hit (a walk's frames share a chunk) or one near it:
		// with -a, the next thread's reads follow this one's, and a thread's frames may lie in its
		// thread state's range, just before. So search from a little before the last hit onwards,
		// then the rest: thousands of regions (-a on 1,000 threads) are then rarely all visited.
		const from = this.lastHit < count ? Math.max(0, this.lastHit - nearbyRegions) : 0;
		for (let index = from; index < count; index++) {
			const region = regions[index]!;
			if (address >= region.address && address + length <= region.address + region.length) {
				this.lastHit = index;
				return region.at + (address - region.address);
			}
		}

		for (let index = 0; index < from; index++) {
			const region = regions[index]!;
			if (address >= region.address && address + length <= region.address + region.length) {
				this.lastHit = index;
				return region.at + (address - region.address);
			}
		}

		return -1;
	}

	/** Reads a range now unless this sample already has it; returns its scratch offset. */
	fetch(address: number, length: number): number {
		const at = this.locate(address, length);
		if (at >= 0) {
			return at;
		}

		if (address <= 0) {
			throw new TornReadError('null pointer in stack');
		}

		const region = this.queue(address, length);
		this.memory.flush();
		return region.at;
	}

	/** Reads at least `need` and, where mapped, up to `want` bytes: peeking past an object may cross into an unmapped page. */
	peek(address: number, need: number, want: number): number {
		try {
			return this.fetch(address, want);
		} catch (error) {
			if (!(error instanceof TornReadError)) {
				throw error;
			}

			return this.fetch(address, need);
		}
	}
}
