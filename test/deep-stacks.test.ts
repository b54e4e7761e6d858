// Deep stacks are real programs: a 10,000-frame recursion is read whole by dump and by a
// capture, 100,000 frames too, and a deeper one keeps its 100,000 innermost frames under a
// `<truncated at 100,000 frames>` marker, never "loop in the frame chain?" and 0 samples.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {describe, test} from 'node:test';
import {parseCollapsed, python, runCli, startPython, tempDir, testPythons} from './helpers.js';

const dir = tempDir('tachyon-top-deep-');
const marker = '<truncated at 100,000 frames>';

/** The frames of a dump's main thread, outermost first. */
function dumpFrames(text: string): string[] {
	return text.split('\n').filter(line => /^ {2}(File |<)/.test(line)).map(line => line.trim());
}

async function deepest(pid: number, seconds = 2): Promise<{depth: number; stacks: Map<string, number>}> {
	const out = path.join(dir, `deep-${pid}-${Date.now()}.txt`);
	const result = await runCli(['attach', '-d', String(seconds), '--collapsed', '-o', out, String(pid)], {timeoutMs: 120_000});
	assert.equal(result.code, 0, result.stderr);
	const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
	assert.ok(stacks.size > 0, `no samples: ${result.stderr}`);
	return {depth: Math.max(...[...stacks.keys()].map(stack => stack.split(';').length - 1)), stacks};
}

describe('deep stacks', () => {
	for (const interpreter of testPythons().filter(candidate => ['3.11', '3.15'].includes(candidate.version))) {
		test(`10,000 frames: dump and a capture read them all (${interpreter.version})`, {timeout: 180_000}, async () => {
			const target = await startPython(interpreter, 'deep-recursion.py', ['10000']);
			try {
				const dump = await runCli(['dump', String(target.pid)], {timeoutMs: 120_000});
				assert.equal(dump.code, 0, dump.stderr);
				const frames = dumpFrames(dump.stdout);
				assert.equal(frames.filter(frame => frame.endsWith('in recurse')).length, 10_001);
				assert.match(frames[0]!, /in <module>$/);
				const {depth} = await deepest(target.pid);
				assert.equal(depth, 10_002, 'every frame, <module> included');
			} finally {
				await target.stop();
			}
		});
	}

	const newest = python('3.15') ?? testPythons().at(-1);
	test('100,000 frames are read whole; beyond, the innermost 100,000 under a marker', {skip: newest ? false : 'no test Python', timeout: 300_000}, async () => {
		// recurse(99,998) and <module>: 100,000 frames.
		const full = await startPython(newest!, 'deep-recursion.py', ['99998']);
		try {
			const dump = await runCli(['dump', String(full.pid)], {timeoutMs: 120_000});
			assert.equal(dump.code, 0, dump.stderr);
			const frames = dumpFrames(dump.stdout);
			assert.equal(frames.length, 100_000);
			assert.ok(!dump.stdout.includes(marker));
			assert.match(frames[0]!, /in <module>$/);
		} finally {
			await full.stop();
		}

		const deeper = await startPython(newest!, 'deep-recursion.py', ['150000']);
		try {
			const dump = await runCli(['dump', String(deeper.pid)], {timeoutMs: 120_000});
			assert.equal(dump.code, 0, dump.stderr);
			const frames = dumpFrames(dump.stdout);
			assert.equal(frames[0], marker, 'the marker stands where the outer frames were');
			assert.equal(frames.length, 100_001);
			assert.ok(frames.slice(1).every(frame => frame.endsWith('in recurse')));
			const {depth, stacks} = await deepest(deeper.pid, 3);
			assert.equal(depth, 100_001);
			assert.ok([...stacks.keys()].every(stack => stack.split(';')[1] === marker), 'every sample has the marker at its root');
		} finally {
			await deeper.stop();
		}
	});
});
