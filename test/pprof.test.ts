// --pprof: gzipped profile.proto read back with pprof-format (every sample's stack and values
// equal the profile's own) and with Google's pprof CLI (`pprof -top` lists the workload's hot
// functions with the shares the samples give them).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {Profile, type ProfileMeta} from '../exporters/model.js';
import {ThreadStatus, type FrameDef} from '../common/profile-types.js';
import {shortFilename} from '../exporters/paths.js';
import {pprofFile} from '../exporters/pprof.js';
import {fixtures, parseCollapsed, python, root, runCli, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';
import {decodePprof, noPprofCli, pprofCli, pprofTop, readPprof, type DecodedPprof} from './pprof-helpers.js';

const dir = tempDir('tachyon-top-pprof-');
const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
	fs.rmSync(dir, {recursive: true, force: true});
});

const workload = path.join(root, 'examples', 'workload.py');

/** Decoded samples as collapsed lines (`tid:N;file:func:line;… → [count, ns]`), as --collapsed names frames. */
function collapsedOf(decoded: DecodedPprof): Map<string, number[]> {
	const stacks = new Map<string, number[]>();
	for (const sample of decoded.samples) {
		const frames = sample.frames.map(frame => (frame.file === '' ? frame.name : `${shortFilename(frame.file)}:${frame.name}:${frame.line}`));
		const key = `tid:${sample.labels['thread_id']};${frames.join(';')}`;
		const sums = stacks.get(key) ?? sample.values.map(() => 0);
		stacks.set(key, sums.map((sum, index) => sum + sample.values[index]!));
	}

	return stacks;
}

/** The same, computed from the model: what the pprof file must hold. */
function modelStacks(profile: Profile): Map<string, number[]> {
	const stacks = new Map<string, number[]>();
	for (const cell of profile.select()) {
		if (cell.stack < 0) {
			continue;
		}

		const frames = profile.stackFrames(cell.stack).map(id => {
			const frame = profile.frames[id]!;
			return frame.kind === 'gc' || frame.kind === 'native' ? frame.funcname : `${shortFilename(frame.filename)}:${frame.funcname}:${Math.max(frame.line, 0)}`;
		});
		const key = `tid:${cell.tid};${frames.join(';')}`;
		const [count = 0, ns = 0] = stacks.get(key) ?? [];
		// Times are samples × one sample's share of the time sampled, as in the pstats table.
		stacks.set(key, [count + cell.count, ns + Math.round(cell.count * profile.sampleTimeUs() * 1000)]);
	}

	return stacks;
}

const meta = (mode: ProfileMeta['mode']): ProfileMeta => ({
	pid: 4242, pythonVersion: '3.13.1', command: ['python3', 'app.py'], mode, intervalUs: 10_000, startedAt: 1_780_000_000_123,
	allThreads: true, gc: true, native: true, opcodes: false, asyncAware: false,
});

/** A frame; Python functions start at the line's tens (main at 10 runs lines 10 and 11). */
const frame = (funcname: string, line: number, filename = '/srv/app.py', kind: FrameDef['kind'] = 'python'): FrameDef =>
	({filename, funcname, line, endLine: line, col: -1, endCol: -1, opcode: -1, kind, ...(kind === 'python' ? {firstLine: line - (line % 10)} : {})});

/** Recursion, a function at two lines, a frame shared by two threads, <GC>/<native>/<task>, an empty stack. */
function handBuilt(mode: ProfileMeta['mode']): Profile {
	const profile = new Profile(meta(mode));
	profile.frames.push(
		frame('<module>', 30), frame('main', 10), frame('Worker.fib', 20), frame('Worker.fib', 21),
		frame('<GC>', 0, '~', 'gc'), frame('<native>', 0, '~', 'native'), frame('fetch-task', 0, '<task>', 'task'), frame('main', 11),
	);
	profile.addThread(100, 'MainThread');
	profile.addThread(101, '');
	const module = profile.addStack(-1, 0);
	const main = profile.addStack(module, 1);
	const fib = profile.addStack(main, 2);
	const fibAgain = profile.addStack(fib, 3);
	const fibDeep = profile.addStack(fibAgain, 2);
	const gc = profile.addStack(fibDeep, 4);
	const native = profile.addStack(profile.addStack(module, 7), 5);
	const task = profile.addStack(profile.addStack(-1, 6), 1);
	const onCpu = ThreadStatus.onCpu | ThreadStatus.hasGil;
	profile.addSample(100, onCpu, fibDeep, 10_000, 0, 7);
	profile.addSample(100, onCpu, gc, 10_000, 0, 2);
	profile.addSample(100, 0, native, 12_500, 0, 3);
	profile.addSample(101, onCpu, fib, 9_000, 0, 5);
	profile.addSample(101, 0, fib, 20_000, 0, 1);
	profile.addSample(101, onCpu, task, 10_000, 0, 1);
	profile.addSample(101, 0, -1, 10_000, 0, 4);
	profile.stats = {attempts: 23, errors: 0, missed: 0, elapsedUs: 230_000, reads: 0, bytesRead: 0, cpuUs: 0};
	return profile;
}

describe('pprof from the model', () => {
	test('every sample\'s stack and values are the profile\'s own; locations, functions, labels, times', () => {
		const profile = handBuilt('wall');
		const decoded = decodePprof(pprofFile(profile));
		assert.deepEqual(decoded.sampleTypes, [['samples', 'count'], ['wall', 'nanoseconds']]);
		assert.deepEqual(decoded.periodType, ['wall', 'nanoseconds']);
		assert.equal(Number(decoded.raw.period), 10_000_000);
		assert.equal(BigInt(decoded.raw.timeNanos), 1_780_000_000_123_000_000n);
		assert.equal(Number(decoded.raw.durationNanos), 230_000_000);
		assert.equal(decoded.strings[Number(decoded.raw.defaultSampleType)], 'wall');
		assert.deepEqual(collapsedOf(decoded), modelStacks(profile));
		// The empty stack is left out, as --collapsed leaves it out: 19 of the 23 samples.
		assert.equal(decoded.samples.reduce((sum, sample) => sum + sample.values[0]!, 0), 19);
		// One location per (function, file, line): Worker.fib:20 is shared by both threads and the recursion.
		const keys = decoded.raw.location.map(location => `${Number(location.line[0]!.functionId)}:${Number(location.line[0]!.line)}`);
		assert.equal(new Set(keys).size, keys.length);
		assert.equal(decoded.raw.location.length, 8);
		const functionNames = decoded.raw.function.map(fn => decoded.strings[Number(fn.name)]);
		assert.deepEqual(functionNames.toSorted(), ['<GC>', '<module>', '<native>', 'Worker.fib', 'fetch-task', 'main'].toSorted());
		const startLines = Object.fromEntries(decoded.raw.function.map(fn => [decoded.strings[Number(fn.name)], Number(fn.startLine)]));
		assert.deepEqual(startLines, {'<module>': 30, main: 10, 'Worker.fib': 20, '<GC>': 0, '<native>': 0, 'fetch-task': 0});
		const task = decoded.raw.function.find(fn => decoded.strings[Number(fn.name)] === 'fetch-task')!;
		assert.equal(decoded.strings[Number(task.filename)], '<task>');
		const main = decoded.samples.filter(sample => sample.labels['thread_id'] === '100');
		assert.ok(main.length > 0 && main.every(sample => sample.labels['thread_name'] === 'MainThread' && !('pid' in sample.labels)));
		assert.ok(decoded.samples.filter(sample => sample.labels['thread_id'] === '101').every(sample => !('thread_name' in sample.labels)), 'no name, no label');
		assert.ok(decodePprof(pprofFile(profile, {pidLabel: true})).samples.every(sample => sample.labels['pid'] === '4242'));
	});

	test('cpu mode: cpu/nanoseconds of the samples on a CPU only', () => {
		const profile = handBuilt('cpu');
		const decoded = decodePprof(pprofFile(profile));
		assert.deepEqual(decoded.sampleTypes, [['samples', 'count'], ['cpu', 'nanoseconds']]);
		assert.deepEqual(decoded.periodType, ['cpu', 'nanoseconds']);
		assert.deepEqual(collapsedOf(decoded), modelStacks(profile));
		assert.equal(decoded.samples.reduce((sum, sample) => sum + sample.values[0]!, 0), 15);
		// 15 samples on a CPU, each standing for one interval (no ticks counted in this hand-built profile).
		assert.equal(decoded.samples.reduce((sum, sample) => sum + sample.values[1]!, 0), 15 * 10_000 * 1000);
	});

	test('cut windows: consecutive, each with its own samples, together the whole', () => {
		const profile = new Profile(meta('wall'));
		const stacks = new Int32Array([-1, 0, 0, 1]);
		const batch = (ticks: number[], stack: number, fresh: boolean) => ({
			type: 'batch' as const, frames: fresh ? [frame('main', 1), frame('work', 2)] : [], threads: fresh ? [{tid: 7, name: 'MainThread'}] : [],
			stacks: fresh ? stacks : new Int32Array(0),
			ticks: new Float64Array(ticks.flatMap(time => [time, 10_000, 1])),
			records: new Uint32Array(ticks.flatMap(() => [7, ThreadStatus.onCpu, stack])),
			stats: {attempts: 0, errors: 0, missed: 0, elapsedUs: 0, reads: 0, bytesRead: 0, cpuUs: 0},
		});
		profile.ingest(batch([10_000, 20_000, 30_000], 1, true));
		const first = profile.cut();
		profile.ingest(batch([40_000, 50_000], 0, false));
		const second = profile.cut();
		const third = profile.cut();
		assert.deepEqual([first.startUs, first.endUs, first.samples], [0, 30_000, 3]);
		assert.deepEqual([second.startUs, second.endUs, second.samples], [30_000, 50_000, 2]);
		assert.deepEqual([third.startUs, third.endUs, third.samples, third.cells.length], [50_000, 50_000, 0, 0]);
		assert.equal(profile.samples, 0, 'a cut leaves nothing behind');
		const one = decodePprof(pprofFile(profile, {window: first}));
		const two = decodePprof(pprofFile(profile, {window: second}));
		assert.deepEqual([...collapsedOf(one)], [['tid:7;app.py:main:1;app.py:work:2', [3, 30_000_000]]]);
		assert.deepEqual([...collapsedOf(two)], [['tid:7;app.py:main:1', [2, 20_000_000]]]);
		assert.equal(BigInt(two.raw.timeNanos) - BigInt(one.raw.timeNanos), 30_000_000n);
		assert.deepEqual([Number(one.raw.durationNanos), Number(two.raw.durationNanos)], [30_000_000, 20_000_000]);
	});
});

const py311 = python('3.11') ?? testPythons()[0];

describe('pprof from real processes', {skip: py311 ? false : 'no test Python'}, () => {
	test('attach --pprof on the article\'s workload: profile_PID.pb.gz with its hot functions, which pprof -top reads', async t => {
		const target = await startPython(py311!, workload, [], '[workload] pid=');
		running.push(target);
		const cwd = tempDir('tachyon-top-pprof-cwd-');
		const result = await runCli(['attach', '--pprof', '-d', '2', String(target.pid)], {cwd});
		await target.stop();
		assert.equal(result.code, 0, result.stderr);
		const file = path.join(cwd, `profile_${target.pid}.pb.gz`);
		assert.match(result.stderr, new RegExp(`Wrote pprof .* to profile_${target.pid}\\.pb\\.gz`));
		const decoded = readPprof(file);
		assert.deepEqual(decoded.sampleTypes, [['samples', 'count'], ['wall', 'nanoseconds']]);
		assert.equal(Number(decoded.raw.period), 1_000_000, '1 kHz');
		const startedMs = Number(BigInt(decoded.raw.timeNanos) / 1_000_000n);
		assert.ok(Math.abs(startedMs - Date.now()) < 120_000, `time_nanos ${startedMs}`);
		assert.ok(Number(decoded.raw.durationNanos) >= 1.5e9 && Number(decoded.raw.durationNanos) < 10e9, `duration ${Number(decoded.raw.durationNanos)}`);
		const total = decoded.samples.reduce((sum, sample) => sum + sample.values[0]!, 0);
		assert.ok(total > 300, `samples: ${total}`);
		const leafShare = (name: string) => (decoded.samples.filter(sample => sample.frames.at(-1)!.name === name).reduce((sum, sample) => sum + sample.values[0]!, 0) / total) * 100;
		for (const name of ['hot_cpu', 'hot_hash', 'io_wait']) {
			assert.ok(leafShare(name) > 3, `${name}: ${leafShare(name).toFixed(1)} %`);
		}

		assert.ok(decoded.samples.every(sample => sample.frames[0]!.name === '<module>' && sample.frames[0]!.file === workload));
		// Function start lines are each def's line (co_firstlineno), the module's 1.
		const startLines = new Map(decoded.samples.flatMap(sample => sample.frames.map(entry => [entry.name, entry.startLine] as const)));
		assert.deepEqual(Object.fromEntries(startLines), {'<module>': 1, main: 14, hot_cpu: 2, hot_hash: 7, io_wait: 12});
		assert.ok(decoded.samples.every(sample => sample.labels['thread_name'] === 'MainThread' && sample.labels['thread_id'] === String(target.pid)));
		if (!pprofCli) {
			t.skip(noPprofCli);
			return;
		}

		// pprof's own reading: the same shares, by samples and by time.
		const top = pprofTop(file, 'samples');
		for (const name of ['hot_cpu', 'hot_hash', 'io_wait']) {
			assert.ok(Math.abs(top.get(name)!.flat - leafShare(name)) < 0.02, `${name}: pprof ${top.get(name)?.flat} %, samples ${leafShare(name).toFixed(2)} %`);
		}

		assert.ok(top.get('main')!.cum > 99.9 && top.get('<module>')!.cum > 99.9, JSON.stringify([...top]));
		const byTime = pprofTop(file, 'wall');
		assert.ok(byTime.get('io_wait')!.flat > 3 && byTime.get('hot_hash')!.flat > 3);
	});

	test('replay --pprof of a binary capture holds exactly the samples replay --collapsed gives', async () => {
		const target = await startPython(py311!, workload, [], '[workload] pid=');
		running.push(target);
		const bin = path.join(dir, 'capture.bin');
		const captured = await runCli(['attach', '--binary', '-a', '--native', '-d', '1.5', '-o', bin, String(target.pid)]);
		await target.stop();
		assert.equal(captured.code, 0, captured.stderr);
		const replayed = await runCli(['replay', '--pprof', '-o', path.join(dir, 'replayed.pb.gz'), bin]);
		assert.equal(replayed.code, 0, replayed.stderr);
		assert.equal((await runCli(['replay', '--collapsed', '-o', path.join(dir, 'replayed.txt'), bin])).code, 0);
		const fromPprof = new Map([...collapsedOf(readPprof(path.join(dir, 'replayed.pb.gz')))].map(([stack, values]) => [stack, values[0]!]));
		const collapsed = parseCollapsed(fs.readFileSync(path.join(dir, 'replayed.txt'), 'utf8'));
		assert.ok(collapsed.size > 3);
		assert.deepEqual(fromPprof, collapsed);
		assert.ok([...fromPprof.keys()].some(stack => stack.endsWith(';<native>')), '<native> frames kept');
	});

	test('--mode cpu: cpu/nanoseconds, and the sleeping function all but gone', async () => {
		const target = await startPython(py311!, workload, [], '[workload] pid=');
		running.push(target);
		const file = path.join(dir, 'cpu.pb.gz');
		const result = await runCli(['attach', '--pprof', '--mode', 'cpu', '-d', '2', '-o', file, String(target.pid)]);
		await target.stop();
		assert.equal(result.code, 0, result.stderr);
		const decoded = readPprof(file);
		assert.deepEqual(decoded.sampleTypes, [['samples', 'count'], ['cpu', 'nanoseconds']]);
		assert.deepEqual(decoded.periodType, ['cpu', 'nanoseconds']);
		const share = (name: string) => decoded.samples.filter(sample => sample.frames.at(-1)!.name === name).reduce((sum, sample) => sum + sample.values[0]!, 0);
		// In wall mode they are about even; a loaded machine keeps a woken sleeper runnable (R) for a while.
		assert.ok(share('hot_hash') > 2 * share('io_wait'), `hot_hash ${share('hot_hash')}, io_wait ${share('io_wait')}`);
	});

	test('run --subprocesses --pprof: each worker\'s file labels its samples with its pid', async () => {
		const out = tempDir('tachyon-top-pprof-sub-');
		const {code, stderr} = await runCli(['run', '--subprocesses', '--python', py311!.path, '--pprof', '-o', path.join(out, 'out.pb.gz'), path.join(fixtures, 'multiproc.py'), '2'], {timeoutMs: 120_000});
		assert.equal(code, 0, stderr);
		const children = fs.readdirSync(out).flatMap(name => /^out_(\d+)\.pb\.gz$/.exec(name)?.[1] ?? []);
		for (const pid of children) {
			assert.ok(readPprof(path.join(out, `out_${pid}.pb.gz`)).samples.every(sample => sample.labels['pid'] === pid), `out_${pid}.pb.gz`);
		}

		// A loaded machine may take most of the 4 s to start a worker: at least one must have been sampled working.
		const workers = children.filter(pid => readPprof(path.join(out, `out_${pid}.pb.gz`)).samples.some(sample => sample.frames.some(entry => entry.name === 'worker_busy')));
		assert.ok(workers.length > 0, `${fs.readdirSync(out).join(', ')}\n${stderr}`);
		const parent = readPprof(path.join(out, 'out.pb.gz'));
		assert.ok(parent.samples.length > 0 && parent.samples.every(sample => sample.labels['pid'] !== undefined && !children.includes(sample.labels['pid'])));
	});
});
