// Constants of CPython 3.15's binary profile format (version 1), shared by our writer and
// reader. The layout is described byte by byte in docs/binary-format.md.
import {createRequire} from 'node:module';

export const magic = 0x54_41_43_48; // "TACH" as a little-endian u32: bytes "HCAT" on disk
export const swappedMagic = 0x48_43_41_54;
export const formatVersion = 1;
export const headerSize = 64;
export const footerSize = 32;
export const statsBlockSize = 56;
export const statsMagic = 'TACHSTAT';
/** Our own block between the frame table and the stats block (Tachyon's reader skips it). */
export const extensionMagic = 'TTOPEXT1';
/** Tachyon keeps the 256 innermost frames of a stack. */
export const maxStackDepth = 256;
export const noOpcode = 255;
/** zstd level of the sample stream (see docs/binary-format.md). */
export const zstdLevel = 9;

export const Encoding = {
	repeat: 0,
	full: 1,
	suffix: 2,
	popPush: 3,
} as const;

export const Compression = {
	none: 0,
	zstd: 1,
} as const;

/** Header field offsets. */
export const Header = {
	magic: 0,
	version: 4,
	pythonVersion: 8,
	startTimeUs: 12,
	intervalUs: 20,
	sampleCount: 28,
	threadCount: 36,
	stringTableOffset: 40,
	frameTableOffset: 48,
	compression: 56,
	config: 60,
} as const;

/** Mode ids in the config word (stored as id + 1; 0 = unknown). */
export const modeIds = {wall: 0, cpu: 1, gil: 2, all: 3, exception: 4} as const;

/** Capture features in the config word, from bit 4 up; bit 3 says they are known. */
export const Feature = {
	known: 8,
	allThreads: 1 << 4,
	native: 2 << 4,
	gc: 4 << 4,
	opcodes: 8 << 4,
	blocking: 16 << 4,
} as const;

/** Stats block presence bits. */
export const StatsPresent = {
	errorRate: 1,
	missedSamples: 2,
} as const;

/** [bytes still to flush, bytes produced, bytes consumed], as zstd-napi's streaming calls return them. */
type ZstdStreamResult = [number, number, number];

/**
 * The part of zstd-napi's native binding we use, declared here rather than imported: the
 * package is optional (it compiles with g++, make and python3), and the build must not need it.
 */
export type ZstdBinding = {
	readonly CCtx: new () => {
		setParameter(parameter: number, value: number): void;
		compressStream2(output: Uint8Array, input: Uint8Array, directive: number): ZstdStreamResult;
	};
	readonly DCtx: new () => {
		decompressStream(output: Uint8Array, input: Uint8Array): ZstdStreamResult;
	};
	readonly CParameter: {readonly compressionLevel: number};
	readonly EndDirective: {readonly continue: number; readonly end: number};
	cStreamOutSize(): number;
	dStreamOutSize(): number;
	compressBound(size: number): number;
	compress(output: Uint8Array, input: Uint8Array, level: number): number;
	decompress(output: Uint8Array, input: Uint8Array): number;
};

let zstd: ZstdBinding | null | undefined;

/** The zstd binding, or null where its native part cannot load (then we write uncompressed). */
export function zstdBinding(): ZstdBinding | null {
	if (zstd === undefined) {
		try {
			zstd = createRequire(import.meta.url)('zstd-napi/binding.js') as ZstdBinding;
		} catch {
			zstd = null;
		}
	}

	return zstd;
}
