// --native-stacks against real targets: zlib compressing under `squeeze`, libc's qsort calling
// back into Python through ctypes, hashlib, and a C++ library built here with g++ (its names
// demangled; stripped, its static functions as `file+0xADDRESS`). On every installed CPython.
// The target always runs on untraced: after a capture and after SIGINT, SIGTERM or SIGKILL of
// tachyon-top in the middle of one.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {readPprof} from './pprof-helpers.js';
import {delay, fixtures, imports, parseCollapsed, runCli, runsOnNormally, startPython, tempDir, testPythons, type PythonProcess, type TestPython} from './helpers.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

/** The C++ library, with its symbol table and stripped; undefined where g++ is missing. */
let libraries: {full: string; stripped: string} | undefined;
before(() => {
	const dir = tempDir('tachyon-top-native-');
	const source = path.join(fixtures, 'native_cpp.cpp');
	try {
		const full = path.join(dir, 'libttcpp.so');
		const stripped = path.join(dir, 'libttcpp-stripped.so');
		execFileSync('g++', ['-O2', '-shared', '-fPIC', '-o', full, source], {stdio: 'pipe'});
		execFileSync('g++', ['-O2', '-shared', '-fPIC', '-fvisibility=hidden', '-o', stripped, source], {stdio: 'pipe'});
		execFileSync('strip', ['--strip-unneeded', stripped], {stdio: 'pipe'});
		libraries = {full, stripped};
	} catch (error) {
		console.log(`# g++/strip unavailable, the C++ cases are skipped: ${(error as Error).message.split('\n')[0]}`);
	}
});

type Frame = {file: string; name: string};

/** Collapsed `file:function:line` frames, root first (a function may hold colons: C++ names). */
function framesOf(stack: string): Frame[] {
	return stack.split(';').slice(1).map(text => {
		const first = text.indexOf(':');
		const last = text.lastIndexOf(':');
		return first > 0 && last > first ? {file: text.slice(0, first), name: text.slice(first + 1, last)} : {file: '', name: text};
	});
}

/** Of the samples whose stack `has`, the share (and count) for which `holds` is true. */
function shareWhere(stacks: Map<string, number>, has: (frames: Frame[]) => boolean, holds: (frames: Frame[]) => boolean): {share: number; samples: number} {
	let samples = 0;
	let matching = 0;
	for (const [stack, count] of stacks) {
		const frames = framesOf(stack);
		if (has(frames)) {
			samples += count;
			matching += holds(frames) ? count : 0;
		}
	}

	return {share: samples === 0 ? 0 : (matching / samples) * 100, samples};
}

const indexOf = (frames: Frame[], name: string) => frames.findIndex(frame => frame.name === name);
/** libz frames below `squeeze`. */
const zlibUnderSqueeze = (frames: Frame[]) => frames.slice(indexOf(frames, 'squeeze') + 1).some(frame => frame.file.startsWith('libz.so'));
/** glibc's qsort between sort_with_c and py_cmp (glibc 2.36's qsort tail-calls qsort_r: either name). */
const qsortBetween = (frames: Frame[]) => frames.slice(indexOf(frames, 'sort_with_c') + 1, indexOf(frames, 'py_cmp'))
	.some(frame => frame.file === 'libc.so.6' && /^qsort(?:_r)?$/.test(frame.name));

/** `command --native-stacks … --collapsed`, then `targetArgs` (the PID, or run's script). */
async function capture(command: string, args: string[], targetArgs: string[]): Promise<{stacks: Map<string, number>; stderr: string}> {
	const out = path.join(tempDir(), 'native.txt');
	const {code, stderr} = await runCli([command, '--native-stacks', ...args, '--realtime-stats', '--collapsed', '-o', out, ...targetArgs], {timeoutMs: 120_000});
	assert.equal(code, 0, stderr);
	return {stacks: parseCollapsed(fs.readFileSync(out, 'utf8')), stderr};
}

/** A gecko profile's samples as collapsed stacks (`thread;file:function:line;…`, root first), the file of a frame its resource's name. */
function geckoStacks(file: string): Map<string, number> {
	type Table = Record<string, Array<number | null>>;
	const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as {shared: {stringArray: string[]}; threads: Array<Record<string, Table>>};
	const strings = profile.shared.stringArray;
	const stacks = new Map<string, number>();
	for (const thread of profile.threads) {
		const {samples, stackTable, frameTable, funcTable, resourceTable} = thread;
		samples!['stack']!.forEach((leaf, index) => {
			const frames: string[] = [];
			for (let stack = leaf; stack !== null && stack !== undefined; stack = stackTable!['prefix']![stack]!) {
				const func = frameTable!['func']![stackTable!['frame']![stack]!]!;
				frames.unshift(`${strings[resourceTable!['name']![funcTable!['resource']![func]!]!]}:${strings[funcTable!['name']![func]!]}:0`);
			}

			if (frames.length > 0) {
				const key = ['thread', ...frames].join(';');
				stacks.set(key, (stacks.get(key) ?? 0) + (samples!['weight']?.[index] ?? 1));
			}
		});
	}

	return stacks;
}

/** A pprof profile's samples as collapsed stacks, counted by its `samples` value. */
function pprofStacks(file: string): Map<string, number> {
	const pprof = readPprof(file);
	const counted = Math.max(0, pprof.sampleTypes.findIndex(([type]) => type === 'samples'));
	const stacks = new Map<string, number>();
	for (const sample of pprof.samples) {
		const key = ['thread', ...sample.frames.map(frame => `${path.basename(frame.file)}:${frame.name}:${frame.line}`)].join(';');
		stacks.set(key, (stacks.get(key) ?? 0) + sample.values[counted]!);
	}

	return stacks;
}

/** A JSONL profile's frames with their cumulative samples. */
function jsonlFrames(file: string): Array<{name: string; file: string; line: number; cumulative: number}> {
	const records = fs.readFileSync(file, 'utf8').split('\n').filter(line => line.trim() !== '').map(line => JSON.parse(line) as Record<string, unknown>);
	const of = <T>(type: string, key: string) => records.filter(record => record['type'] === type).flatMap(record => record[key] as T[]);
	const strings = of<{value: string}>('string_table', 'strings').map(entry => entry.value);
	const cumulative = new Map(of<{frame_id: number; cumulative: number}>('agg', 'entries').map(entry => [entry.frame_id, entry.cumulative]));
	return of<{frame_id: number; func_str_id: number; path_str_id: number; line: number}>('frame_table', 'frames').map(frame => ({
		name: strings[frame.func_str_id]!, file: strings[frame.path_str_id]!, line: frame.line, cumulative: cumulative.get(frame.frame_id) ?? 0,
	}));
}

async function startWorkload(py: TestPython, library?: string): Promise<PythonProcess> {
	const target = await startPython(py, 'native_stacks.py', library ? [library] : []);
	running.push(target);
	return target;
}

for (const py of testPythons()) {
	describe(`--native-stacks on Python ${py.version}`, () => {
		// The workload calls qsort through ctypes.
		const skip = imports(py, 'ctypes') ? false : `${py.path} cannot import ctypes`;
		test('libz under squeeze, qsort between sort_with_c and py_cmp, libcrypto under digest, C++ names demangled', {skip}, async () => {
			const target = await startWorkload(py, libraries?.full);
			// Long enough for each of the four workloads to be sampled often on a loaded machine.
			const {stacks, stderr} = await capture('attach', ['-d', '6'], [String(target.pid)]);
			assert.match(stderr, /Pause: [\d.]+µs\/sample/, 'the pause per sample is reported');
			const zlib = shareWhere(stacks, frames => indexOf(frames, 'squeeze') >= 0, zlibUnderSqueeze);
			assert.ok(zlib.samples >= 5 && zlib.share >= 80, `libz under squeeze in ${zlib.share.toFixed(0)} % of ${zlib.samples} samples`);
			const qsort = shareWhere(stacks, frames => indexOf(frames, 'sort_with_c') >= 0 && indexOf(frames, 'py_cmp') > indexOf(frames, 'sort_with_c'), qsortBetween);
			assert.ok(qsort.samples >= 3 && qsort.share >= 80, `qsort between sort_with_c and py_cmp in ${qsort.share.toFixed(0)} % of ${qsort.samples} samples`);
			const crypto = shareWhere(stacks, frames => indexOf(frames, 'digest') >= 0, frames => frames.some(frame => frame.file.startsWith('libcrypto')));
			assert.ok(crypto.share >= 30, `libcrypto under digest in ${crypto.share.toFixed(0)} % of ${crypto.samples} samples`);
			if (libraries) {
				const cpp = shareWhere(stacks, frames => indexOf(frames, 'call_cpp') >= 0, frames => {
					const at = indexOf(frames, 'tt::Worker<double>::crunch(int)');
					return at > indexOf(frames, 'call_cpp') && frames[at]!.file === 'libttcpp.so';
				});
				assert.ok(cpp.share >= 80, `tt::Worker<double>::crunch(int) under call_cpp in ${cpp.share.toFixed(0)} % of ${cpp.samples} samples`);
			}

			// The interpreter's own frames are hidden by default: no eval loop, no start-up code.
			for (const stack of stacks.keys()) {
				assert.doesNotMatch(stack, /_PyEval_EvalFrameDefault|__libc_start_main|Py_BytesMain/, stack);
			}

			await runsOnNormally(target.pid);
			await target.stop();
		});
	});
}

const mainVersions = testPythons().filter(candidate => ['3.11', '3.15'].includes(candidate.version));
for (const py of mainVersions) {
	describe(`--native-stacks outputs on Python ${py.version}`, () => {
		test('dump --native-stacks: libz frames after squeeze, most recent call last', async () => {
			const target = await startWorkload(py);
			let inSqueeze = 0;
			let withZlib = 0;
			for (let attempt = 0; attempt < 60 && inSqueeze < 10; attempt++) {
				const {code, stdout, stderr} = await runCli(['dump', '--native-stacks', String(target.pid)]);
				assert.equal(code, 0, stderr);
				const lines = stdout.split('\n').filter(line => line.startsWith('  ') && !line.startsWith('    '));
				const squeeze = lines.findIndex(line => line.endsWith('in squeeze'));
				// Only dumps whose innermost Python frame is squeeze (it may be between calls).
				if (squeeze < 0 || lines.slice(squeeze + 1).some(line => line.startsWith('  File '))) {
					continue;
				}

				inSqueeze++;
				withZlib += lines.slice(squeeze + 1).some(line => /\(libz\.so\.1\)$|^ {2}libz\.so\.1\+0x/.test(line)) ? 1 : 0;
			}

			assert.ok(inSqueeze >= 5 && withZlib / inSqueeze >= 0.8, `libz after squeeze in ${withZlib} of ${inSqueeze} dumps`);
			await runsOnNormally(target.pid);
			await target.stop();
		});

		test('flame graph and binary capture carry the native frames; replay keeps them', async () => {
			const target = await startWorkload(py);
			const dir = tempDir();
			const html = path.join(dir, 'flame.html');
			const flame = await runCli(['attach', '--native-stacks', '-d', '2', '--flamegraph', '-o', html, String(target.pid)], {timeoutMs: 120_000});
			assert.equal(flame.code, 0, flame.stderr);
			assert.match(fs.readFileSync(html, 'utf8'), /deflate \(libz\.so\.1\)/, 'libz frames named in the flame graph');
			const bin = path.join(dir, 'capture.bin');
			const binary = await runCli(['attach', '--native-stacks', '-d', '2', '--binary', '-o', bin, String(target.pid)], {timeoutMs: 120_000});
			assert.equal(binary.code, 0, binary.stderr);
			const replayed = path.join(dir, 'replayed.txt');
			const replay = await runCli(['replay', '--collapsed', '-o', replayed, bin]);
			assert.equal(replay.code, 0, replay.stderr);
			const stacks = parseCollapsed(fs.readFileSync(replayed, 'utf8'));
			const zlib = shareWhere(stacks, frames => indexOf(frames, 'squeeze') >= 0, zlibUnderSqueeze);
			assert.ok(zlib.share >= 80, `replayed: libz under squeeze in ${zlib.share.toFixed(0)} % of ${zlib.samples} samples`);
			const pstats = await runCli(['replay', '-l', '0', bin]);
			assert.match(pstats.stdout, /libz\.so\.1:0\(deflate\)/, 'pstats names the native function and its file');
			await target.stop();
		});

		test('gecko, pprof and jsonl carry the native frames, captured and replayed from a binary capture', {timeout: 300_000}, async () => {
			const target = await startWorkload(py);
			const dir = tempDir();
			const captured = async (format: string, file: string, ...more: string[]) => {
				const result = await runCli(['attach', '--native-stacks', '-d', '2', `--${format}`, ...more, '-o', file, String(target.pid)], {timeoutMs: 120_000});
				assert.equal(result.code, 0, result.stderr);
				return file;
			};

			const replayed = async (format: string, file: string, bin: string) => {
				const result = await runCli(['replay', `--${format}`, '-o', file, bin], {timeoutMs: 120_000});
				assert.equal(result.code, 0, result.stderr);
				return file;
			};

			const bin = await captured('binary', path.join(dir, 'capture.bin'));
			const files = {
				gecko: [await captured('gecko', path.join(dir, 'direct.json')), await replayed('gecko', path.join(dir, 'replayed.json'), bin)],
				pprof: [await captured('pprof', path.join(dir, 'direct.pb.gz')), await replayed('pprof', path.join(dir, 'replayed.pb.gz'), bin)],
				jsonl: [await captured('jsonl', path.join(dir, 'direct.jsonl')), await replayed('jsonl', path.join(dir, 'replayed.jsonl'), bin)],
			};
			await target.stop();
			for (const [format, read] of [['gecko', geckoStacks], ['pprof', pprofStacks]] as const) {
				for (const file of files[format]) {
					const stacks = read(file);
					const zlib = shareWhere(stacks, frames => indexOf(frames, 'squeeze') >= 0, zlibUnderSqueeze);
					assert.ok(zlib.samples >= 5 && zlib.share >= 80, `${format} ${path.basename(file)}: libz under squeeze in ${zlib.share.toFixed(0)} % of ${zlib.samples} samples`);
					const qsort = shareWhere(stacks, frames => indexOf(frames, 'sort_with_c') >= 0 && indexOf(frames, 'py_cmp') > indexOf(frames, 'sort_with_c'), qsortBetween);
					assert.ok(qsort.samples >= 3 && qsort.share >= 80, `${format} ${path.basename(file)}: qsort between sort_with_c and py_cmp in ${qsort.share.toFixed(0)} % of ${qsort.samples} samples`);
				}
			}

			// JSONL keeps no stacks, only each frame's own and cumulative samples: libz's deflate is
			// a frame of its own (file libz.so.1, line 0), on the stack in most of squeeze's samples.
			for (const file of files.jsonl) {
				const frames = jsonlFrames(file);
				const squeeze = frames.find(frame => frame.name === 'squeeze')?.cumulative ?? 0;
				const deflate = frames.find(frame => frame.name === 'deflate' && frame.file === 'libz.so.1' && frame.line === 0)?.cumulative ?? 0;
				assert.ok(squeeze >= 5 && deflate >= squeeze * 0.6, `jsonl ${path.basename(file)}: deflate (libz.so.1) in ${deflate} of squeeze's ${squeeze} samples`);
			}
		});

		test('run --native-stacks: the script keeps running to its end, native frames sampled', async () => {
			const {stacks} = await capture('run', ['-d', '3', '--python', py.path], [path.join(fixtures, 'native_stacks.py')]);
			const zlib = shareWhere(stacks, frames => indexOf(frames, 'squeeze') >= 0, zlibUnderSqueeze);
			assert.ok(zlib.share >= 80, `libz under squeeze in ${zlib.share.toFixed(0)} % of ${zlib.samples} samples`);
		});

		for (const signal of ['SIGINT', 'SIGTERM', 'SIGKILL'] as const) {
			test(`${signal} to tachyon-top mid-capture: the target runs on untraced`, async () => {
				const target = await startWorkload(py);
				const out = path.join(tempDir(), 'interrupted.txt');
				const result = await runCli(['attach', '--native-stacks', '-r', '5khz', '--realtime-stats', '--collapsed', '-o', out, String(target.pid)], {
					onSpawn(child) {
						let sent = false;
						child.stderr!.on('data', (data: Buffer) => {
							if (!sent && data.toString().includes('Stats:')) {
								sent = true;
								setTimeout(() => child.kill(signal), 300);
							}
						});
					},
				});
				if (signal === 'SIGKILL') {
					assert.equal(result.code, null, 'killed');
					await delay(200); // The kernel detaches a dead tracer's tracees as it reaps it.
				} else {
					assert.equal(result.code, 0, result.stderr);
					assert.ok(fs.statSync(out).size > 0, 'the profile is written');
				}

				await runsOnNormally(target.pid);
				await target.stop();
			});
		}
	});
}

describe('--native-stacks with a stripped library', () => {
	const py = testPythons().find(candidate => candidate.version === '3.11') ?? testPythons()[0];
	test('exported functions by their dynamic symbols, static ones as file+0xADDRESS', {skip: py === undefined}, async t => {
		if (!libraries) {
			t.skip('no g++ here');
			return;
		}

		const target = await startWorkload(py!, libraries.stripped);
		const {stacks} = await capture('attach', ['-d', '4'], [String(target.pid)]);
		const cpp = shareWhere(stacks, frames => indexOf(frames, 'call_cpp') >= 0, frames => {
			const below = frames.slice(indexOf(frames, 'call_cpp') + 1).filter(frame => frame.file === 'libttcpp-stripped.so');
			return below.some(frame => frame.name === 'run_cpp') && below.some(frame => frame.name.startsWith('libttcpp-stripped.so+0x'));
		});
		assert.ok(cpp.samples >= 5 && cpp.share >= 80, `run_cpp and unnamed frames under call_cpp in ${cpp.share.toFixed(0)} % of ${cpp.samples} samples`);
		await target.stop();
	});
});
