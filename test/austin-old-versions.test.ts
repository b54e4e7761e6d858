// Side by side with austin (a C sampler that reads 3.8–3.13) on 3.9 and 3.10: both attached at
// once to the same examples/workload.py for the same seconds must see the same functions, each
// with its share of wall time within a few points. Austin weighs each sample by the time since
// the last one; we count samples taken on a fixed clock: both measure wall time.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, test} from 'node:test';
import {parseCollapsed, python, root, runCli, startPython, tempDir, type PythonProcess} from './helpers.js';

const cache = process.env['TACHYON_TOP_CACHE'] ?? path.join(root, '.cache');
const austin = path.join(cache, 'pythons', 'austin', 'usr', 'bin', 'austin');
const functions = ['hot_cpu', 'hot_hash', 'io_wait'];
const seconds = 8;

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

/** Each leaf function's share (%) of a collapsed profile whose frames are `file:function:line`. */
function leafShares(stacks: Map<string, number>, frameOf: (stack: string) => string | undefined): Map<string, number> {
	const byFunction = new Map<string, number>();
	let total = 0;
	for (const [stack, weight] of stacks) {
		const name = frameOf(stack)?.split(':')[1] ?? '?';
		byFunction.set(name, (byFunction.get(name) ?? 0) + weight);
		total += weight;
	}

	return new Map([...byFunction].map(([name, weight]) => [name, total === 0 ? 0 : (weight / total) * 100]));
}

/** Austin's output: `P<pid>;T<iid>:<tid>;file:function:line;… <µs>` lines, `# ` metadata lines. */
function austinStacks(text: string): Map<string, number> {
	const stacks = new Map<string, number>();
	for (const line of text.split('\n')) {
		const match = /^(P\d+;T[^;]+;.+) (\d+)$/.exec(line);
		if (match) {
			stacks.set(match[1]!, (stacks.get(match[1]!) ?? 0) + Number(match[2]));
		}
	}

	return stacks;
}

for (const version of ['3.9', '3.10']) {
	const py = python(version);
	const skip = !fs.existsSync(austin) ? 'austin is not installed (scripts/install-test-pythons.sh)' : (py ? false : `Python ${version} is not installed on this machine`);
	test(`Python ${version}: the same functions as austin, shares within a few points`, {skip, timeout: 180_000}, async () => {
		const target = await startPython(py!, path.join(root, 'examples', 'workload.py'), ['120'], '[workload]');
		running.push(target);
		const dir = tempDir();
		const ours = path.join(dir, 'ours.txt');
		const theirs = path.join(dir, 'austin.txt');
		const austinRun = spawn(austin, ['-i', '1ms', '-x', String(seconds), '-p', String(target.pid), '-o', theirs], {stdio: 'ignore'});
		const austinDone = new Promise<number | null>(resolve => austinRun.on('exit', resolve));
		const result = await runCli(['attach', '-d', String(seconds), '--collapsed', '-o', ours, String(target.pid)], {timeoutMs: 120_000});
		assert.equal(result.code, 0, result.stderr);
		assert.equal(await austinDone, 0, 'austin ran');
		await target.stop();

		const mine = leafShares(parseCollapsed(fs.readFileSync(ours, 'utf8')), stack => stack.split(';').at(-1));
		const its = leafShares(austinStacks(fs.readFileSync(theirs, 'utf8')), stack => stack.split(';').at(-1));
		const table = functions.map(name => `${name}: ours ${mine.get(name)?.toFixed(1)} %, austin ${its.get(name)?.toFixed(1)} %`).join('; ');
		for (const name of functions) {
			// Bullseye's 3.9 hashes in its slow built-in sha256 (no libssl1.1 here): hot_cpu is ~1 %.
			assert.ok((mine.get(name) ?? 0) > 0, `we see ${name}: ${table}`);
			assert.ok((its.get(name) ?? 0) > 0, `austin sees ${name}: ${table}`);
			// A few points on a busy machine: both sample the same seconds of the same process.
			assert.ok(Math.abs(mine.get(name)! - its.get(name)!) < 8, table);
		}
	});
}
