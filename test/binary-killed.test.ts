// A --binary capture killed with SIGKILL keeps all but its last second: the writer makes the
// file complete at least every second, so our replay and Tachyon's read what was written.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {readBinaryProfile} from '../exporters/binary-reader.js';
import {delay, python, runCli, startPython, tempDir, testPythons} from './helpers.js';

const dir = tempDir('tachyon-top-killed-');
const interpreter = python('3.15') ?? testPythons().at(-1);
const tachyon = python('3.15');
after(() => {
	fs.rmSync(dir, {recursive: true, force: true});
});

/** The file has been made complete at least once, with samples (its header's count). */
function checkpointed(file: string): boolean {
	try {
		const fd = fs.openSync(file, 'r');
		const head = Buffer.alloc(64);
		fs.readSync(fd, head, 0, 64, 0);
		fs.closeSync(fd);
		return head.toString('latin1', 0, 4) === 'HCAT' && head.readBigUInt64LE(28) > 0n;
	} catch {
		return false;
	}
}

describe('a killed --binary capture', {skip: interpreter ? false : 'no test Python'}, () => {
	test('SIGKILL after a few seconds: the file replays (ours and Tachyon\'s), missing at most its last second', {timeout: 120_000}, async () => {
		const target = await startPython(interpreter!, 'binary-workload.py');
		const file = path.join(dir, 'killed.bin');
		let killedAfterMs = 0;
		try {
			const capture = runCli(['attach', '-a', '-d', '60', '--binary', '-o', file, String(target.pid)], {
				timeoutMs: 90_000,
				onSpawn(child) {
					void (async () => {
						const deadline = Date.now() + 30_000;
						while (!checkpointed(file) && Date.now() < deadline) {
							await delay(20);
						}

						const first = Date.now();
						await delay(3000);
						killedAfterMs = Date.now() - first;
						child.kill('SIGKILL');
					})();
				},
			});
			const result = await capture;
			assert.equal(result.code, null, 'killed');
		} finally {
			await target.stop();
		}

		const {profile} = readBinaryProfile(fs.readFileSync(file));
		// Sampling ran killedAfterMs after the first checkpoint (and some before it); the last
		// checkpoint came at most a second before the kill (checkpoints every 0.75 s, a batch held
		// back, a busy main thread).
		const sampledS = profile.stats.elapsedUs / 1e6;
		assert.ok(sampledS >= (killedAfterMs / 1000) - 1, `${sampledS.toFixed(2)} s sampled, killed ${killedAfterMs} ms after the first checkpoint`);
		assert.ok(profile.samples > 100, `${profile.samples} samples`);
		if (tachyon) {
			const out = path.join(dir, 'killed-tachyon.txt');
			execFileSync(tachyon.path, ['-m', 'profiling.sampling', 'replay', '--collapsed', '-o', out, file], {stdio: 'pipe', timeout: 60_000});
			assert.match(fs.readFileSync(out, 'utf8'), /binary-workload\.py:crunch:/);
		}
	});

	test('killed at random moments (10 rounds): every file written since the first second replays', {timeout: 300_000}, async () => {
		const target = await startPython(interpreter!, 'binary-workload.py');
		try {
			for (let round = 0; round < 10; round++) {
				const file = path.join(dir, `random-${round}.bin`);
				await runCli(['attach', '-a', '-r', '5000', '-d', '60', '--binary', '-o', file, String(target.pid)], {
					timeoutMs: 90_000,
					onSpawn(child) {
						void (async () => {
							const deadline = Date.now() + 30_000;
							while (!checkpointed(file) && Date.now() < deadline) {
								await delay(10);
							}

							await delay(137 * (round + 1));
							child.kill('SIGKILL');
						})();
					},
				});
				const {profile} = readBinaryProfile(fs.readFileSync(file));
				assert.ok(profile.samples > 0, `round ${round}`);
			}
		} finally {
			await target.stop();
		}
	});
});
