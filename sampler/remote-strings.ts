// Decodes the target's str and bytes objects: file and function names, location tables,
// task and thread names.
//
// Why a module: a str has four storage kinds (compact ASCII, latin-1, UCS-2, UCS-4, plus the
// legacy non-compact form) whose header sizes differ between versions, and both the walk and
// the object readers (asyncio, thread names) need them. Reads go through the sample's read
// set, so a string that already came in with a larger read costs no system call.
import type {Layout} from './layouts.js';
import {TornReadError} from './remote-memory.js';
import type {SampleReads} from './sample-reads.js';

/** How far past an object's header to read in the first go: most names fit. */
const stringPeek = 256;

export class RemoteStrings {
	private readonly reads: SampleReads;
	private readonly layout: Layout;

	constructor(reads: SampleReads, layout: Layout) {
		this.reads = reads;
		this.layout = layout;
	}

	/** Decodes a remote str (compact ASCII, latin-1, UCS-2 or UCS-4, or a legacy string). */
	readString(address: number): string {
		const {layout, reads} = this;
		const {memory} = reads;
		const header = layout.unicode.compactSize;
		let at = reads.peek(address, header, header + stringPeek);
		const length = memory.pointerAt(at + layout.unicode.length);
		const state = memory.scratch.readUInt32LE(at + layout.unicode.state);
		const kind = (state >> 2) & 7;
		const compact = (state >> 5) & 1;
		const ascii = (state >> 6) & 1;
		if (length > 1_000_000 || (kind !== 1 && kind !== 2 && kind !== 4)) {
			throw new TornReadError('not a str object');
		}

		let dataOffset: number;
		let dataAddress: number;
		if (compact === 0) {
			// A legacy (non-compact) string keeps its characters behind a pointer.
			dataAddress = memory.pointerAt(at + header);
			dataOffset = -1;
		} else {
			dataOffset = ascii ? layout.unicode.asciiSize : header;
			dataAddress = address + dataOffset;
		}

		const size = length * (ascii ? 1 : kind);
		if (dataOffset < 0 || reads.locate(dataAddress, size) < 0) {
			at = reads.fetch(dataAddress, size);
		} else {
			at = reads.locate(dataAddress, size);
		}

		// Read from scratch as it is now: the fetch above may have grown it.
		const data = memory.scratch.subarray(at, at + size);
		if (ascii || kind === 1) {
			return data.toString('latin1');
		}

		if (kind === 2) {
			return data.toString('utf16le');
		}

		let text = '';
		for (let offset = 0; offset < size; offset += 4) {
			const point = data.readUInt32LE(offset);
			if (point > 0x10_ffff) {
				// No str holds this: the object was freed or rewritten while we read it.
				// (String.fromCodePoint's RangeError ended a whole capture: CI, a worker of run --subprocesses.)
				throw new TornReadError('not a str object');
			}

			text += String.fromCodePoint(point);
		}

		return text;
	}

	/** Copies a remote bytes object's contents. */
	readBytes(address: number): Buffer {
		const {layout, reads} = this;
		const {memory} = reads;
		let at = reads.peek(address, layout.bytes.data, layout.bytes.data + stringPeek);
		const size = memory.pointerAt(at + layout.bytes.size);
		if (size > 16 << 20) {
			throw new TornReadError('not a bytes object');
		}

		if (reads.locate(address + layout.bytes.data, size) < 0) {
			at = reads.fetch(address + layout.bytes.data, size) - layout.bytes.data;
		}

		return Buffer.from(memory.scratch.subarray(at + layout.bytes.data, at + layout.bytes.data + size));
	}
}
