// The fixed parts of a binary profile (binary-spec.ts): the header and footer checked and read
// into a BinaryLayout (where the tables and the stats block are, byte order, what the file says
// about itself), and a bounds-checked cursor over the string and frame tables. binary-reader.ts
// decodes the rest.
import {Compression, footerSize, formatVersion, Header, headerSize, magic, modeIds, statsBlockSize, statsMagic, swappedMagic} from './binary-spec.js';
import {fail} from './binary-extension.js';
import type {ProfilingMode} from '../common/profile-types.js';

export type BinaryInfo = {
	readonly pythonVersion: string;
	readonly intervalUs: number;
	readonly samples: number;
	readonly threads: number;
	readonly compression: 'zstd' | 'none';
	readonly mode: ProfilingMode | 'all' | undefined;
	readonly fileSize: number;
	/** Written by tachyon-top (our extension block is present). */
	readonly ours: boolean;
};

const modeById = new Map<number, ProfilingMode | 'all'>(Object.entries(modeIds).map(([name, id]) => [id, name as ProfilingMode | 'all']));
/** `length` bytes at `start` as Latin-1 text (the format's 8-byte magics). */
export const ascii = (bytes: Uint8Array, start: number, length: number) => String.fromCharCode(...bytes.subarray(start, start + length));

/** Cursor over the tables, with bounds checks. */
export class TableCursor {
	position: number;
	private readonly bytes: Uint8Array;
	private readonly end: number;

	constructor(bytes: Uint8Array, start: number, end: number) {
		this.bytes = bytes;
		this.position = start;
		this.end = end;
	}

	varint(what: string): number {
		let value = 0;
		let scale = 1;
		for (;;) {
			if (this.position >= this.end) {
				fail(`truncated ${what}`);
			}

			const byte = this.bytes[this.position++]!;
			value += (byte & 0x7F) * scale;
			if (byte < 0x80) {
				return value;
			}

			scale *= 128;
			if (scale > 2 ** 56) {
				fail(`bad number in ${what}`);
			}
		}
	}

	signed(what: string): number {
		const value = this.varint(what);
		return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
	}

	u8(what: string): number {
		if (this.position >= this.end) {
			fail(`truncated ${what}`);
		}

		return this.bytes[this.position++]!;
	}

	bytesOf(length: number, what: string): Uint8Array {
		if (this.position + length > this.end) {
			fail(`truncated ${what}`);
		}

		const slice = this.bytes.subarray(this.position, this.position + length);
		this.position += length;
		return slice;
	}
}

export type BinaryLayout = {
	readonly view: DataView;
	readonly little: boolean;
	readonly info: BinaryInfo;
	readonly startTimeUs: number;
	readonly stringTableOffset: number;
	readonly frameTableOffset: number;
	readonly stringCount: number;
	readonly frameCount: number;
	readonly config: number;
	readonly statsOffset: number | undefined;
};

function u64(view: DataView, offset: number, little: boolean): number {
	const value = view.getBigUint64(offset, little);
	if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
		fail(`corrupted: a 64-bit field at byte ${offset} is out of range`);
	}

	return Number(value);
}

export function readLayout(bytes: Uint8Array): BinaryLayout {
	if (bytes.length < headerSize + footerSize) {
		fail(bytes.length < 4 ? 'empty or truncated file' : `too short for a binary profile (${bytes.length} bytes)`);
	}

	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const word = view.getUint32(Header.magic, true);
	if (word !== magic && word !== swappedMagic) {
		fail('not a Tachyon binary profile (bad magic)');
	}

	const little = word === magic;
	const version = view.getUint32(Header.version, little);
	if (version !== formatVersion) {
		fail(`unsupported binary format version ${version} (this reader knows version ${formatVersion})`);
	}

	const footer = bytes.length - footerSize;
	const stringCount = view.getUint32(footer, little);
	const frameCount = view.getUint32(footer + 4, little);
	const fileSize = u64(view, footer + 8, little);
	if (fileSize !== bytes.length) {
		fail(fileSize === 0 || fileSize > bytes.length
			? `truncated: the footer says ${fileSize} bytes, the file has ${bytes.length} (was the capture finalized?)`
			: `corrupted footer (says ${fileSize} bytes, the file has ${bytes.length})`);
	}

	const stringTableOffset = u64(view, Header.stringTableOffset, little);
	const frameTableOffset = u64(view, Header.frameTableOffset, little);
	if (stringTableOffset < headerSize || frameTableOffset < stringTableOffset || frameTableOffset > footer) {
		fail('corrupted header (table offsets out of range)');
	}

	const compression = view.getUint32(Header.compression, little);
	if (compression !== Compression.none && compression !== Compression.zstd) {
		fail(`unknown compression ${compression}`);
	}

	const config = view.getUint32(Header.config, little);
	const statsAt = footer - statsBlockSize;
	const statsOffset = statsAt >= frameTableOffset && ascii(bytes, footer - 16, 8) === statsMagic ? statsAt : undefined;
	const intervalUs = u64(view, Header.intervalUs, little);
	if (intervalUs <= 0) {
		fail('corrupted header (sampling interval 0)');
	}

	const modeId = (config & 7) - 1;
	return {
		view,
		little,
		startTimeUs: u64(view, Header.startTimeUs, little),
		stringTableOffset,
		frameTableOffset,
		stringCount,
		frameCount,
		config,
		statsOffset,
		info: {
			pythonVersion: `${bytes[8]}.${bytes[9]}.${bytes[10]}`,
			intervalUs,
			samples: u64(view, Header.sampleCount, little),
			threads: view.getUint32(Header.threadCount, little),
			compression: compression === Compression.zstd ? 'zstd' : 'none',
			mode: modeId >= 0 ? modeById.get(modeId) : undefined,
			fileSize,
			ours: false,
		},
	};
}

