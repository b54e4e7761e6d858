// Reads another process's memory with process_vm_readv, several ranges per system call.
// Addresses are plain numbers: x86-64 user space ends below 2^47, far inside a double's
// exact range, and number arithmetic is many times cheaper than BigInt on the hot path.
// Buffers and iovec arrays are allocated once per reader; nothing is allocated per read.
import {errno, libc, SyscallError} from './libc.js';
import type {PageSnapshot} from './page-snapshot.js';
import {setIovec} from './iovecs.js';

/** The target is gone (ESRCH): sampling stops, what was collected is kept. */
export class TargetGoneError extends Error {
	readonly pid: number;
	constructor(pid: number) {
		super(`process ${pid} exited`);
		this.pid = pid;
		this.name = 'TargetGoneError';
	}
}

/** A read of memory that moved under us: costs one sample, counted as an error. */
export class TornReadError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'TornReadError';
	}
}

const twoTo32 = 4_294_967_296;
export const maxIovecs = 1024;

export function readPointer(buffer: Buffer, offset: number): number {
	return buffer.readUInt32LE(offset) + (buffer.readUInt32LE(offset + 4) * twoTo32);
}

/**
 * Ranges closer than this are read as one span: measured here, each extra iovec costs about
 * 0.4 µs inside process_vm_readv while copying 4 KiB more costs about 0.25 µs.
 */
const coalesceGap = 4096;
/** The largest span one coalesced read may cover, so a merge never copies much for little. */
const maxSpan = 64 << 10;
const bounceSize = 256 << 10;
/** Up to this many queued reads are sorted by insertion (fast when nearly in order), more by Array sort. */
const insertionSortMax = 64;

export class RemoteMemory {
	/** Scratch space that gather reads land in; callers pick offsets inside it. */
	scratch: Buffer;
	private scratchAddress: number;
	/**
	 * Scratch and, behind it, the bounce area where coalesced spans land before their pieces are
	 * copied to the callers' offsets: one allocation, so copyWithin moves the pieces without
	 * allocating a view per piece (Buffer.copy does).
	 */
	private whole: Uint8Array;
	/**
	 * Scratch as 32-bit words: the walk reads a few dozen pointers per sample, nearly all
	 * 8-aligned, and two word loads cost far less than Buffer.readUInt32LE's checked byte loads.
	 */
	private words: Uint32Array;
	private signedWords: Int32Array;
	private bounceAt0: number;
	private bounceAddress: number;
	private readonly local = new Uint32Array(maxIovecs * 4);
	private readonly remote = new Uint32Array(maxIovecs * 4);
	// The queued reads, in queue order: remote address, length, scratch offset.
	private readonly queuedAddress = new Float64Array(maxIovecs);
	private readonly queuedLength = new Uint32Array(maxIovecs);
	private readonly queuedAt = new Uint32Array(maxIovecs);
	/** Queue indices sorted by remote address (reused). */
	private readonly order = new Uint16Array(maxIovecs);
	/** Per queued read: the bounce offset it was read to, or -1 when read straight to scratch. */
	private readonly bounceAt = new Int32Array(maxIovecs);
	private pending = 0;
	/** While set, every read is served from this page snapshot (see snapshotReads). */
	private snapshot: PageSnapshot | undefined;
	private readonly byAddress = (a: number, b: number) => this.queuedAddress[a]! - this.queuedAddress[b]!;
	/**
	 * The last flush of several reads, kept so that the next flush queueing exactly the same reads
	 * (a sample whose plan did not change) reuses its iovecs and piece layout instead of sorting
	 * and merging again. lastCount 0 means the iovec arrays no longer hold that plan.
	 */
	private lastCount = 0;
	private lastSlots = 0;
	private lastExpected = 0;
	private lastMerged = false;
	private readonly lastAddress = new Float64Array(maxIovecs);
	private readonly lastLength = new Uint32Array(maxIovecs);
	private readonly lastAt = new Uint32Array(maxIovecs);
	private readonly call = libc().processVmReadv;
	/** How many process_vm_readv calls and bytes: for --realtime-stats and the bench. */
	calls = 0;
	bytes = 0;
	/** Ranges read (after coalescing), for the bench's cost model. */
	iovecs = 0;

	readonly pid: number;
	constructor(pid: number, scratchSize = 1 << 20) {
		this.pid = pid;
		this.whole = new Uint8Array(scratchSize + bounceSize);
		this.scratch = Buffer.from(this.whole.buffer, 0, scratchSize);
		this.words = new Uint32Array(this.whole.buffer, 0, scratchSize >>> 2);
		this.signedWords = new Int32Array(this.whole.buffer, 0, scratchSize >>> 2);
		this.scratchAddress = Number(libc().address(this.scratch));
		this.bounceAt0 = scratchSize;
		this.bounceAddress = this.scratchAddress + scratchSize;
	}

	/**
	 * Makes scratch at least `size` bytes, keeping its contents at the same offsets (a stack of
	 * 100,000 frames needs tens of megabytes for one sample). Callers must not keep `scratch`
	 * across a read that may grow it.
	 */
	growScratch(size: number): void {
		if (size <= this.scratch.length) {
			return;
		}

		const whole = new Uint8Array(size + bounceSize);
		whole.set(this.scratch);
		this.whole = whole;
		this.scratch = Buffer.from(whole.buffer, 0, size);
		this.words = new Uint32Array(whole.buffer, 0, size >>> 2);
		this.signedWords = new Int32Array(whole.buffer, 0, size >>> 2);
		this.scratchAddress = Number(libc().address(this.scratch));
		this.bounceAt0 = size;
		this.bounceAddress = this.scratchAddress + size;
		// Addresses of the old buffer are stale: the next flush builds its iovecs afresh.
		this.lastCount = 0;
	}

	/** Queues a read of `length` bytes at `address` into scratch[at, at + length). */
	queue(address: number, length: number, at: number): void {
		if (this.pending === maxIovecs) {
			this.flush();
		}

		const index = this.pending++;
		this.queuedAddress[index] = address;
		this.queuedLength[index] = length;
		this.queuedAt[index] = at;
	}

	/**
	 * Serves every read from `snapshot` until the returned function is called: a pass that
	 * follows thousands of objects (--async-aware) reads each page once instead of each pointer.
	 */
	snapshotReads(snapshot: PageSnapshot): () => void {
		this.flush();
		const {calls, bytes} = snapshot;
		snapshot.begin();
		this.snapshot = snapshot;
		return () => {
			this.snapshot = undefined;
			snapshot.end();
			this.calls += snapshot.calls - calls;
			this.bytes += snapshot.bytes - bytes;
		};
	}

	/**
	 * Performs every queued read in one system call, reading ranges that lie close together
	 * as one span. Throws TornReadError on a short read.
	 */
	flush(): void {
		const count = this.pending;
		this.pending = 0;
		if (count === 0) {
			return;
		}

		if (this.snapshot) {
			this.readSnapshot(count);
			return;
		}

		if (count > 1 && (this.sameAsLast(count) ? this.readLastPlan(count) : this.readCoalesced(count))) {
			return;
		}

		// One iovec per read: the first try for a single range, the fallback when a span that
		// bridged two ranges crossed an unmapped page.
		this.lastCount = 0;
		let expected = 0;
		for (let index = 0; index < count; index++) {
			const length = this.queuedLength[index]!;
			setIovec(this.local, this.remote, index, this.scratchAddress + this.queuedAt[index]!, this.queuedAddress[index]!, length);
			expected += length;
		}

		this.check(this.syscall(count), expected);
	}

	/** Reads one range into scratch at `at` and returns that slice (valid until the next read there). */
	read(address: number, length: number, at = 0): Buffer {
		if (address <= 0) {
			throw new TornReadError('read at null address');
		}

		this.queue(address, length, at);
		this.flush();
		return this.scratch.subarray(at, at + length);
	}

	/** Reads one range into a new buffer the caller may keep. */
	copy(address: number, length: number): Buffer {
		return Buffer.from(this.read(address, length, this.scratch.length - Math.min(length, this.scratch.length)));
	}

	/** The 64-bit pointer at scratch[at, at + 8). */
	pointerAt(at: number): number {
		if ((at & 3) === 0 && at >= 0 && at + 8 <= this.scratch.length) {
			const index = at >>> 2;
			return this.words[index]! + (this.words[index + 1]! * twoTo32);
		}

		return readPointer(this.scratch, at);
	}

	/** The signed 32-bit integer at scratch[at, at + 4). */
	int32At(at: number): number {
		if ((at & 3) === 0 && at >= 0 && at + 4 <= this.scratch.length) {
			return this.signedWords[at >>> 2]!;
		}

		return this.scratch.readInt32LE(at);
	}

	pointer(address: number): number {
		if (this.snapshot) {
			return this.snapshot.pointer(address);
		}

		return readPointer(this.read(address, 8, this.scratch.length - 8), 0);
	}

	private readSnapshot(count: number): void {
		for (let index = 0; index < count; index++) {
			this.snapshot!.readInto(this.queuedAddress[index]!, this.queuedLength[index]!, this.whole, this.queuedAt[index]!);
		}
	}

	/** The signed byte at `address` (one read, or the snapshot's copy). */
	int8(address: number): number {
		return this.snapshot ? this.snapshot.int8(address) : this.read(address, 1, this.scratch.length - 8).readInt8(0);
	}

	/** The signed 32-bit integer at a 4-aligned `address`. */
	int32(address: number): number {
		return this.snapshot ? this.snapshot.int32(address) : this.read(address, 4, this.scratch.length - 8).readInt32LE(0);
	}

	/** One process_vm_readv over the first `count` iovecs. */
	private syscall(count: number): number {
		this.calls++;
		this.iovecs += count;
		return this.call(this.pid, this.local, count, this.remote, count, 0);
	}

	/** Whether the queued reads are exactly those of the last flush of several reads. */
	private sameAsLast(count: number): boolean {
		if (count !== this.lastCount) {
			return false;
		}

		const {queuedAddress, queuedLength, queuedAt, lastAddress, lastLength, lastAt} = this;
		for (let index = 0; index < count; index++) {
			if (queuedAddress[index] !== lastAddress[index] || queuedLength[index] !== lastLength[index] || queuedAt[index] !== lastAt[index]) {
				return false;
			}
		}

		return true;
	}

	/** Replays the last flush of several reads: its iovecs and bounce offsets are still in place. */
	private readLastPlan(count: number): boolean {
		const got = this.syscall(this.lastSlots);
		if (got !== this.lastExpected && !this.lastMerged) {
			this.lastCount = 0;
			this.check(got, this.lastExpected);
		}

		if (got !== this.lastExpected) {
			if (got < 0 && libc().errno() === errno.ESRCH) {
				throw new TargetGoneError(this.pid);
			}

			return false;
		}

		this.bytes += got;
		this.copyPieces(count);
		return true;
	}

	/** Copies the pieces of merged spans from the bounce area to where their callers want them. */
	private copyPieces(count: number): void {
		const {bounceAt, queuedAt, queuedLength, whole, bounceAt0} = this;
		for (let index = 0; index < count; index++) {
			const from = bounceAt[index]!;
			if (from >= 0) {
				whole.copyWithin(queuedAt[index]!, bounceAt0 + from, bounceAt0 + from + queuedLength[index]!);
			}
		}
	}

	/**
	 * Sorts the queued reads by address and reads each run of nearby ranges as one span into
	 * the bounce buffer, then copies the pieces where the callers want them. Returns false,
	 * having read nothing useful, when a span that bridged a gap could not be read whole.
	 */
	private readCoalesced(count: number): boolean {
		const {order, queuedAddress, queuedLength} = this;
		if (count > insertionSortMax) {
			// -a on many threads queues up to 1,024 reads, in thread-list order, not by address.
			for (let index = 0; index < count; index++) {
				order[index] = index;
			}

			order.subarray(0, count).sort(this.byAddress);
		}

		// Insertion sort: a sample of one thread queues a dozen reads at most, mostly in order already.
		for (let index = 0; count <= insertionSortMax && index < count; index++) {
			const address = queuedAddress[index]!;
			let position = index;
			while (position > 0 && queuedAddress[order[position - 1]!]! > address) {
				order[position] = order[position - 1]!;
				position--;
			}

			order[position] = index;
		}

		let slots = 0;
		let expected = 0;
		let bounceUsed = 0;
		let merged = false;
		for (let first = 0; first < count;) {
			const start = queuedAddress[order[first]!]!;
			let end = start + queuedLength[order[first]!]!;
			let last = first;
			while (last + 1 < count) {
				const next = order[last + 1]!;
				const nextStart = queuedAddress[next]!;
				const nextEnd = Math.max(end, nextStart + queuedLength[next]!);
				if (nextStart - end > coalesceGap || nextEnd - start > maxSpan || bounceUsed + (nextEnd - start) > bounceSize) {
					break;
				}

				end = nextEnd;
				last++;
			}

			if (last === first) {
				const index = order[first]!;
				this.bounceAt[index] = -1;
				setIovec(this.local, this.remote, slots++, this.scratchAddress + this.queuedAt[index]!, start, end - start);
			} else {
				merged = true;
				for (let member = first; member <= last; member++) {
					const index = order[member]!;
					this.bounceAt[index] = bounceUsed + (queuedAddress[index]! - start);
				}

				setIovec(this.local, this.remote, slots++, this.bounceAddress + bounceUsed, start, end - start);
				bounceUsed += (end - start + 15) & ~15;
			}

			expected += end - start;
			first = last + 1;
		}

		this.lastCount = 0;
		if (!merged) {
			// Every range read straight to scratch, as the plain path would: a short read is a torn
			// read, not a bridged gap, so there is nothing to retry.
			this.check(this.syscall(slots), expected);
			this.remember(count, slots, expected, false);
			return true;
		}

		const got = this.syscall(slots);
		if (got !== expected) {
			if (got < 0 && libc().errno() === errno.ESRCH) {
				throw new TargetGoneError(this.pid);
			}

			return false;
		}

		this.bytes += got;
		this.copyPieces(count);
		this.remember(count, slots, expected, true);
		return true;
	}

	private remember(count: number, slots: number, expected: number, merged: boolean): void {
		this.lastMerged = merged;
		this.lastAddress.set(this.queuedAddress.subarray(0, count));
		this.lastLength.set(this.queuedLength.subarray(0, count));
		this.lastAt.set(this.queuedAt.subarray(0, count));
		this.lastSlots = slots;
		this.lastExpected = expected;
		this.lastCount = count;
	}

	private check(got: number, expected: number): void {
		if (got === expected) {
			this.bytes += got;
			return;
		}

		if (got < 0) {
			const code = failedReadErrno(this.pid);
			throw new TornReadError(`process_vm_readv(pid ${this.pid}): ${libc().strerror(code)}`);
		}

		throw new TornReadError(`short read from process ${this.pid}: ${got} of ${expected} bytes`);
	}
}

/**
 * After a process_vm_readv that returned -1: throws when the whole capture must end (the target
 * is gone, or we may not read it); else returns the errno, a fault the caller treats as a torn read.
 */
export function failedReadErrno(pid: number): number {
	const code = libc().errno();
	if (code === errno.ESRCH) {
		throw new TargetGoneError(pid);
	}

	if (code === errno.EPERM) {
		throw new SyscallError('process_vm_readv', pid, code);
	}

	return code;
}
