// Fuzz: mutants of checked-in captures (ours: zstd and raw, with our extension and source
// blocks; Tachyon's: `python3.15 -m profiling.sampling run --binary`) replayed to every format,
// each in a worker with a time and a memory limit. Every mutant must either replay or be
// rejected with a one-line error; never a crash (a TypeError, a RangeError), a hang or a memory
// blow-up. Deterministic (a seeded generator), so a failure names the mutant that caused it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {Worker} from 'node:worker_threads';
import {extensionMagic, footerSize, headerSize} from '../exporters/binary-spec.js';
import type {FuzzReply, FuzzRequest} from './fuzz-worker.js';
import {fixtures, runCli, tempDir} from './helpers.js';

const captures = ['ours-3.15.bin', 'ours-raw-3.15.bin', 'tachyon-3.15.bin'].map(name => ({name, bytes: new Uint8Array(fs.readFileSync(path.join(fixtures, name)))}));
const mutantsPerCapture = 120;
/** Per mutant, replayed to all 9 formats (generous: the machine may be busy). */
const timeLimitMs = 20_000;
/** The worker's heap, and what its array buffers and RSS may reach. */
const heapLimitMb = 384;
const memoryLimitBytes = 1024 * 1024 * 1024;

/** A small deterministic generator (LCG): the same mutants on every run. */
function generator(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = ((state * 1_664_525) + 1_013_904_223) >>> 0;
		return state / 2 ** 32;
	};
}

/** Where the parts of a capture are, to aim mutations at each of them. */
function regions(bytes: Uint8Array): Array<[number, number]> {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const strings = Number(view.getBigUint64(40, true));
	const frames = Number(view.getBigUint64(48, true));
	const end = bytes.length;
	return [[0, headerSize], [headerSize, strings], [strings, frames], [frames, end - footerSize], [end - footerSize, end]];
}

const boundaryWords = [0, 1, 0x7F, 0x80, 0xFF, 0x7F_FF_FF_FF, 0x80_00_00_00, 0xFF_FF_FF_FF];

/** The extension block's JSON with one field given a value of the wrong type or range, lengths fixed up. */
function mutateExtension(bytes: Uint8Array, random: () => number): Uint8Array | undefined {
	const text = Buffer.from(bytes).toString('latin1');
	const at = text.indexOf(extensionMagic);
	if (at < 0) {
		return undefined;
	}

	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const length = view.getUint32(at + 8, true);
	const json = JSON.parse(Buffer.from(bytes.subarray(at + 12, at + 12 + length)).toString('utf8')) as Record<string, unknown>;
	const keys = [...Object.keys(json), 'stats.attempts', 'stats.elapsedUs', 'threads.0', 'threads.0.0', 'command.0'];
	const key = keys[Math.floor(random() * keys.length)]!;
	const values: unknown[] = [null, 'text', -1, 1e308, Number.NaN, [], {}, [1, 2, 3], 2 ** 60, true, '\u001B]0;x\u0007', 'x'.repeat(70_000)];
	const value = values[Math.floor(random() * values.length)];
	const [head, ...rest] = key.split('.');
	if (rest.length === 0) {
		json[head!] = value;
	} else {
		let container = json[head!] as Record<string, unknown> | undefined;
		for (const part of rest.slice(0, -1)) {
			container = container?.[part] as Record<string, unknown> | undefined;
		}

		if (container && typeof container === 'object') {
			container[rest.at(-1)!] = value;
		}
	}

	const encoded = Buffer.from(JSON.stringify(json) ?? 'null', 'utf8');
	const out = new Uint8Array(bytes.length - length + encoded.length);
	out.set(bytes.subarray(0, at + 12));
	out.set(encoded, at + 12);
	out.set(bytes.subarray(at + 12 + length), at + 12 + encoded.length);
	const outView = new DataView(out.buffer);
	outView.setUint32(at + 8, encoded.length, true);
	outView.setBigUint64(out.length - footerSize + 8, BigInt(out.length), true);
	return out;
}

/** One mutant: what was done to it (for the failure message) and its bytes. */
function mutant(source: Uint8Array, random: () => number): {what: string; bytes: Uint8Array} {
	const parts = regions(source);
	const pick = (): number => {
		const [start, end] = parts[Math.floor(random() * parts.length)]!;
		return Math.min(source.length - 1, start + Math.floor(random() * Math.max(1, end - start)));
	};

	const bytes = new Uint8Array(source);
	const kind = Math.floor(random() * 6);
	switch (kind) {
		case 0: {
			const flips = 1 + Math.floor(random() * 8);
			const places: number[] = [];
			for (let index = 0; index < flips; index++) {
				const at = pick();
				places.push(at);
				bytes[at] = Math.floor(random() * 256);
			}

			return {what: `bytes changed at ${places.join(', ')}`, bytes};
		}

		case 1: {
			const at = pick() & ~3;
			const word = boundaryWords[Math.floor(random() * boundaryWords.length)]!;
			new DataView(bytes.buffer).setUint32(Math.min(at, bytes.length - 4), word, true);
			return {what: `u32 ${word} written at ${at}`, bytes};
		}

		case 2: {
			const cut = pick();
			return {what: `cut at ${cut}`, bytes: bytes.subarray(0, cut)};
		}

		case 3: {
			// A stretch of a capture repeated or removed: offsets and lengths no longer line up.
			const at = pick();
			const length = 1 + Math.floor(random() * 64);
			const grown = random() < 0.5;
			const out = grown
				? new Uint8Array([...bytes.subarray(0, at + length), ...bytes.subarray(at)])
				: new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(Math.min(bytes.length, at + length))]);
			// Half of them keep a footer that agrees with the new size, so the reader goes further.
			if (random() < 0.5 && out.length >= footerSize) {
				new DataView(out.buffer).setBigUint64(out.length - footerSize + 8, BigInt(out.length), true);
			}

			return {what: `${length} bytes ${grown ? 'repeated' : 'removed'} at ${at}`, bytes: out};
		}

		case 4: {
			const changed = mutateExtension(bytes, random);
			if (changed) {
				return {what: 'extension JSON field changed', bytes: changed};
			}

			const at = pick();
			bytes[at] = bytes[at]! ^ 0xFF;
			return {what: 'a byte inverted', bytes};
		}

		default: {
			// Varints and counts in the tables and stream: a byte with its continuation bit set.
			const at = pick();
			bytes[at] = bytes[at]! | 0x80;
			return {what: `continuation bit set at ${at}`, bytes};
		}
	}
}

class FuzzRunner {
	private worker: Worker | undefined;

	async run(request: FuzzRequest): Promise<FuzzReply | {outcome: 'timeout' | 'died'; message: string}> {
		this.worker ??= new Worker(new URL('fuzz-worker.js', import.meta.url), {resourceLimits: {maxOldGenerationSizeMb: heapLimitMb, maxYoungGenerationSizeMb: 32}});
		const worker = this.worker;
		return new Promise(resolve => {
			const done = (result: FuzzReply | {outcome: 'timeout' | 'died'; message: string}) => {
				clearTimeout(timer);
				worker.off('message', onMessage);
				worker.off('error', onError);
				worker.off('exit', onExit);
				if (result.outcome === 'timeout' || result.outcome === 'died') {
					void worker.terminate();
					this.worker = undefined;
				}

				resolve(result);
			};

			const onMessage = (reply: FuzzReply) => {
				done(reply);
			};

			const onError = (error: Error) => {
				done({outcome: 'died', message: `${error.name}: ${error.message}`});
			};

			const onExit = (code: number) => {
				done({outcome: 'died', message: `the worker exited with ${code}`});
			};

			const timer = setTimeout(() => {
				done({outcome: 'timeout', message: `not done in ${timeLimitMs} ms`});
			}, timeLimitMs);
			worker.on('message', onMessage);
			worker.on('error', onError);
			worker.on('exit', onExit);
			worker.postMessage(request);
		});
	}

	async close(): Promise<void> {
		await this.worker?.terminate();
	}
}

describe('fuzz: mutated captures replay to every format or fail in one line', () => {
	const runner = new FuzzRunner();
	after(async () => {
		await runner.close();
	});

	test('the checked-in captures themselves replay to every format', async () => {
		for (const capture of captures) {
			const reply = await runner.run({id: 0, bytes: capture.bytes, baseline: capture.bytes});
			assert.equal(reply.outcome, 'read', `${capture.name}: ${reply.message}`);
		}
	});

	for (const [index, capture] of captures.entries()) {
		test(`${mutantsPerCapture} mutants of ${capture.name}`, {timeout: 900_000}, async () => {
			const random = generator(1000 + index);
			const counts = {read: 0, rejected: 0};
			let slowest = 0;
			let peak = 0;
			for (let id = 0; id < mutantsPerCapture; id++) {
				const {what, bytes} = mutant(capture.bytes, random);
				const baseline = random() < 0.5 ? capture.bytes : bytes;
				const reply = await runner.run({id, bytes, baseline});
				const label = `${capture.name} mutant ${id} (${what})`;
				assert.ok(reply.outcome === 'read' || reply.outcome === 'rejected', `${label}: ${reply.outcome}: ${reply.message}`);
				if ('ms' in reply) {
					assert.ok(!reply.message.includes('\n'), `${label}: a one-line error, got ${JSON.stringify(reply.message)}`);
					assert.ok(reply.rssBytes < memoryLimitBytes && reply.arrayBufferBytes < memoryLimitBytes, `${label}: memory ${reply.rssBytes} B rss, ${reply.arrayBufferBytes} B array buffers`);
					assert.ok(reply.outputBytes < 64 * 1024 * 1024, `${label}: ${reply.outputBytes} bytes of output`);
					counts[reply.outcome]++;
					slowest = Math.max(slowest, reply.ms);
					peak = Math.max(peak, reply.rssBytes);
				}
			}

			process.stdout.write(`# ${capture.name}: ${counts.read} mutants replayed, ${counts.rejected} rejected in one line; slowest ${Math.round(slowest)} ms, peak rss ${Math.round(peak / 1024 / 1024)} MB\n`);
			assert.ok(counts.rejected > 0, 'some mutants are caught');
		});
	}

	test('through the command line: a few mutants, each one line and a non-zero exit, or a replay', async () => {
		const dir = tempDir('tachyon-top-fuzz-');
		try {
			const random = generator(77);
			for (let id = 0; id < 12; id++) {
				const capture = captures[id % captures.length]!;
				const {what, bytes} = mutant(capture.bytes, random);
				const file = path.join(dir, `mutant-${id}.bin`);
				fs.writeFileSync(file, bytes);
				const result = await runCli(['replay', '--heatmap', '-o', path.join(dir, `heat-${id}`), file], {timeoutMs: 60_000});
				assert.notEqual(result.code, null, `mutant ${id} (${what}): killed, it hung`);
				assert.doesNotMatch(result.stderr, /\n\s+at /, `mutant ${id} (${what}): a stack trace`);
				if (result.code !== 0) {
					assert.match(result.stderr, /^tachyon-top: [^\n]+\n$/, `mutant ${id} (${what}): one line`);
				}
			}
		} finally {
			fs.rmSync(dir, {recursive: true, force: true});
		}
	});
});
