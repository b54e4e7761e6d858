// Reads another process's memory with process_vm_readv, several ranges per system call.
// Addresses are plain numbers: x86-64 user space ends below 2^47, far inside a double's
// exact range, and number arithmetic is many times cheaper than BigInt on the hot path.
// Buffers and iovec arrays are allocated once per reader; nothing is allocated per read.
import {errno, libc, SyscallError} from './libc.js';

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

export class RemoteMemory {
	/** Scratch space that gather reads land in; callers pick offsets inside it. */
	readonly scratch: Buffer;
	private readonly scratchAddress: number;
	private readonly local = new Uint32Array(maxIovecs * 4);
	private readonly remote = new Uint32Array(maxIovecs * 4);
	private pending = 0;
	private pendingBytes = 0;
	private readonly call = libc().processVmReadv;
	/** How many process_vm_readv calls and bytes: for --realtime-stats and the bench. */
	calls = 0;
	bytes = 0;

	readonly pid: number;
	constructor(pid: number, scratchSize = 1 << 20) {
		this.pid = pid;
		this.scratch = Buffer.alloc(scratchSize);
		this.scratchAddress = Number(libc().address(this.scratch));
	}

	/** Queues a read of `length` bytes at `address` into scratch[at, at + length). */
	queue(address: number, length: number, at: number): void {
		const slot = this.pending * 4;
		const local = this.scratchAddress + at;
		this.local[slot] = local % twoTo32;
		this.local[slot + 1] = Math.floor(local / twoTo32);
		this.local[slot + 2] = length;
		this.local[slot + 3] = 0;
		this.remote[slot] = address % twoTo32;
		this.remote[slot + 1] = Math.floor(address / twoTo32);
		this.remote[slot + 2] = length;
		this.remote[slot + 3] = 0;
		this.pending++;
		this.pendingBytes += length;
	}

	/** Performs every queued read in one system call. Throws TornReadError on a short read. */
	flush(): void {
		const count = this.pending;
		const expected = this.pendingBytes;
		this.pending = 0;
		this.pendingBytes = 0;
		if (count === 0) {
			return;
		}

		this.calls++;
		const got = this.call(this.pid, this.local, count, this.remote, count, 0);
		if (got === expected) {
			this.bytes += got;
			return;
		}

		if (got < 0) {
			const code = libc().errno();
			if (code === errno.ESRCH) {
				throw new TargetGoneError(this.pid);
			}

			if (code === errno.EPERM) {
				throw new SyscallError('process_vm_readv', this.pid, code);
			}

			throw new TornReadError(`process_vm_readv(pid ${this.pid}): ${libc().strerror(code)}`);
		}

		throw new TornReadError(`short read from process ${this.pid}: ${got} of ${expected} bytes`);
	}

	/** Reads one range into scratch at `at` and returns that slice (valid until the next read there). */
	read(address: number, length: number, at = 0): Buffer {
		if (address <= 0) {
			throw new TornReadError(`read at null address`);
		}

		this.queue(address, length, at);
		this.flush();
		return this.scratch.subarray(at, at + length);
	}

	/** Reads one range into a new buffer the caller may keep. */
	copy(address: number, length: number): Buffer {
		return Buffer.from(this.read(address, length, this.scratch.length - Math.min(length, this.scratch.length)));
	}

	pointer(address: number): number {
		return readPointer(this.read(address, 8, this.scratch.length - 8), 0);
	}
}
