// Where a binary profile's bytes go (a file written in place, or memory), and the growable
// buffer with the format's varint, zigzag and little-endian writers that binary-writer.ts
// builds records and tables in.
import fs from 'node:fs';
import {headerSize} from './binary-spec.js';

/** Where the bytes go: a file (streaming) or memory (export of a finished profile). */
export type BinarySink = {
	/** Writes bytes at `position` (the header at 0, the sample stream from 64 on, the tail after it). */
	writeAt(position: number, bytes: Uint8Array): void;
	/** The file ends at `size` (a tail written before may have been longer). */
	truncate(size: number): void;
	close(): void;
};

export function fileSink(path: string): BinarySink {
	const fd = fs.openSync(path, 'w');
	// Until the first checkpoint the file is a zero header: readers say "not finalized".
	fs.writeSync(fd, new Uint8Array(headerSize), 0, headerSize, 0);
	return {
		writeAt(position, bytes) {
			let done = 0;
			while (done < bytes.length) {
				done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
			}
		},
		truncate(size) {
			fs.ftruncateSync(fd, size);
		},
		close() {
			fs.closeSync(fd);
		},
	};
}

export function memorySink(): BinarySink & {bytes(): Uint8Array} {
	let buffer = new Uint8Array(1 << 16);
	let length = headerSize;
	return {
		writeAt(position, bytes) {
			if (position + bytes.length > buffer.length) {
				const bigger = new Uint8Array(Math.max(buffer.length * 2, position + bytes.length));
				bigger.set(buffer.subarray(0, length));
				buffer = bigger;
			}

			buffer.set(bytes, position);
			length = Math.max(length, position + bytes.length);
		},
		truncate(size) {
			length = size;
		},
		close() {
			// Nothing to release.
		},
		bytes() {
			return buffer.slice(0, length);
		},
	};
}

/** A growable byte buffer with the varint writers the format uses. */
export class ByteBuffer {
	bytes = new Uint8Array(1 << 16);
	length = 0;

	reserve(extra: number): void {
		if (this.length + extra > this.bytes.length) {
			const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
			bigger.set(this.bytes.subarray(0, this.length));
			this.bytes = bigger;
		}
	}

	u8(value: number): void {
		this.reserve(1);
		this.bytes[this.length++] = value;
	}

	varint(value: number): void {
		this.reserve(10);
		let rest = value;
		while (rest >= 0x80) {
			this.bytes[this.length++] = (rest % 0x80) | 0x80;
			rest = Math.floor(rest / 0x80);
		}

		this.bytes[this.length++] = rest;
	}

	/** Zigzag for the signed i32 fields of the frame table. */
	signed(value: number): void {
		this.varint(value >= 0 ? value * 2 : (-value * 2) - 1);
	}

	u32(value: number): void {
		this.reserve(4);
		new DataView(this.bytes.buffer).setUint32(this.length, value >>> 0, true);
		this.length += 4;
	}

	u64(value: number): void {
		this.reserve(8);
		new DataView(this.bytes.buffer).setBigUint64(this.length, BigInt(Math.max(0, Math.round(value))), true);
		this.length += 8;
	}

	f64(value: number): void {
		this.reserve(8);
		new DataView(this.bytes.buffer).setFloat64(this.length, value, true);
		this.length += 8;
	}

	raw(bytes: Uint8Array): void {
		this.reserve(bytes.length);
		this.bytes.set(bytes, this.length);
		this.length += bytes.length;
	}

	take(): Uint8Array {
		const out = this.bytes.slice(0, this.length);
		this.length = 0;
		return out;
	}
}
