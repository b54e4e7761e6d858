// Reads CPython 3.15's binary profile format (version 1) — Tachyon's `--binary` files and ours —
// into the one profile model, so every exporter can convert an archive without resampling.
// Every check of a length or an index is explicit: a truncated, corrupted or foreign file ends in
// one BinaryFormatError, never in a stack trace, an endless loop or a huge allocation.
import {Encoding, extensionMagic, footerSize, headerSize, noOpcode, zstdBinding} from './binary-spec.js';
import {BinaryFormatError, type BinaryExtension, checkExtension, decodeSources, fail, sourcesMagic} from './binary-extension.js';
import {ascii, type BinaryInfo, type BinaryLayout, readLayout, TableCursor} from './binary-header.js';
import {Profile} from './model.js';
import type {FrameDef} from '../common/profile-types.js';
import type {SamplerStats} from '../sampler/protocol.js';
import {StoredSources} from '../sampler/source-lines.js';

export {BinaryFormatError} from './binary-extension.js';

export type ReadOptions = {
	/** Keep every sample's timestamp (gecko, binary output). */
	readonly timeline?: boolean;
	/** Called now and then with the share of the sample stream decoded (0–1). */
	readonly onProgress?: (fraction: number) => void;
};

const utf8 = new TextDecoder('utf-8', {fatal: false});
/** Line and column numbers are i32 in the format; -1 means none. */
const maxLineNumber = 2 ** 31 - 1;
/** A stack deeper than this in an archive is not a stack (the writers keep 256 frames). */
const maxStackFrames = 1 << 20;
/** The decompressed sample stream may not exceed this (a small file must not inflate to gigabytes). */
const maxStreamBytes = 2 ** 31;

/** What a file says about itself, without decoding the samples (replay's first line). */
export function binaryInfo(bytes: Uint8Array): BinaryInfo {
	const layout = readLayout(bytes);
	return {...layout.info, ours: readExtension(bytes, layout, readTables(bytes, layout).end).extension !== undefined};
}

function readTables(bytes: Uint8Array, layout: BinaryLayout): {frames: FrameDef[]; end: number} {
	const limit = layout.statsOffset ?? bytes.length - footerSize;
	if (layout.stringCount > limit || layout.frameCount > limit) {
		fail('corrupted footer (table sizes out of range)');
	}

	const strings: string[] = [];
	const cursor = new TableCursor(bytes, layout.stringTableOffset, layout.frameTableOffset);
	for (let index = 0; index < layout.stringCount; index++) {
		const length = cursor.varint('string table');
		strings.push(utf8.decode(cursor.bytesOf(length, 'string table')));
	}

	const frames: FrameDef[] = [];
	const frameCursor = new TableCursor(bytes, layout.frameTableOffset, limit);
	const string = (index: number) => strings[index] ?? fail(`frame table names string ${index} of ${strings.length}`);
	for (let index = 0; index < layout.frameCount; index++) {
		const filename = string(frameCursor.varint('frame table'));
		const funcname = string(frameCursor.varint('frame table'));
		const line = frameCursor.signed('frame table');
		const endDelta = frameCursor.signed('frame table');
		const col = frameCursor.signed('frame table');
		const endColDelta = frameCursor.signed('frame table');
		const opcode = frameCursor.u8('frame table');
		const endLine = line + endDelta;
		const endCol = col + endColDelta;
		if (line < -1 || line > maxLineNumber || endLine < -1 || endLine > maxLineNumber || col < -1 || col > maxLineNumber || endCol < -1 || endCol > maxLineNumber) {
			fail(`frame table: frame ${index} has an impossible line or column`);
		}

		frames.push(frameDef(filename, funcname, line, endDelta, col, endColDelta, opcode));
	}

	return {frames, end: frameCursor.position};
}

function frameDef(filename: string, funcname: string, line: number, endDelta: number, col: number, endColDelta: number, opcode: number): FrameDef {
	const op = opcode === noOpcode ? -1 : opcode;
	if (line === -1) {
		// No location: a synthetic frame (<GC>, <native>) — or a Python frame whose line is unknown.
		if (filename === '~') {
			return {filename, funcname, line: 0, endLine: 0, col: -1, endCol: -1, opcode: op, kind: funcname === '<GC>' ? 'gc' : 'native'};
		}

		return {filename, funcname, line: -1, endLine: -1, col: -1, endCol: -1, opcode: op, kind: 'python'};
	}

	return {
		filename, funcname, line, endLine: line + endDelta, col, endCol: col < 0 ? -1 : col + endColDelta, opcode: op,
		kind: filename === '<task>' ? 'task' : 'python',
	};
}

type Extension = {readonly extension: BinaryExtension | undefined; readonly sources: Map<string, string> | undefined};

/** Our blocks after the frame table: the extension JSON, then the source block; either may be absent (Tachyon's files). */
function readExtension(bytes: Uint8Array, layout: BinaryLayout, tablesEnd: number): Extension {
	const limit = layout.statsOffset ?? bytes.length - footerSize;
	let at = tablesEnd;
	let extension: BinaryExtension | undefined;
	if (at + 8 <= limit && ascii(bytes, at, 8) === extensionMagic) {
		if (at + 12 > limit) {
			fail('truncated extension block');
		}

		const length = layout.view.getUint32(at + 8, layout.little);
		if (at + 12 + length > limit) {
			fail('truncated extension block');
		}

		let json: unknown;
		try {
			json = JSON.parse(new TextDecoder('utf-8', {fatal: true}).decode(bytes.subarray(at + 12, at + 12 + length)));
		} catch {
			fail('corrupted extension block (not JSON)');
		}

		extension = checkExtension(json);
		at += 12 + length;
	}

	const sources = at + 8 <= limit && ascii(bytes, at, 8) === sourcesMagic ? decodeSources(bytes, at, limit, layout.little) : undefined;
	return {extension, sources};
}

function statsFrom(layout: BinaryLayout, extension: BinaryExtension | undefined, lastTs: number): SamplerStats {
	if (extension?.stats) {
		return extension.stats;
	}

	const base = {reads: 0, bytesRead: 0, cpuUs: 0};
	if (layout.statsOffset === undefined) {
		return {...base, attempts: layout.info.samples, errors: 0, missed: 0, elapsedUs: Math.max(0, lastTs - layout.startTimeUs)};
	}

	const {view} = layout;
	const at = layout.statsOffset;
	const durationS = view.getFloat64(at, layout.little);
	const rate = view.getFloat64(at + 8, layout.little);
	const errorRate = view.getFloat64(at + 16, layout.little);
	const missedPct = view.getFloat64(at + 24, layout.little);
	// Missed samples may be negative (ahead of schedule); nothing else may, and nothing may be NaN or endless.
	if (![durationS, rate, errorRate, missedPct].every(value => Number.isFinite(value) && Math.abs(value) < 1e9) || durationS < 0 || rate < 0 || errorRate < 0 || errorRate > 100) {
		fail('corrupted stats block');
	}

	const attempts = Math.round(rate * durationS);
	const expected = (durationS * 1e6) / layout.info.intervalUs;
	return {
		...base,
		attempts,
		errors: Math.round((errorRate / 100) * attempts),
		missed: Math.max(0, Math.round((missedPct / 100) * expected)),
		elapsedUs: durationS * 1e6,
	};
}

function sampleStream(bytes: Uint8Array, layout: BinaryLayout): Uint8Array {
	const region = bytes.subarray(headerSize, layout.stringTableOffset);
	if (layout.info.compression === 'none') {
		return region;
	}

	const binding = zstdBinding() ?? fail('the file is zstd-compressed and zstd-napi is not available here');
	const context = new binding.DCtx();
	const chunks: Uint8Array[] = [];
	const out = new Uint8Array(Math.max(binding.dStreamOutSize(), 1 << 20));
	let input = region;
	let total = 0;
	try {
		for (;;) {
			const [remaining, produced, consumed] = context.decompressStream(out, input);
			if (produced > 0) {
				chunks.push(out.slice(0, produced));
				total += produced;
				if (total > maxStreamBytes) {
					fail(`the sample stream inflates to more than ${maxStreamBytes / 2 ** 30} GiB: not read`);
				}
			}

			input = input.subarray(consumed);
			if (remaining === 0 && input.length === 0) {
				break;
			}

			if (consumed === 0 && produced === 0) {
				fail('truncated zstd sample stream');
			}
		}
	} catch (error) {
		if (error instanceof BinaryFormatError) {
			throw error;
		}

		fail(`corrupted zstd sample stream (${error instanceof Error ? error.message : String(error)})`);
	}

	const stream = new Uint8Array(total);
	let offset = 0;
	for (const chunk of chunks) {
		stream.set(chunk, offset);
		offset += chunk.length;
	}

	return stream;
}

type ThreadState = {
	/** Root-first frame indices of the thread's current stack. */
	frames: number[];
	/** Root-first: profile stack id of the stack made of frames[0..i]. */
	ids: number[];
	lastTs: number;
};

/** Reads a whole binary profile into a Profile. */
export function readBinaryProfile(bytes: Uint8Array, options: ReadOptions = {}): {profile: Profile; info: BinaryInfo} {
	const layout = readLayout(bytes);
	const {frames, end} = readTables(bytes, layout);
	const {extension, sources} = readExtension(bytes, layout, end);
	for (const index of extension?.nativeFrames ?? []) {
		const frame = frames[index];
		if (frame) {
			frames[index] = {...frame, line: 0, endLine: 0, col: -1, endCol: -1, kind: 'native'};
		}
	}

	const info = {...layout.info, ours: extension !== undefined};
	const mode = info.mode === undefined || info.mode === 'all' ? 'wall' : info.mode;
	const features = layout.config & 8 ? layout.config >>> 4 : 0;
	const profile = new Profile({
		pid: extension?.pid ?? 0,
		pythonVersion: extension?.pythonVersion ?? info.pythonVersion,
		command: extension?.command ?? [],
		mode,
		intervalUs: info.intervalUs,
		startedAt: extension?.startedAt ?? 0,
		allThreads: (features & 1) !== 0,
		native: (features & 2) !== 0,
		gc: (features & 4) !== 0,
		opcodes: (features & 8) !== 0,
		asyncAware: false,
	}, {timeline: options.timeline === true});
	for (const frame of frames) {
		profile.frames.push(frame);
	}

	for (const [tid, name] of extension?.threads ?? []) {
		profile.addThread(tid, name);
	}

	// The code the capture read from its target; nothing is ever read from this machine for an archive.
	if (sources) {
		profile.sources = new StoredSources(sources);
	}

	const stream = sampleStream(bytes, layout);
	// Our files start the clock one interval before the first tick (see the writer).
	const origin = layout.startTimeUs + (extension ? info.intervalUs : 0);
	const lastTs = decodeSamples(stream, profile, frames.length, layout.startTimeUs, origin, layout.little, {...options, maxSamples: info.samples});
	if (profile.samples !== info.samples) {
		fail(`corrupted: the header says ${info.samples} samples, the stream holds ${profile.samples}`);
	}

	profile.stats = statsFrom(layout, extension, lastTs);
	profile.ticks = extension?.ticks ?? busiestThreadSamples(profile);
	profile.timeUs = extension?.timeUs ?? profile.stats.elapsedUs;
	if (extension?.endReason === 'duration' || extension?.endReason === 'stopped' || extension?.endReason === 'exited') {
		profile.endReason = extension.endReason;
	}

	for (const exec of extension?.execs ?? []) {
		profile.execs.push(exec);
	}

	return {profile, info};
}

/**
 * Tachyon's files do not say how many ticks there were: each record is one thread's sample.
 * The thread sampled most often (the main thread, sampled at every tick) stands for the count,
 * so each sample's share of the time (Profile.sampleTimeUs) is one tick's, as in our files.
 */
function busiestThreadSamples(profile: Profile): number {
	const perThread = new Map<number, number>();
	for (const cell of profile.cells) {
		perThread.set(cell.tid, (perThread.get(cell.tid) ?? 0) + cell.count);
	}

	return Math.max(0, ...perThread.values());
}

/**
 * Tachyon's launcher (`python -m profiling.sampling run`) runs the script from
 * profiling/sampling/_sync_coordinator.py; its collectors hide those frames, and so do we.
 */
function isProfilerFrame(frame: FrameDef): boolean {
	return frame.filename.endsWith('_sync_coordinator.py');
}

function decodeSamples(stream: Uint8Array, profile: Profile, frameCount: number, startTimeUs: number, origin: number, little: boolean, options: ReadOptions & {maxSamples: number}): number {
	const hidden = new Set<number>();
	for (const [index, frame] of profile.frames.entries()) {
		if (isProfilerFrame(frame)) {
			hidden.add(index);
		}
	}

	const threads = new Map<number, ThreadState>();
	const stackIds = new Map<number, number>();
	const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
	const end = stream.length;
	const timeline = options.timeline === true;
	let position = 0;
	let maxTs = startTimeUs;
	let nextProgress = 1 << 20;

	const varint = (): number => {
		let value = 0;
		let scale = 1;
		for (;;) {
			if (position >= end) {
				fail('truncated sample record');
			}

			const byte = stream[position++]!;
			value += (byte & 0x7F) * scale;
			if (byte < 0x80) {
				return value;
			}

			scale *= 128;
			if (scale > 2 ** 49) {
				fail('bad number in a sample record');
			}
		}
	};

	const u8 = (): number => {
		if (position >= end) {
			fail('truncated sample record');
		}

		return stream[position++]!;
	};

	const intern = (parent: number, frame: number): number => {
		if (frame >= frameCount) {
			fail(`a sample names frame ${frame} of ${frameCount}`);
		}

		if (hidden.has(frame)) {
			return parent;
		}

		const key = ((parent + 1) * frameCount) + frame;
		let id = stackIds.get(key);
		if (id === undefined) {
			id = profile.addStack(parent, frame);
			stackIds.set(key, id);
		}

		return id;
	};

	/** Replaces all but the `keep` root-most frames by `count` new frames (given leaf first). */
	const push = (state: ThreadState, keep: number, count: number) => {
		if (keep > state.frames.length) {
			fail('a sample record reuses more frames than the previous stack has');
		}

		if (count > 1 << 16) {
			fail('a sample record claims an impossible stack depth');
		}

		if (keep + count > maxStackFrames) {
			fail('a sample record builds an impossibly deep stack');
		}

		state.frames.length = keep;
		state.ids.length = keep;
		const added = new Array<number>(count);
		for (let index = 0; index < count; index++) {
			added[index] = varint();
		}

		for (let index = count - 1; index >= 0; index--) {
			const frame = added[index]!;
			state.ids.push(intern(state.ids.at(-1) ?? -1, frame));
			state.frames.push(frame);
		}
	};

	const add = (tid: number, state: ThreadState, status: number, timeUs: number, count: number) => {
		// More samples than the header counts: corrupted, and reading on could take any memory (a timeline keeps each).
		if (profile.samples + count > options.maxSamples) {
			fail(`corrupted: the stream holds more samples than the header's ${options.maxSamples}`);
		}

		profile.addSample(tid, status, state.ids.at(-1) ?? -1, timeUs, state.lastTs - origin, count);
	};

	while (position < end) {
		if (position + 13 > end) {
			fail('truncated sample record');
		}

		// Fixed-width fields follow the file's byte order (the magic tells it); varints have none.
		const tidBig = view.getBigUint64(position, little);
		const tid = Number(tidBig & 0xFF_FF_FF_FFn);
		position += 12; // The interpreter id (u32) is not kept: we profile the main interpreter.
		const encoding = stream[position++]!;
		let state = threads.get(tid);
		if (state === undefined) {
			state = {frames: [], ids: [], lastTs: startTimeUs};
			threads.set(tid, state);
		}

		if (encoding === Encoding.repeat) {
			const count = varint();
			if (count > end - position) {
				fail('a repeat record claims more samples than the file holds');
			}

			// Runs of equal status become one cell update (unless every timestamp is kept).
			let runStatus = -1;
			let runCount = 0;
			let runTime = 0;
			for (let index = 0; index < count; index++) {
				const delta = varint();
				const status = u8();
				state.lastTs += delta;
				if (timeline) {
					add(tid, state, status, delta, 1);
					continue;
				}

				if (status !== runStatus && runCount > 0) {
					add(tid, state, runStatus, runTime / runCount, runCount);
					runCount = 0;
					runTime = 0;
				}

				runStatus = status;
				runCount++;
				runTime += delta;
			}

			if (runCount > 0) {
				add(tid, state, runStatus, runTime / runCount, runCount);
			}
		} else {
			const delta = varint();
			const status = u8();
			state.lastTs += delta;
			switch (encoding) {
				case Encoding.full: {
					push(state, 0, varint());
					break;
				}

				case Encoding.suffix: {
					const shared = varint();
					push(state, shared, varint());
					break;
				}

				case Encoding.popPush: {
					const pop = varint();
					if (pop > state.frames.length) {
						fail('a sample record pops more frames than the previous stack has');
					}

					push(state, state.frames.length - pop, varint());
					break;
				}

				default: {
					fail(`unknown sample record encoding ${encoding}`);
				}
			}

			add(tid, state, status, delta, 1);
		}

		if (state.lastTs > maxTs) {
			maxTs = state.lastTs;
		}

		if (options.onProgress && position >= nextProgress) {
			nextProgress = position + (1 << 20);
			options.onProgress(position / end);
		}
	}

	options.onProgress?.(1);
	return maxTs;
}
