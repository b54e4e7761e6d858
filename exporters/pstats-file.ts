// The pstats file (`--pstats -o FILE`): Python's marshal format of the dict that
// `pstats.Stats(FILE)` loads. Tachyon's file only loads in 3.15 (it adds a `('__sampled__',)`
// marker and plain-int callers); ours by default uses cProfile's own shape — callers map to
// (calls, primitive calls, tottime, cumtime) tuples — so pstats of every Python from 3.11 on,
// snakeviz and friends read it; `--pstats-layout tachyon` writes Tachyon's. "calls" are
// samples: direct (cc) and cumulative (nc), as Tachyon.
import type {ProfilingMode} from '../common/profile-types.js';
import {functionStats} from './function-stats.js';
import type {Profile} from './model.js';
import {surrogatePassUtf8} from './surrogate-utf8.js';

/** A minimal marshal writer: the types the stats dict needs, no references (loads in any version ≥ 3.4). */
class MarshalWriter {
	private bytes = new Uint8Array(1 << 16);
	private length = 0;

	dictStart(): void {
		this.u8(0x7B); // '{'
	}

	dictEnd(): void {
		this.u8(0x30); // '0' (NULL): end of dict
	}

	bool(value: boolean): void {
		this.u8(value ? 0x54 : 0x46); // 'T' True, 'F' False
	}

	tuple(size: number): void {
		this.u8(0x29); // ')' small tuple
		this.u8(size);
	}

	string(text: string): void {
		// surrogatepass, as marshal reads it: file names with undecodable bytes load back as they were.
		const encoded = surrogatePassUtf8(text);
		const isAscii = encoded.length === text.length && /^[\u0000-\u007F]*$/.test(text);
		if (isAscii && encoded.length < 256) {
			this.u8(0x7A); // 'z' short ASCII
			this.u8(encoded.length);
		} else if (isAscii) {
			this.u8(0x61); // 'a' ASCII
			this.u32(encoded.length);
		} else {
			this.u8(0x75); // 'u' UTF-8
			this.u32(encoded.length);
		}

		this.raw(encoded);
	}

	int(value: number): void {
		if (Number.isSafeInteger(value) && value >= -(2 ** 31) && value < 2 ** 31) {
			this.u8(0x69); // 'i' int32
			this.reserve(4);
			new DataView(this.bytes.buffer).setInt32(this.length, value, true);
			this.length += 4;
			return;
		}

		// 'l': a long as 15-bit digits, least significant first.
		const digits: number[] = [];
		let rest = Math.abs(Math.trunc(value));
		while (rest > 0) {
			digits.push(rest % 32_768);
			rest = Math.floor(rest / 32_768);
		}

		this.u8(0x6C);
		this.reserve(4);
		new DataView(this.bytes.buffer).setInt32(this.length, value < 0 ? -digits.length : digits.length, true);
		this.length += 4;
		for (const digit of digits) {
			this.reserve(2);
			new DataView(this.bytes.buffer).setUint16(this.length, digit, true);
			this.length += 2;
		}
	}

	float(value: number): void {
		this.u8(0x67); // 'g' binary float
		this.reserve(8);
		new DataView(this.bytes.buffer).setFloat64(this.length, value, true);
		this.length += 8;
	}

	result(): Uint8Array {
		return this.bytes.slice(0, this.length);
	}

	private u8(value: number): void {
		this.reserve(1);
		this.bytes[this.length++] = value;
	}

	private u32(value: number): void {
		this.reserve(4);
		new DataView(this.bytes.buffer).setUint32(this.length, value, true);
		this.length += 4;
	}

	private raw(data: Uint8Array): void {
		this.reserve(data.length);
		this.bytes.set(data, this.length);
		this.length += data.length;
	}

	private reserve(extra: number): void {
		if (this.length + extra > this.bytes.length) {
			const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
			bigger.set(this.bytes.subarray(0, this.length));
			this.bytes = bigger;
		}
	}
}

/**
 * The pstats file. `portable` (the default): callers as cProfile's 4-tuples, so pstats of every
 * Python loads it. `tachyon`: Tachyon's own layout, callers as plain sample counts and the
 * ('__sampled__',) marker, with which 3.15's pstats prints sample columns (nsamples, sample%)
 * and which older Pythons cannot load.
 */
export function pstatsFile(profile: Profile, mode: ProfilingMode = profile.meta.mode, layout: 'portable' | 'tachyon' = 'portable'): Uint8Array {
	const {rows} = functionStats(profile, {mode});
	const byId = new Map(rows.map(row => [row.id, row]));
	const out = new MarshalWriter();
	const key = (row: typeof rows[number]) => {
		out.tuple(3);
		out.string(row.filename);
		out.int(row.line);
		out.string(row.funcname);
	};

	out.dictStart();
	for (const row of rows) {
		key(row);
		out.tuple(5);
		out.int(row.directSamples);
		out.int(row.cumulativeSamples);
		out.float(row.directTimeUs / 1e6);
		out.float(row.cumulativeTimeUs / 1e6);
		out.dictStart();
		for (const [callerId, samples] of row.callers) {
			const caller = byId.get(callerId);
			if (caller === undefined) {
				continue;
			}

			key(caller);
			if (layout === 'tachyon') {
				out.int(samples);
				continue;
			}

			// Per edge: samples in which the caller called this row, and the time they stand for.
			const share = row.cumulativeSamples > 0 ? samples / row.cumulativeSamples : 0;
			out.tuple(4);
			out.int(samples);
			out.int(samples);
			out.float((row.directTimeUs / 1e6) * share);
			out.float((row.cumulativeTimeUs / 1e6) * share);
		}

		out.dictEnd();
	}

	if (layout === 'tachyon') {
		out.tuple(1);
		out.string('__sampled__');
		out.bool(true);
	}

	out.dictEnd();
	return out.result();
}
