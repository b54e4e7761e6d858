// The pstats table's numbers against real processes: times are samples × one sample's share of
// the time sampled, so they follow nsamples and add up to the wall clock even across a stall
// of the profiler; the same rows and "Summary of Interesting Functions" as Tachyon prints for
// the same samples; --no-summary; and the pstats file in Tachyon's own layout.
import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {delay, fixtures, python, root, runCli, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';

const dir = tempDir('tachyon-top-pstats-table-');
const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
	fs.rmSync(dir, {recursive: true, force: true});
});

type Row = {direct: number; cumulative: number; tottime: number; cumtime: number; location: string};

/** The rows of a pstats table, times in seconds. */
function tableRows(text: string): Row[] {
	const header = /^ +nsamples +sample% +tottime \((s|ms|μs)\) +cumul% +cumtime \((s|ms|μs)\) +filename/m.exec(text);
	assert.ok(header, text);
	const scale = {s: 1, ms: 1e-3, μs: 1e-6};
	const rows: Row[] = [];
	for (const line of text.slice(header.index).split('\n').slice(1)) {
		const match = /^ +(\d+)\/(\d+) +[\d.]+ +([\d.]+) +[\d.]+ +([\d.]+) +(\S.*)$/.exec(line);
		if (!match) {
			break;
		}

		rows.push({direct: Number(match[1]), cumulative: Number(match[2]), tottime: Number(match[3]) * scale[header[1] as 's'], cumtime: Number(match[4]) * scale[header[2] as 's'], location: match[5]!});
	}

	return rows;
}

describe('pstats times', () => {
	const py = python('3.11') ?? testPythons()[0]!;
	test('proportional to nsamples, adding up to the time sampled, even after the profiler stalled', async () => {
		const target = await startPython(py, path.join(root, 'examples', 'workload.py'), [], 'pid=');
		running.push(target);
		// A stall of the profiler: the whole process stopped for 0.8 s mid-capture. Each sample
		// used to be weighted by the time since the previous one, so the first sample after
		// the stall stood for 0.8 s alone.
		const result = await runCli(['attach', '-d', '3', '-l', '0', String(target.pid)], {
			onSpawn(child) {
				void (async () => {
					await delay(1200);
					child.kill('SIGSTOP');
					await delay(800);
					child.kill('SIGCONT');
				})();
			},
		});
		assert.equal(result.code, 0, result.stderr);
		const rows = tableRows(result.stdout);
		const perSample = /samples × ([\d.]+) (ms|μs)/.exec(result.stdout);
		assert.ok(perSample, result.stdout);
		const sampleS = Number(perSample[1]) * (perSample[2] === 'ms' ? 1e-3 : 1e-6);
		for (const row of rows) {
			// Rounded to 3 decimals of the unit shown.
			assert.ok(Math.abs(row.tottime - (row.direct * sampleS)) <= (row.direct * sampleS * 0.002) + 1e-3, `${row.location}: ${row.direct} samples, ${row.tottime} s`);
			assert.ok(Math.abs(row.cumtime - (row.cumulative * sampleS)) <= (row.cumulative * sampleS * 0.002) + 1e-3, `${row.location}: ${row.cumulative} samples, ${row.cumtime} s`);
		}

		// Sorted by nsamples, the times never go up.
		for (let index = 1; index < rows.length; index++) {
			assert.ok(rows[index]!.tottime <= rows[index - 1]!.tottime + 1e-9, `${rows[index - 1]!.location} then ${rows[index]!.location}`);
		}

		// One thread: its direct times add up to the time sampled, the wall clock of the capture.
		const seconds = Number(/Captured [\d,]+ samples in ([\d.]+) seconds/.exec(result.stdout)![1]);
		const totalDirect = rows.reduce((sum, row) => sum + row.tottime, 0);
		assert.ok(Math.abs(totalDirect - seconds) / seconds < 0.02, `direct times add up to ${totalDirect} s, captured in ${seconds} s`);
		assert.ok(seconds > 2.5, `the capture lasted its 3 s: ${seconds}`);
	});
});

describe('pstats table as Tachyon prints it', () => {
	const tachyon = python('3.15');
	test('the same rows and Summary of Interesting Functions for the same samples; --no-summary drops it', {skip: tachyon ? false : 'Python 3.15 (Tachyon) is not installed here'}, async () => {
		const bin = path.join(dir, 'capture.bin');
		execFileSync(tachyon!.path, ['-m', 'profiling.sampling', 'run', '-d', '2', '-a', '--binary', '-o', bin, path.join(fixtures, 'binary-workload.py')], {stdio: 'pipe', timeout: 60_000});
		const theirs = execFileSync(tachyon!.path, ['-m', 'profiling.sampling', 'replay', bin], {encoding: 'utf8', timeout: 60_000});
		const ours = await runCli(['replay', bin]);
		assert.equal(ours.code, 0, ours.stderr);
		// Times differ by design (Tachyon: samples × the nominal interval); counts, order and places do not.
		const strip = (rows: Row[]) => rows.map(row => `${row.direct}/${row.cumulative} ${row.location}`);
		assert.deepEqual(strip(tableRows(ours.stdout)), strip(tableRows(theirs)));
		const summary = (text: string) => text.slice(text.indexOf('Summary of Interesting Functions:')).replace(/\nReplayed \d+ samples\n$/, '\n');
		assert.ok(summary(theirs).length > 100, theirs);
		assert.equal(summary(ours.stdout), summary(theirs));
		for (const heading of ['Functions with Highest Direct/Cumulative Ratio (Hot Spots):', 'Functions with Highest Call Frequency (Indirect Calls):', 'Functions with Highest Call Magnification (Cumulative/Direct):']) {
			assert.ok(ours.stdout.includes(`\n${heading}\n`), heading);
		}

		const without = await runCli(['replay', '--no-summary', bin]);
		assert.equal(without.code, 0, without.stderr);
		assert.doesNotMatch(without.stdout, /Summary of Interesting Functions/);
		assert.equal(without.stdout, ours.stdout.slice(0, ours.stdout.indexOf('\nSummary of Interesting Functions:')));
	});
});

describe('pstats file layouts', () => {
	const pythons = testPythons();
	const tachyon = python('3.15');
	test('--pstats-layout tachyon: Tachyon\'s own file (3.15 reads it as sampled stats); portable stays the default', {skip: tachyon ? false : 'Python 3.15 is not installed here'}, async () => {
		// A 3.15 target: Tachyon reads only its own version.
		const target = await startPython(tachyon!, 'binary-workload.py');
		running.push(target);
		const ours = path.join(dir, 'tachyon-layout.pstats');
		const result = await runCli(['attach', '-d', '1.5', '--pstats-layout', 'tachyon', '-o', ours, String(target.pid)]);
		assert.equal(result.code, 0, result.stderr);
		assert.match(result.stderr, /Wrote pstats file .* to .*tachyon-layout\.pstats/);
		assert.doesNotMatch(result.stderr, /pstats-style table/);
		// The same shape as Tachyon's own file: callers as ints, the ('__sampled__',) marker.
		const theirs = path.join(dir, 'theirs.pstats');
		const own = spawn(tachyon!.path, ['-m', 'profiling.sampling', 'attach', '-d', '1', '-o', theirs, String(target.pid)], {stdio: 'ignore'});
		assert.equal(await new Promise(resolve => own.on('exit', resolve)), 0);
		const shape = `
import marshal, sys
data = marshal.load(open(sys.argv[1], 'rb'))
print(data.pop(('__sampled__',), None))
kinds = set()
for key, (cc, nc, tt, ct, callers) in data.items():
    kinds.add((type(key[0]).__name__, type(key[1]).__name__, type(cc).__name__, type(tt).__name__, tuple(sorted({type(v).__name__ for v in callers.values()}))))
print(sorted(kinds)[-1])
import pstats
stats = pstats.Stats(sys.argv[1])
print(type(stats).__name__)
stats.print_stats()
`;
		const read = (file: string) => execFileSync(tachyon!.path, ['-c', shape, file], {encoding: 'utf8', timeout: 30_000});
		const ourShape = read(ours);
		const theirShape = read(theirs);
		assert.equal(ourShape.split('\n').slice(0, 3).join('\n'), theirShape.split('\n').slice(0, 3).join('\n'));
		assert.match(ourShape, /^True\n.*\nSampledStats\n/);
		assert.match(ourShape, /nsamples/);
		assert.match(ourShape, /binary-workload\.py:\d+\(crunch\)/);
		// The default file loads anywhere, as before.
		const portable = path.join(dir, 'portable.pstats');
		assert.equal((await runCli(['attach', '-d', '1', '-o', portable, String(target.pid)])).code, 0);
		assert.match(execFileSync(pythons[0]!.path, ['-c', 'import pstats, sys; pstats.Stats(sys.argv[1]).print_stats()', portable], {encoding: 'utf8'}), /crunch/);
	});
});
