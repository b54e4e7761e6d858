// Writes CPython 3.15's binary profile format (version 1), so `python3.15 -m profiling.sampling
// replay` reads our captures. It streams: record.ts feeds each sampler batch as it arrives, the
// sample records go through zstd, and at least every second (checkpointMs) the file is made
// complete: the records since the last checkpoint (the zstd frame ended), then the tables,
// extension, stats and footer after them, then the header. The next checkpoint writes its
// records over that tail. So memory stays flat at 1 MHz, and a capture killed with SIGKILL
// leaves a file every reader replays, missing only its last second. finish() is the last
// checkpoint, on every way out.
import {Compression, Encoding, extensionMagic, Feature, formatVersion, headerSize, magic, maxStackDepth, modeIds, noOpcode, statsBlockSize, statsMagic, StatsPresent, zstdBinding, zstdLevel, type ZstdBinding} from './binary-spec.js';
import type {FrameDef} from '../common/profile-types.js';
import {isNativeFunction, type Profile, type ProfileMeta} from './model.js';
import {UserError} from '../common/errors.js';
import {sameNumbers} from '../common/same-numbers.js';
import {forEachRecord, type SampleBatch} from '../sampler/protocol.js';
import {encodeSources, extensionOf, type BinaryExtension} from './binary-extension.js';
import {ByteBuffer, type BinarySink} from './binary-sink.js';

export {extensionOf, type BinaryExtension} from './binary-extension.js';
export {fileSink, memorySink, type BinarySink} from './binary-sink.js';

export type CompressionChoice = 'auto' | 'zstd' | 'none';

type ThreadState = {
	readonly tid: number;
	/** The previous stack, leaf first, as frame-table indices. */
	stack: Int32Array;
	stackId: number;
	/** Last timestamp written for this thread (absolute µs). */
	lastTs: number;
	/** The pending REPEAT group: (varint delta, u8 status) pairs of samples with the same stack. */
	repeat: ByteBuffer | undefined;
	repeatCount: number;
};

export type BinaryWriterOptions = {
	readonly intervalUs: number;
	readonly meta: Pick<ProfileMeta, 'mode' | 'allThreads' | 'gc' | 'native' | 'opcodes'>;
	readonly compression: CompressionChoice;
	/** Monotonic µs of the sampling clock's origin (header start_time). */
	readonly startTimeUs?: number;
};

export type BinaryWriteSummary = {readonly samples: number; readonly threads: number; readonly rawBytes: number; readonly records: number};

const flushBytes = 1 << 16;
/** A streamed file is made complete at least this often (ms): a killed capture loses at most this. */
export const checkpointMs = 750;
/** …or once this much of the stream waits in memory. */
const checkpointBytes = 8 << 20;
const repeatFlushBytes = 16 * 1024;
const utf8 = new TextEncoder();

export class BinaryWriter {
	readonly compressed: boolean;
	private readonly sink: BinarySink;
	private readonly options: BinaryWriterOptions;
	private readonly startTimeUs: number;
	private readonly out = new ByteBuffer();
	private readonly zstd: {binding: ZstdBinding; context: InstanceType<ZstdBinding['CCtx']>; buffer: Uint8Array} | undefined;
	private readonly strings = new Map<string, number>();
	private readonly stringList: string[] = [];
	private readonly frameKeys = new Map<string, number>();
	/** Frame-table indices of native functions, for the extension block. */
	private readonly nativeFrames: number[] = [];
	/** Files named by the frames written: the source block keeps their code. */
	private readonly files = new Set<string>();
	private readonly frameTable = new ByteBuffer();
	private frameCount = 0;
	/** Profile frame id → frame-table index. */
	private readonly frameIndex: number[] = [];
	/** Profile stack id → leaf-first frame-table indices (at most 256). */
	private readonly stackCache = new Map<number, Int32Array>();
	private readonly threads = new Map<number, ThreadState>();
	private samples = 0;
	private rawBytes = 0;
	private records = 0;
	/** Bytes of the (compressed) sample stream in the file, after the header. */
	private written = 0;
	/** Stream bytes produced since the last checkpoint, written with the next one. */
	private pending: Uint8Array[] = [];
	private pendingBytes = 0;
	private lastCheckpoint: number | undefined;
	/** The source block as last encoded, and for how many texts (re-encoded when more are read). */
	private sourcesBlock: {texts: number; files: number; block: Uint8Array | undefined} | undefined;
	/** Where the last checkpoint's tail (tables, blocks, footer) is, and its bytes: restored if the next one fails. */
	private lastTail: {readonly position: number; readonly bytes: Uint8Array} | undefined;
	private finished = false;
	/** The last batch, written once the next one (or the end) arrives: see addBatch. */
	private held: SampleBatch | undefined;

	constructor(sink: BinarySink, options: BinaryWriterOptions) {
		this.sink = sink;
		this.options = options;
		// One interval before the clock's origin: each thread's first delta then equals the time
		// its first sample stands for, as every later delta does.
		this.startTimeUs = Math.round((options.startTimeUs ?? performance.now() * 1000) - options.intervalUs);
		const binding = options.compression === 'none' ? null : zstdBinding();
		if (options.compression === 'zstd' && binding === null) {
			throw new UserError('zstd compression is not available on this machine (zstd-napi did not load); use --compression none', 2);
		}

		if (binding) {
			const context = new binding.CCtx();
			// Tachyon uses level 5; 9 makes the stream ~9 % smaller for ~1.5× the (small) CPU, which
			// keeps our files below Tachyon's per sample even with our extension block.
			context.setParameter(binding.CParameter.compressionLevel, zstdLevel);
			this.zstd = {binding, context, buffer: new Uint8Array(binding.cStreamOutSize())};
		}

		this.compressed = this.zstd !== undefined;
	}

	/** Timestamps given to addSample are µs since this origin. */
	get clockOrigin(): number {
		return this.startTimeUs + this.options.intervalUs;
	}

	/**
	 * Takes one sampler batch; `profile` has already ingested it (it resolves the stack ids). Each
	 * batch is written when the next one arrives, so a frame the sampler ships a batch late is
	 * known by then; finish() writes the last one.
	 */
	addBatch(batch: SampleBatch, profile: Profile): void {
		const previous = this.held;
		this.held = batch;
		if (previous) {
			this.writeBatch(previous, profile);
		}

		// The clock starts with the first batch; a checkpoint needs samples to keep.
		const now = performance.now();
		this.lastCheckpoint ??= now;
		if (this.samples > 0 && (now - this.lastCheckpoint >= checkpointMs || this.pendingBytes >= checkpointBytes)) {
			this.checkpoint(profile, extensionOf(profile));
		}
	}

	/**
	 * Makes the file complete as it stands: pending repeats written, the zstd frame ended (the
	 * next records start a new frame), then the stream since the last checkpoint and a new tail
	 * in one write, then the header. A reader sees the capture up to here.
	 */
	checkpoint(profile: Profile, extension: BinaryExtension): void {
		if (this.finished) {
			return;
		}

		for (const state of this.threads.values()) {
			this.flushRepeat(state);
		}

		this.flushOut(true);
		this.writeFile(profile, extension);
		this.lastCheckpoint = performance.now();
	}

	private writeBatch(batch: SampleBatch, profile: Profile): void {
		forEachRecord(batch, (tid, status, stack, _standsFor, time) => {
			this.addSample(profile, tid, status, stack, time);
		});
	}

	/** One thread sample: `time` is µs since the sampling clock's origin. */
	addSample(profile: Profile, tid: number, status: number, stackId: number, time: number): void {
		const ts = Math.round(this.clockOrigin + time);
		let state = this.threads.get(tid);
		if (state === undefined) {
			state = {tid, stack: new Int32Array(0), stackId: -1, lastTs: this.startTimeUs, repeat: undefined, repeatCount: 0};
			this.threads.set(tid, state);
		}

		const delta = Math.max(0, ts - state.lastTs);
		state.lastTs = Math.max(ts, state.lastTs);
		this.samples++;
		const stack = this.binaryStack(profile, stackId);
		if (stackId === state.stackId || sameNumbers(stack, state.stack)) {
			state.repeat ??= new ByteBuffer();
			state.repeat.varint(delta);
			state.repeat.u8(status & 0xFF);
			state.repeatCount++;
			state.stackId = stackId;
			if (state.repeat.length >= repeatFlushBytes) {
				this.flushRepeat(state);
			}

			return;
		}

		this.flushRepeat(state);
		this.writeChange(state, stack, delta, status & 0xFF);
		state.stack = stack;
		state.stackId = stackId;
		this.maybeFlush();
	}

	/** Ends the file: pending repeats, the end of the zstd stream, tables, stats, footer, header. */
	finish(profile: Profile | undefined, extension?: BinaryExtension): BinaryWriteSummary {
		if (this.finished) {
			return this.summary();
		}

		this.finished = true;
		if (this.held && profile) {
			this.writeBatch(this.held, profile);
		}

		this.held = undefined;
		for (const state of this.threads.values()) {
			this.flushRepeat(state);
		}

		this.flushOut(true);
		this.writeFile(profile, extension);
		this.sink.close();
		return this.summary();
	}

	/** Writes the stream since the last checkpoint, the tables and blocks after it, then the header. */
	private writeFile(profile: Profile | undefined, extension: BinaryExtension | undefined): void {
		const streamEnd = headerSize + this.written + this.pendingBytes;
		const stringTableOffset = streamEnd;
		const tables = new ByteBuffer();
		for (const text of this.stringList) {
			const bytes = utf8.encode(text);
			tables.varint(bytes.length);
			tables.raw(bytes);
		}

		const frameTableOffset = stringTableOffset + tables.length;
		// Copied, not taken: every checkpoint writes the whole table again.
		tables.raw(this.frameTable.bytes.subarray(0, this.frameTable.length));
		if (extension) {
			const json = utf8.encode(JSON.stringify(this.nativeFrames.length > 0 ? {...extension, nativeFrames: this.nativeFrames} : extension));
			tables.raw(utf8.encode(extensionMagic));
			tables.u32(json.length);
			tables.raw(json);
			// The code of the files the frames name, as read from the target: replay shows it, and never reads a file.
			const sources = profile ? this.sourceBlock(profile) : undefined;
			if (sources) {
				tables.raw(sources);
			}
		}

		const stats = profile?.sampledStats;
		if (stats && stats.attempts > 0) {
			const durationS = stats.elapsedUs / 1e6;
			const expected = stats.elapsedUs / this.options.intervalUs;
			tables.f64(durationS);
			tables.f64(durationS > 0 ? stats.attempts / durationS : 0);
			tables.f64((stats.errors / stats.attempts) * 100);
			tables.f64(expected > 0 ? (stats.missed / expected) * 100 : 0);
			tables.u32(StatsPresent.errorRate | StatsPresent.missedSamples);
			tables.u32(0);
			tables.raw(utf8.encode(statsMagic));
			tables.u32(1);
			tables.u32(statsBlockSize);
		}

		const fileSize = stringTableOffset + tables.length + 32;
		tables.u32(this.stringList.length);
		tables.u32(this.frameCount);
		tables.u64(fileSize);
		tables.raw(new Uint8Array(16));
		// The new records and the tail in one write, over the last tail; then the header.
		const tail = tables.take();
		const block = new Uint8Array(this.pendingBytes + tail.length);
		let at = 0;
		for (const chunk of this.pending) {
			block.set(chunk, at);
			at += chunk.length;
		}

		block.set(tail, at);
		try {
			this.sink.writeAt(headerSize + this.written, block);
			this.sink.truncate(fileSize);
		} catch (error) {
			this.restoreLastTail();
			throw error;
		}

		this.written += this.pendingBytes;
		this.pending = [];
		this.pendingBytes = 0;
		this.lastTail = {position: headerSize + this.written, bytes: tail};

		const header = new ByteBuffer();
		header.u32(magic);
		header.u32(formatVersion);
		header.raw(new Uint8Array([3, 15, 2, 0]));
		header.u64(this.startTimeUs);
		header.u64(this.options.intervalUs);
		header.u64(this.samples);
		header.u32(this.threads.size);
		header.u64(stringTableOffset);
		header.u64(frameTableOffset);
		header.u32(this.compressed ? Compression.zstd : Compression.none);
		header.u32(configWord(this.options.meta));
		this.sink.writeAt(0, header.take());
	}

	/**
	 * A checkpoint's write failed (disk full, quota): it may have replaced part of the last tail
	 * with new records. The last tail goes back where it was (space the file already had, so it
	 * fits) and the file back to its size, so the file stays the last checkpoint, still readable.
	 */
	private restoreLastTail(): void {
		if (this.lastTail === undefined) {
			return;
		}

		try {
			this.sink.writeAt(this.lastTail.position, this.lastTail.bytes);
			this.sink.truncate(this.lastTail.position + this.lastTail.bytes.length);
		} catch {
			// Nothing more to save.
		}
	}

	/** Our source block, re-encoded only when more texts were read or more files named. */
	private sourceBlock(profile: Profile): Uint8Array | undefined {
		const texts = profile.sources.texts();
		const cached = this.sourcesBlock;
		if (cached?.texts !== texts.size || cached.files !== this.files.size) {
			this.sourcesBlock = {texts: texts.size, files: this.files.size, block: encodeSources(texts, filename => this.files.has(filename), this.compressed)};
		}

		return this.sourcesBlock!.block;
	}

	private summary(): BinaryWriteSummary {
		return {samples: this.samples, threads: this.threads.size, rawBytes: this.rawBytes, records: this.records};
	}

	private string(text: string): number {
		let index = this.strings.get(text);
		if (index === undefined) {
			index = this.stringList.length;
			this.stringList.push(text);
			this.strings.set(text, index);
		}

		return index;
	}

	private frame(def: FrameDef): number {
		// Synthetic frames (<GC>, <native>) carry no location: lineno -1, as Tachyon writes them.
		// A native function keeps line 0: Tachyon's reader shows it as `libz.so.1:deflate:0`,
		// and our extension block lists it as native (nativeFrames).
		const native = isNativeFunction(def);
		const synthetic = def.kind !== 'python' && def.kind !== 'task' && !native;
		const line = synthetic ? -1 : def.line;
		const endLine = line === -1 ? 0 : def.endLine - line;
		const col = line === -1 ? 0 : def.col;
		const endCol = line === -1 ? 0 : def.endCol - def.col;
		const opcode = def.opcode >= 0 && def.opcode < noOpcode ? def.opcode : noOpcode;
		const file = this.string(def.filename);
		const func = this.string(def.funcname);
		this.files.add(def.filename);
		const key = `${file},${func},${line},${endLine},${col},${endCol},${opcode}`;
		let index = this.frameKeys.get(key);
		if (index === undefined) {
			index = this.frameCount++;
			this.frameKeys.set(key, index);
			const table = this.frameTable;
			table.varint(file);
			table.varint(func);
			table.signed(line);
			table.signed(endLine);
			table.signed(col);
			table.signed(endCol);
			table.u8(opcode);
			if (native) {
				this.nativeFrames.push(index);
			}
		}

		return index;
	}

	private binaryStack(profile: Profile, stackId: number): Int32Array {
		if (stackId < 0) {
			return emptyStack;
		}

		let stack = this.stackCache.get(stackId);
		if (stack === undefined) {
			const frames: number[] = [];
			for (let id = stackId; id >= 0 && frames.length < maxStackDepth; id = profile.stackParentOf(id)) {
				const frameId = profile.stackFrameOf(id);
				let index = this.frameIndex[frameId];
				if (index === undefined) {
					const def = profile.frames[frameId];
					if (def === undefined) {
						throw new Error(`the sampler named frame ${frameId}, of ${profile.frames.length} known`);
					}

					index = this.frame(def);
					this.frameIndex[frameId] = index;
				}

				frames.push(index);
			}

			stack = Int32Array.from(frames);
			this.stackCache.set(stackId, stack);
		}

		return stack;
	}

	private recordHeader(tid: number, encoding: number): void {
		this.out.u64(tid);
		this.out.u32(0);
		this.out.u8(encoding);
		this.records++;
	}

	private flushRepeat(state: ThreadState): void {
		if (state.repeat === undefined || state.repeatCount === 0) {
			return;
		}

		this.recordHeader(state.tid, Encoding.repeat);
		this.out.varint(state.repeatCount);
		this.out.raw(state.repeat.take());
		state.repeatCount = 0;
		this.maybeFlush();
	}

	/** A stack that differs from the thread's previous one: FULL, SUFFIX or POP_PUSH, as Tachyon picks. */
	private writeChange(state: ThreadState, stack: Int32Array, delta: number, status: number): void {
		const previous = state.stack;
		let shared = 0;
		while (shared < previous.length && shared < stack.length
			&& previous[previous.length - 1 - shared] === stack[stack.length - 1 - shared]) {
			shared++;
		}

		const fresh = stack.length - shared;
		let encoding: number = Encoding.full;
		if (shared > 0 && shared === previous.length) {
			encoding = Encoding.suffix;
		} else if (shared > 0 && shared * 2 >= stack.length) {
			encoding = Encoding.popPush;
		}

		const out = this.out;
		this.recordHeader(state.tid, encoding);
		out.varint(delta);
		out.u8(status);
		if (encoding === Encoding.full) {
			out.varint(stack.length);
			for (const frame of stack) {
				out.varint(frame);
			}

			return;
		}

		out.varint(encoding === Encoding.suffix ? shared : previous.length - shared);
		out.varint(fresh);
		for (let index = 0; index < fresh; index++) {
			out.varint(stack[index]!);
		}
	}

	private maybeFlush(): void {
		if (this.out.length >= flushBytes) {
			this.flushOut(false);
		}
	}

	private flushOut(end: boolean): void {
		const raw = this.out.take();
		this.rawBytes += raw.length;
		if (!this.zstd) {
			this.emit(raw);
			return;
		}

		const {binding, context, buffer} = this.zstd;
		const directive = end ? binding.EndDirective.end : binding.EndDirective.continue;
		let input = raw;
		for (;;) {
			const [remaining, produced, consumed] = context.compressStream2(buffer, input, directive);
			if (produced > 0) {
				this.emit(buffer.slice(0, produced));
			}

			input = input.subarray(consumed);
			if (end ? remaining === 0 : input.length === 0) {
				break;
			}
		}
	}

	private emit(bytes: Uint8Array): void {
		if (bytes.length > 0) {
			this.pending.push(bytes);
			this.pendingBytes += bytes.length;
		}
	}
}

const emptyStack = new Int32Array(0);

export function configWord(meta: BinaryWriterOptions['meta']): number {
	let word = (modeIds[meta.mode] + 1) | Feature.known;
	if (meta.allThreads) {
		word |= Feature.allThreads;
	}

	if (meta.native) {
		word |= Feature.native;
	}

	if (meta.gc) {
		word |= Feature.gc;
	}

	if (meta.opcodes) {
		word |= Feature.opcodes;
	}

	return word;
}
