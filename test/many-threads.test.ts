// Threads at scale: `run -a` on a program that starts thousands of short-lived threads, in
// waves, then one last thread that works. More than 4,096 distinct threads end in one capture
// (past the model's old cell-key wrap), and the last thread's samples are all filed under its
// own tid: the churn must neither choke the sampler (it used to fail 86 % of samples and never
// see the last thread) nor mix threads up.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, test} from 'node:test';
import {fixtures, parseCollapsed, python, runCli, tempDir} from './helpers.js';

const dir = tempDir('tachyon-top-many-threads-');
after(() => {
	fs.rmSync(dir, {recursive: true, force: true});
});

// 10,000 threads in waves of 500 that each live 0.3 s: 20 waves, of which 9 whole ones must be
// seen. The last thread works 3 s, so a loaded machine still gives it samples.
const total = 10_000;
const wave = 500;
const interpreter = python('3.15') ?? python('3.14');

test('run -a over 10,000 short-lived threads keeps every thread apart', {skip: interpreter ? false : 'needs Python 3.14 or 3.15 (scripts/install-test-pythons.sh)', timeout: 900_000}, async () => {
	const out = path.join(dir, 'stacks.txt');
	const {code, stdout, stderr} = await runCli(
		['run', '-a', '--collapsed', '-r', '200', '-o', out, '--python', interpreter!.path, path.join(fixtures, 'many_threads.py'), String(total), String(wave), '0.3', '3'],
		{timeoutMs: 840_000},
	);
	assert.equal(code, 0, stderr);
	const last = /last (\d+)/.exec(stdout)?.[1];
	assert.ok(last, `the script printed no last thread: ${stdout}`);
	assert.match(stdout, new RegExp(`started ${total}`));

	const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
	const tids = new Set([...stacks.keys()].map(stack => stack.slice(0, stack.indexOf(';'))));
	assert.ok(tids.size > 4096, `${tids.size} distinct threads in the capture`);
	assert.ok(tids.has(`tid:${last}`), `no samples of the last thread (tid ${last})`);

	let lastSamples = 0;
	for (const [stack, count] of stacks) {
		if (stack.includes(':last_worker:')) {
			assert.ok(stack.startsWith(`tid:${last};`), `last_worker filed under another thread: ${stack}`);
			lastSamples += count;
		}
	}

	assert.ok(lastSamples > 0, `last_worker never sampled; threads: ${tids.size}`);
});
