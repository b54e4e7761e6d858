// A page-granular copy of the target's memory for one pass over many small objects: the
// --async-aware rewrite, which follows thousands of tasks, coroutines and frames through
// pointers. Read one pointer at a time, 10,000 tasks cost ~200,000 process_vm_readv calls a
// sample (0.8–1.3 s a sample on this machine); read through this snapshot, every object of a
// page costs one copy, and the pages the last pass touched are read again up front, a few
// hundred contiguous runs in a handful of calls, so a pass over tasks that did not move makes
// almost no further system call.
//
// With `comparePasses`, the copy of the last pass is kept beside the new one, with a bit per
// 8-byte word that pass read, so a pass can ask which pages hold a word the last pass read that
// reads differently now (changedPages): a rewrite that finds none knows its result would be the
// last one's (it reads nothing but through here), and repeats it instead of walking again; one
// that finds a few reads again only what came from them. Pages are compared
// whole first (memcmp); only a page that differs is compared word by word, so a reference count
// or any other field no pass reads, changing beside a task's fields, does not count as a change.
import {AddressMap} from './address-map.js';
import {libc} from './libc.js';
import {failedReadErrno, TornReadError} from './remote-memory.js';
import {setIovec} from './iovecs.js';

const pageSize = 4096;
const pageShift = 12;
const twoTo32 = 4_294_967_296;
const maxIovecs = 1024;
/** The longest run of adjacent pages one iovec reads. */
const maxRunPages = 64;
const firstSlots = 256;
/** 32 MiB at most: past it, pages are read one at a time into a spare slot and not kept. */
const maxSlots = 8192;

export class PageSnapshot {
	/** System calls and bytes read, added to the reader's own counts. */
	calls = 0;
	bytes = 0;
	private readonly pid: number;
	private readonly comparePasses: boolean;
	private arena = new Uint8Array(0);
	/** comparePasses: the last pass's pages (lastPages[i] in slot lastSlots[i]), as read then. */
	private previous = new Uint8Array(0);
	private previousWords = new Uint32Array(0);
	/** comparePasses: per slot, 16 × 32 bits, one per 8-byte word of its page read this pass (and the last pass's). */
	private readMask = new Uint32Array(0);
	private previousMask = new Uint32Array(0);
	private lastSlots: number[] = [];
	/** This pass read a page it could not keep (the arena full) or could not read (unmapped). */
	private incomplete = false;
	private lastIncomplete = true;
	private words = new Uint32Array(0);
	private signedWords = new Int32Array(0);
	private signedBytes = new Int8Array(0);
	private arenaAddress = 0;
	private capacity = 0;
	private used = 0;
	/** Page number → slot in the arena, for this pass. */
	private readonly index = new AddressMap(0, 12);
	/** The page of the last lookup and its slot: consecutive reads mostly stay in one object. */
	private lastPage = -1;
	private lastSlot = 0;
	/** Per slot: its page, and whether this pass looked at it (only those are read again next pass). */
	private slotPage = new Float64Array(0);
	private touched = new Uint8Array(0);
	private lastPages: number[] = [];
	/** While set, the page of each read that leaves the last page read (startTrace). */
	private trace: number[] | undefined;
	/** While set, reads are neither marked read nor traced (see untracked). */
	private tracking = true;
	/** Buffer views of the two arenas (see views). */
	private readonly bufferViews: Buffer[] = [];
	private readonly local = new Uint32Array(maxIovecs * 4);
	private readonly remote = new Uint32Array(maxIovecs * 4);
	private readonly call = libc().processVmReadv;

	constructor(pid: number, comparePasses = false) {
		this.pid = pid;
		this.comparePasses = comparePasses;
	}

	/** Starts a pass: reads again every page the last pass looked at. */
	begin(): void {
		this.index.clear();
		this.lastPage = -1;
		this.used = 0;
		this.incomplete = false;
		if (this.capacity === 0) {
			this.grow(firstSlots);
		}

		if (this.comparePasses) {
			// The last pass's copy becomes `previous`; this pass reads into the other arena.
			const last = this.arena;
			this.setArena(this.previous);
			this.previous = last;
			this.previousWords = new Uint32Array(last.buffer);
			const lastMask = this.readMask;
			this.readMask = this.previousMask.fill(0);
			this.previousMask = lastMask;
		}

		this.fill(this.lastPages);
	}

	/** How many pages the last pass looked at: what the next begin() reads and compares again. */
	get lastPassPages(): number {
		return this.lastPages.length;
	}

	/**
	 * The pages holding a word the last pass read that reads differently now (comparePasses;
	 * call right after begin), in no particular order; undefined when the passes cannot be
	 * compared (no last pass, or it read a page it could not keep, or one is unmapped since).
	 * None: the pass may keep what the last one found (keepLastReads).
	 */
	changedPages(): number[] | undefined {
		const {lastPages, lastSlots} = this;
		if (!this.comparePasses || this.lastIncomplete || lastPages.length === 0) {
			return undefined;
		}

		const changed: number[] = [];
		const {now, then} = this.views();
		// Pages whose slots follow each other in both copies (most: both were filled in page
		// order) are compared as one run, in one memcmp.
		for (let index = 0; index < lastPages.length;) {
			const slot = this.index.get(lastPages[index]!);
			const was = lastSlots[index]!;
			let run = 1;
			while (index + run < lastPages.length && lastSlots[index + run] === was + run && this.index.get(lastPages[index + run]!) === slot + run) {
				run++;
			}

			if (slot < 0) {
				return undefined; // Unmapped since.
			}

			if (now.compare(then, was * pageSize, (was + run) * pageSize, slot * pageSize, (slot + run) * pageSize) !== 0) {
				for (let page = 0; page < run; page++) {
					const at = (slot + page) * pageSize;
					const from = (was + page) * pageSize;
					if (now.compare(then, from, from + pageSize, at, at + pageSize) !== 0 && !this.sameWordsRead(was + page, slot + page)) {
						changed.push(lastPages[index + page]!);
					}
				}
			}

			index += run;
		}

		return changed;
	}

	/**
	 * Counts every word the last pass read as read by this pass too (after changedPages), so the
	 * next pass compares them again: for a pass that reuses what the last one found from words
	 * that did not change, instead of reading them.
	 */
	keepLastReads(): void {
		const {lastPages, lastSlots} = this;
		for (let index = 0; index < lastPages.length; index++) {
			const slot = this.index.get(lastPages[index]!);
			const was = lastSlots[index]!;
			if (slot < 0) {
				continue;
			}

			this.touched[slot] = 1;
			for (let word = 0; word < 16; word++) {
				this.readMask[(slot << 4) + word]! |= this.previousMask[(was << 4) + word]!;
			}
		}
	}

	/**
	 * Collects, until stopTrace, the page of every read into `pages` (emptied first; a page
	 * may appear more than once): what one task's part of a pass was read from. `append`: keep
	 * the pages `pages` holds.
	 */
	startTrace(pages: number[], append = false): void {
		if (!append) {
			pages.length = 0;
		}

		this.trace = pages;
		this.lastPage = -1;
	}

	stopTrace(): void {
		this.trace = undefined;
	}

	/**
	 * Runs `read` without marking what it reads or tracing its pages: for bytes whose meaning
	 * cannot change while the words that led to them hold (the instruction after a suspended
	 * frame's instruction pointer, inside the code object that frame keeps alive), but whose
	 * 8-byte word may (3.11's inline caches beside it count as code runs).
	 */
	untracked<T>(read: () => T): T {
		this.tracking = false;
		this.lastPage = -1;
		try {
			return read();
		} finally {
			this.tracking = true;
			this.lastPage = -1;
		}
	}

	/**
	 * Buffer views of both arenas for memcmp, kept across passes (the arenas swap roles each
	 * pass): made again only when an arena is replaced (grown).
	 */
	private views(): {now: Buffer; then: Buffer} {
		return {now: this.viewOf(this.arena), then: this.viewOf(this.previous)};
	}

	private viewOf(arena: Uint8Array): Buffer {
		const kept = this.bufferViews;
		for (const view of kept) {
			if (view.buffer === arena.buffer) {
				return view;
			}
		}

		const view = Buffer.from(arena.buffer, arena.byteOffset, arena.byteLength);
		kept.unshift(view);
		kept.length = Math.min(kept.length, 2);
		return view;
	}

	/** Whether the words the last pass read of its slot `was` hold the same in this pass's slot `slot`. */
	private sameWordsRead(was: number, slot: number): boolean {
		const {words, previousWords, previousMask} = this;
		for (let group = 0; group < 16; group++) {
			let bits = previousMask[(was << 4) + group]!;
			while (bits !== 0) {
				const bit = 31 - Math.clz32(bits & -bits);
				bits &= bits - 1;
				const word = (group * 32) + bit;
				const now = (slot << 10) + (word * 2);
				const then = (was << 10) + (word * 2);
				if (words[now] !== previousWords[then] || words[now + 1] !== previousWords[then + 1]) {
					return false;
				}
			}
		}

		return true;
	}

	/** Records that this pass read bytes [offset, offset + length) of the page in `slot`. */
	private markRead(slot: number, offset: number, length: number): void {
		const last = (offset + length - 1) >>> 3;
		for (let word = offset >>> 3; word <= last; word++) {
			this.readMask[(slot << 4) + (word >>> 5)]! |= 1 << (word & 31);
		}
	}

	/** Ends a pass, remembering the pages it looked at (and where this pass holds them) for the next one. */
	end(): void {
		const pages: number[] = [];
		const slots: number[] = [];
		for (let slot = 0; slot < this.used; slot++) {
			if (this.touched[slot] === 1) {
				pages.push(this.slotPage[slot]!);
				slots.push(slot);
			}
		}

		this.lastPages = pages;
		this.lastSlots = slots;
		this.lastIncomplete = this.incomplete;
		this.index.clear();
		this.lastPage = -1;
	}

	/** Copies [address, address + length) of the target into dest at destAt; TornReadError where unmapped. */
	readInto(address: number, length: number, dest: Uint8Array, destAt: number): void {
		if (address <= 0) {
			throw new TornReadError('read at null address');
		}

		let page = Math.floor(address / pageSize);
		let offset = address - (page * pageSize);
		let left = length;
		let to = destAt;
		while (left > 0) {
			const slot = this.slotOf(page);
			const count = Math.min(left, pageSize - offset);
			const from = (slot << pageShift) + offset;
			if (this.comparePasses && this.tracking) {
				this.markRead(slot, offset, count);
			}

			if (count <= 16) {
				for (let byte = 0; byte < count; byte++) {
					dest[to + byte] = this.arena[from + byte]!;
				}
			} else {
				dest.set(this.arena.subarray(from, from + count), to);
			}

			left -= count;
			to += count;
			offset = 0;
			page++;
		}
	}

	/** The 64-bit pointer at `address`. */
	pointer(address: number): number {
		if (address % 8 === 0 && address > 0) {
			const page = Math.floor(address / pageSize);
			const slot = this.slotOf(page);
			const offset = address - (page * pageSize);
			if (this.comparePasses) {
				this.readMask[(slot << 4) + (offset >>> 8)]! |= 1 << ((offset >>> 3) & 31);
			}

			const at = ((slot << pageShift) + offset) >>> 2;
			return this.words[at]! + (this.words[at + 1]! * twoTo32);
		}

		const bytes = new Uint8Array(8);
		this.readInto(address, 8, bytes, 0);
		const words = new Uint32Array(bytes.buffer);
		return words[0]! + (words[1]! * twoTo32);
	}

	/** The signed 32-bit integer at a 4-aligned `address`. */
	int32(address: number): number {
		if (address % 4 !== 0 || address <= 0) {
			const bytes = new Uint8Array(4);
			this.readInto(address, 4, bytes, 0);
			return new Int32Array(bytes.buffer)[0]!;
		}

		const page = Math.floor(address / pageSize);
		const slot = this.slotOf(page);
		const offset = address - (page * pageSize);
		if (this.comparePasses) {
			this.readMask[(slot << 4) + (offset >>> 8)]! |= 1 << ((offset >>> 3) & 31);
		}

		return this.signedWords[((slot << pageShift) + offset) >>> 2]!;
	}

	/** The signed byte at `address`. */
	int8(address: number): number {
		if (address <= 0) {
			throw new TornReadError('read at null address');
		}

		const page = Math.floor(address / pageSize);
		const slot = this.slotOf(page);
		const offset = address - (page * pageSize);
		if (this.comparePasses) {
			this.readMask[(slot << 4) + (offset >>> 8)]! |= 1 << ((offset >>> 3) & 31);
		}

		return this.signedBytes[(slot << pageShift) + offset]!;
	}

	private slotOf(page: number): number {
		if (page === this.lastPage) {
			return this.lastSlot;
		}

		if (this.tracking) {
			this.trace?.push(page);
		}

		let slot = this.index.get(page);
		if (slot < 0) {
			this.fill([page]);
			slot = this.index.get(page);
			if (slot < 0) {
				if (this.used < this.capacity) {
					// Nothing was read from it: the pages read stay comparable with the next pass's.
					throw new TornReadError(`unmapped page at 0x${(page * pageSize).toString(16)} in process ${this.pid}`);
				}

				this.incomplete = true;
				// The arena is full: read the page into the spare slot behind it, for this read only.
				slot = this.capacity;
				if (this.readRuns([page], 0, slot, 1).pages === 0) {
					throw new TornReadError(`unmapped page at 0x${(page * pageSize).toString(16)} in process ${this.pid}`);
				}

				return slot;
			}
		}

		this.touched[slot] = 1;
		this.lastPage = page;
		this.lastSlot = slot;
		return slot;
	}

	/** Reads the pages (any order, no duplicates of pages already held) into fresh slots. */
	private fill(pages: number[]): void {
		if (pages.length === 0) {
			return;
		}

		const sorted = pages.length > 1 ? Float64Array.from(pages).sort() : pages;
		let position = 0;
		while (position < sorted.length) {
			if (this.used + (sorted.length - position) > this.capacity) {
				this.grow(Math.min(maxSlots, Math.max(this.capacity * 2, this.used + sorted.length - position)));
				if (this.used === this.capacity) {
					return; // Full: the rest is read on demand, one page at a time.
				}
			}

			const count = Math.min(sorted.length - position, this.capacity - this.used);
			const got = this.readRuns(sorted, position, this.used, count);
			for (let page = 0; page < got.pages; page++) {
				const slot = this.used++;
				const number = sorted[position + page]!;
				this.index.set(number, slot);
				this.slotPage[slot] = number;
				this.touched[slot] = 0;
			}

			// A page that could not be read (unmapped since the last pass) is skipped.
			position += got.complete ? got.pages : got.pages + 1;
		}
	}

	/**
	 * One process_vm_readv of up to `count` pages from sorted[from], adjacent pages as one
	 * iovec, into slots from `slot` on. Returns how many pages (from the first) arrived whole,
	 * and whether all of those the call asked for did.
	 */
	private readRuns(sorted: ArrayLike<number>, from: number, slot: number, count: number): {pages: number; complete: boolean} {
		let iovecs = 0;
		let pages = 0;
		while (pages < count && iovecs < maxIovecs) {
			const first = sorted[from + pages]!;
			let run = 1;
			while (pages + run < count && run < maxRunPages && sorted[from + pages + run] === first + run) {
				run++;
			}

			setIovec(this.local, this.remote, iovecs++, this.arenaAddress + ((slot + pages) * pageSize), first * pageSize, run * pageSize);
			pages += run;
		}

		this.calls++;
		let got = this.call(this.pid, this.local, iovecs, this.remote, iovecs, 0);
		if (got < 0) {
			failedReadErrno(this.pid);
			got = 0; // Any other fault (EFAULT: a page unmapped): nothing of the call counts as read.
		}

		this.bytes += got;
		const whole = Math.floor(got / pageSize);
		return {pages: whole, complete: whole === pages};
	}

	/** Room for `slots` pages (and one spare): the held pages keep their slots. */
	private grow(slots: number): void {
		if (slots <= this.capacity) {
			return;
		}

		const arena = new Uint8Array((slots + 1) * pageSize);
		arena.set(this.arena.subarray(0, this.used * pageSize));
		if (this.comparePasses) {
			// The last pass's copy keeps its slots (lastSlots) in a bigger arena too, and its read words.
			const previous = new Uint8Array((slots + 1) * pageSize);
			previous.set(this.previous);
			this.previous = previous;
			this.previousWords = new Uint32Array(previous.buffer);
			const readMask = new Uint32Array((slots + 1) * 16);
			readMask.set(this.readMask);
			this.readMask = readMask;
			const previousMask = new Uint32Array((slots + 1) * 16);
			previousMask.set(this.previousMask);
			this.previousMask = previousMask;
		}

		const slotPage = new Float64Array(slots);
		slotPage.set(this.slotPage.subarray(0, this.used));
		const touched = new Uint8Array(slots);
		touched.set(this.touched.subarray(0, this.used));
		this.setArena(arena);
		this.slotPage = slotPage;
		this.touched = touched;
		this.capacity = slots;
	}

	private setArena(arena: Uint8Array<ArrayBuffer>): void {
		this.arena = arena;
		this.words = new Uint32Array(arena.buffer);
		this.signedWords = new Int32Array(arena.buffer);
		this.signedBytes = new Int8Array(arena.buffer);
		this.arenaAddress = Number(libc().address(arena));
	}
}
