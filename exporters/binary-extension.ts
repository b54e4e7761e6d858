// Our blocks in the binary format (docs/binary-format.md, "Our extension blocks"): the extension
// JSON (what the format has no place for) and the source block (the code of the target's files,
// as read from it while it ran). Tachyon's reader skips both. Reading them is as strict as
// reading the rest: an archive comes from anyone, so every field is checked for its type and
// range, and anything else is a BinaryFormatError, never a TypeError later on.
import {UserError} from '../common/errors.js';
import type {SamplerStats} from '../sampler/protocol.js';
import type {Profile} from './model.js';
import {zstdBinding} from './binary-spec.js';

/** A binary file that is not what it claims to be: one line, for replay to print. */
export class BinaryFormatError extends UserError {}

export function fail(reason: string): never {
	throw new BinaryFormatError(reason);
}

/** Extra facts we keep in our extension block (Tachyon's reader does not look at it). */
export type BinaryExtension = {
	readonly tool: string;
	readonly pid: number;
	readonly pythonVersion: string;
	readonly command: string[];
	readonly startedAt: number;
	readonly threads: Array<[number, string]>;
	readonly stats: SamplerStats;
	readonly ticks: number;
	/** µs the ticks stand for, summed (the model's timeUs): exact, unlike the stats' elapsed time. Older files lack it. */
	readonly timeUs?: number;
	readonly endReason?: string;
	/** Frame-table indices of native functions (--native-stacks), which the format cannot mark. */
	readonly nativeFrames?: number[];
	/** Programs the target exec'd while sampled: when (µs since sampling started), which version, which command. */
	readonly execs?: Array<{readonly atUs: number; readonly pythonVersion: string; readonly command: string[]}>;
};

/** Our source block's magic; it follows the extension block. */
export const sourcesMagic = 'TTOPSRC1';
/** The texts an archive may hold, decompressed. */
export const maxStoredSourceBytes = 64 << 20;
/** What one archive takes of a capture's texts (files beyond are left out). */
export const maxWrittenSourceBytes = 32 << 20;

const maxString = 1 << 16;
const maxArgs = 4096;
const maxThreads = 1 << 20;

type Json = unknown;

function isRecord(value: Json): value is Record<string, Json> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: Json, what: string, max = Number.MAX_SAFE_INTEGER): number {
	if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
		fail(`corrupted extension block (${what} is not a count)`);
	}

	return value;
}

function finite(value: Json, what: string): number {
	if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
		fail(`corrupted extension block (${what} is not a number)`);
	}

	return value;
}

function text(value: Json, what: string, max = maxString): string {
	if (typeof value !== 'string' || value.length > max) {
		fail(`corrupted extension block (${what} is not a string)`);
	}

	return value;
}

function stats(value: Json): SamplerStats {
	if (!isRecord(value)) {
		fail('corrupted extension block (stats is not an object)');
	}

	const optional = (key: string) => (value[key] === undefined ? {} : {[key]: finite(value[key], `stats.${key}`)});
	return {
		attempts: count(value['attempts'], 'stats.attempts'),
		errors: count(value['errors'], 'stats.errors'),
		missed: count(value['missed'], 'stats.missed'),
		elapsedUs: finite(value['elapsedUs'], 'stats.elapsedUs'),
		reads: finite(value['reads'] ?? 0, 'stats.reads'),
		bytesRead: finite(value['bytesRead'] ?? 0, 'stats.bytesRead'),
		cpuUs: finite(value['cpuUs'] ?? 0, 'stats.cpuUs'),
		...optional('pauseUs'),
		...optional('pauses'),
		...optional('late'),
		...optional('cpuWaitUs'),
		...(value['lastError'] === undefined ? {} : {lastError: text(value['lastError'], 'stats.lastError')}),
	};
}

/** The extension block's JSON, checked field by field. */
export function checkExtension(value: Json): BinaryExtension {
	if (!isRecord(value)) {
		fail('corrupted extension block (not an object)');
	}

	const command = value['command'];
	if (!Array.isArray(command) || command.length > maxArgs) {
		fail('corrupted extension block (command is not a list)');
	}

	const threads = value['threads'];
	if (!Array.isArray(threads) || threads.length > maxThreads) {
		fail('corrupted extension block (threads is not a list)');
	}

	const endReason = value['endReason'];
	if (endReason !== undefined && endReason !== 'duration' && endReason !== 'stopped' && endReason !== 'exited') {
		fail('corrupted extension block (unknown end reason)');
	}

	const pythonVersion = text(value['pythonVersion'], 'pythonVersion', 64);
	if (!/^[\w.+-]+$/.test(pythonVersion)) {
		fail('corrupted extension block (pythonVersion is not a version)');
	}

	return {
		tool: text(value['tool'], 'tool', 64),
		pid: count(value['pid'], 'pid', 2 ** 32),
		pythonVersion,
		command: command.map((arg: Json, index) => text(arg, `command[${index}]`)),
		startedAt: finite(value['startedAt'], 'startedAt'),
		threads: threads.map((thread: Json, index): [number, string] => {
			if (!Array.isArray(thread) || thread.length !== 2) {
				fail(`corrupted extension block (threads[${index}] is not [tid, name])`);
			}

			return [count(thread[0], `threads[${index}] tid`, 2 ** 32), text(thread[1], `threads[${index}] name`)];
		}),
		stats: stats(value['stats']),
		ticks: count(value['ticks'], 'ticks'),
		...(value['timeUs'] === undefined ? {} : {timeUs: finite(value['timeUs'], 'timeUs')}),
		...(endReason === undefined ? {} : {endReason}),
		...(value['nativeFrames'] === undefined ? {} : {nativeFrames: indexList(value['nativeFrames'], 'nativeFrames')}),
		...(value['execs'] === undefined ? {} : {execs: execList(value['execs'])}),
	};
}

function execList(value: Json): NonNullable<BinaryExtension['execs']> {
	if (!Array.isArray(value) || value.length > maxArgs) {
		fail('corrupted extension block (execs is not a list)');
	}

	return value.map((exec: Json, index) => {
		if (!isRecord(exec) || !Array.isArray(exec['command']) || exec['command'].length > maxArgs) {
			fail(`corrupted extension block (execs[${index}] is not an exec)`);
		}

		return {
			atUs: finite(exec['atUs'], `execs[${index}].atUs`),
			pythonVersion: text(exec['pythonVersion'], `execs[${index}].pythonVersion`, 64),
			command: exec['command'].map((arg: Json, at) => text(arg, `execs[${index}].command[${at}]`)),
		};
	});
}

function indexList(value: Json, what: string): number[] {
	if (!Array.isArray(value) || value.length > maxThreads) {
		fail(`corrupted extension block (${what} is not a list)`);
	}

	return value.map((index: Json, at) => count(index, `${what}[${at}]`, 2 ** 32));
}

/** The source block: `TTOPSRC1 | u32 compression | u32 raw length | u32 length | bytes` (JSON `[[filename, text], …]`). */
export function encodeSources(texts: ReadonlyMap<string, string>, wanted: (filename: string) => boolean, compress: boolean): Uint8Array | undefined {
	const entries: Array<[string, string]> = [];
	let total = 0;
	for (const [filename, content] of texts) {
		if (wanted(filename) && total + content.length <= maxWrittenSourceBytes) {
			entries.push([filename, content]);
			total += content.length;
		}
	}

	if (entries.length === 0) {
		return undefined;
	}

	const raw = new TextEncoder().encode(JSON.stringify(entries));
	const binding = compress ? zstdBinding() : null;
	let body = raw;
	if (binding) {
		const out = new Uint8Array(binding.compressBound(raw.length));
		body = out.subarray(0, binding.compress(out, raw, 9));
	}

	const block = new Uint8Array(20 + body.length);
	const view = new DataView(block.buffer);
	block.set(new TextEncoder().encode(sourcesMagic), 0);
	view.setUint32(8, binding ? 1 : 0, true);
	view.setUint32(12, raw.length, true);
	view.setUint32(16, body.length, true);
	block.set(body, 20);
	return block;
}

/** The texts of a source block starting at `at` (its magic checked by the caller), within `limit`. */
export function decodeSources(bytes: Uint8Array, at: number, limit: number, little: boolean): Map<string, string> {
	if (at + 20 > limit) {
		fail('truncated source block');
	}

	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const compression = view.getUint32(at + 8, little);
	const rawLength = view.getUint32(at + 12, little);
	const length = view.getUint32(at + 16, little);
	if (compression > 1 || rawLength > maxStoredSourceBytes || at + 20 + length > limit || (compression === 0 && rawLength !== length)) {
		fail('corrupted source block');
	}

	let raw = bytes.subarray(at + 20, at + 20 + length);
	if (compression === 1) {
		const binding = zstdBinding() ?? fail('the source block is zstd-compressed and zstd-napi is not available here');
		const out = new Uint8Array(rawLength);
		let produced: number;
		try {
			produced = binding.decompress(out, raw);
		} catch (error) {
			fail(`corrupted source block (${error instanceof Error ? error.message : String(error)})`);
		}

		if (produced !== rawLength) {
			fail('corrupted source block (wrong length)');
		}

		raw = out;
	}

	let entries: Json;
	try {
		entries = JSON.parse(new TextDecoder('utf-8', {fatal: true}).decode(raw)) as Json;
	} catch {
		fail('corrupted source block (not JSON)');
	}

	if (!Array.isArray(entries)) {
		fail('corrupted source block (not a list)');
	}

	const texts = new Map<string, string>();
	for (const entry of entries) {
		if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || typeof entry[1] !== 'string') {
			fail('corrupted source block (an entry is not [filename, text])');
		}

		texts.set(entry[0], entry[1]);
	}

	return texts;
}

/** What our extension block says of a profile: its target, threads, sampler counters and end. */
export function extensionOf(profile: Profile): BinaryExtension {
	return {
		tool: 'tachyon-top',
		pid: profile.meta.pid,
		pythonVersion: profile.meta.pythonVersion,
		command: profile.meta.command,
		startedAt: profile.meta.startedAt,
		threads: [...profile.threads.values()].map(thread => [thread.tid, thread.name]),
		stats: profile.sampledStats,
		ticks: profile.ticks,
		timeUs: profile.timeUs,
		...(profile.endReason ? {endReason: profile.endReason} : {}),
		...(profile.execs.length > 0 ? {execs: profile.execs.map(exec => ({...exec, command: [...exec.command]}))} : {}),
	};
}
