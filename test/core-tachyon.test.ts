// Side by side with Tachyon (CPython 3.15's own sampler): both attached to the same process
// at the same time, so they see the same workload. Stacks must read the same and each hot
// function's share must agree within a few points.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {parseCollapsed, python, root, runCli, shareOf, startPython, tempDir} from './helpers.js';

const py315 = python('3.15');

test('the same shares and stack text as Tachyon on the article workload', {skip: py315 ? false : 'Python 3.15 is not installed'}, async () => {
	const target = await startPython(py315!, path.join(root, 'examples', 'workload.py'), [], '[workload] pid=');
	const dir = tempDir();
	const theirs = path.join(dir, 'tachyon.txt');
	const ours = path.join(dir, 'ours.txt');
	try {
		const tachyon = new Promise<number | null>(resolve => {
			const child = spawn(py315!.path, ['-m', 'profiling.sampling', 'attach', '-d', '4', '--collapsed', '-o', theirs, String(target.pid)], {stdio: 'ignore'});
			child.on('exit', resolve);
		});
		const result = await runCli(['attach', '-d', '4', '--collapsed', '-o', ours, String(target.pid)]);
		assert.equal(result.code, 0, result.stderr);
		assert.equal(await tachyon, 0);
	} finally {
		await target.stop();
	}

	const tachyonStacks = parseCollapsed(fs.readFileSync(theirs, 'utf8'));
	const ourStacks = parseCollapsed(fs.readFileSync(ours, 'utf8'));
	for (const name of ['hot_cpu', 'hot_hash', 'io_wait']) {
		const theirShare = shareOf(tachyonStacks, `workload.py:${name}:`);
		const ourShare = shareOf(ourStacks, `workload.py:${name}:`);
		assert.ok(Math.abs(theirShare - ourShare) < 8, `${name}: Tachyon ${theirShare.toFixed(1)}%, ours ${ourShare.toFixed(1)}%`);
	}

	// The hottest stacks are written byte for byte as Tachyon writes them.
	const topOurs = [...ourStacks].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([stack]) => stack);
	for (const stack of topOurs) {
		assert.ok(tachyonStacks.has(stack), `Tachyon has ${stack}`);
	}
});
