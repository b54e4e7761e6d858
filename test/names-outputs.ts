// Every output format of one capture of test/fixtures/names.py (whose closure spins on line
// 13, `x += 1  # spin here`): one --binary capture, replayed to each format, each checked for
// the closure at its file and line; the flame graph and heatmap for its source, which the
// capture read from the target (through /proc/PID/root) and stored.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {namesOn, parseCollapsed, runCli, spinShare, tempDir, type TestPython} from './helpers.js';
import {readPprof} from './pprof-helpers.js';

/** `script`: names.py's path as the target sees it. */
export async function assertEveryOutputOfNames(python: TestPython, pid: number, script: string): Promise<void> {
	const dir = tempDir();
	const capture = path.join(dir, 'capture.bin');
	const result = await runCli(['attach', '-a', '-d', '1.5', '--binary', '-o', capture, String(pid)]);
	assert.equal(result.code, 0, result.stderr);
	const closure = namesOn(python, 'Outer.Inner.method.<locals>.closure');
	const replay = async (format: string, name: string) => {
		const out = path.join(dir, name);
		const replayed = await runCli(['replay', `--${format}`, '-o', out, capture], {timeoutMs: 60_000});
		assert.equal(replayed.code, 0, `${format}: ${replayed.stderr}`);
		return out;
	};

	const stacks = parseCollapsed(fs.readFileSync(await replay('collapsed', 'stacks.txt'), 'utf8'));
	assert.ok(spinShare(python, stacks) > 30, [...stacks.keys()].join('\n'));
	// pstats: marshalled stats that Python's own pstats module reads, keyed by the target's path.
	const pstats = await replay('pstats', 'stats.pstats');
	const keys = execFileSync('python3', ['-c', 'import pstats, sys; print("\\n".join(f"{f}:{n}" for f, l, n in pstats.Stats(sys.argv[1]).stats))', pstats], {encoding: 'utf8'});
	assert.ok(keys.split('\n').includes(`${script}:${closure}`), keys);
	const flame = fs.readFileSync(await replay('flamegraph', 'flame.html'), 'utf8');
	// (Names go in as JSON with < escaped: `.<locals>.` is `.\u003clocals\u003e.` there.)
	assert.ok(flame.includes(`closure (${script}:13)`) && flame.includes('x += 1  # spin here'), 'the flame graph has the closure at its path and its line\'s source');
	const gecko = fs.readFileSync(await replay('gecko', 'gecko.json'), 'utf8');
	assert.ok(JSON.parse(gecko) && gecko.includes(`"${closure}"`) && gecko.includes('"names.py"'), 'gecko: the closure, in names.py');
	const heatmap = await replay('heatmap', 'heat');
	assert.ok(fs.readdirSync(heatmap).some(name => fs.readFileSync(path.join(heatmap, name), 'utf8').includes('# spin here')), 'the replayed heatmap shows the source');
	const jsonl = fs.readFileSync(await replay('jsonl', 'profile.jsonl'), 'utf8').trim().split('\n').map(line => JSON.parse(line) as unknown);
	assert.ok(jsonl.length > 1 && JSON.stringify(jsonl).includes(closure), 'jsonl: the closure');
	const pprof = readPprof(await replay('pprof', 'profile.pb.gz'));
	assert.ok(pprof.samples.some(sample => sample.frames.some(frame => frame.name === closure && frame.file === script && frame.line === 13)), 'pprof: the closure at line 13');
	const again = await replay('binary', 'again.bin');
	assert.ok(fs.statSync(again).size > 0, 'binary to binary');
}
