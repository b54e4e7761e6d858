// --blocking: every thread is stopped (ptrace) around each sample and always resumed: after a
// capture, and after Ctrl-C or SIGTERM in the middle of one, the target runs on untraced.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {delay, parseCollapsed, python, runCli, shareOf, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

/** utime + stime of the whole process, in clock ticks. */
function cpuTicks(pid: number): number {
	const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return Number(fields[11]) + Number(fields[12]);
}

/** The target is not traced, no thread is stopped, and its spinning threads keep using CPU. */
async function runsOnNormally(pid: number): Promise<void> {
	assert.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), /^TracerPid:\s+0$/m, 'no tracer left');
	for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
		const state = /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1];
		assert.ok(state !== 't' && state !== 'T', `thread ${tid} is ${state}`);
	}

	// Two spinners on a loaded 2-core machine still get a few ticks (10 ms each) in a second.
	const before = cpuTicks(pid);
	await delay(1000);
	assert.ok(cpuTicks(pid) - before >= 5, 'the spinning threads go on spinning');
}

const versions = testPythons().filter(candidate => ['3.11', '3.13', '3.15'].includes(candidate.version));
for (const py of versions) {
	describe(`--blocking on Python ${py.version}`, () => {
		test('a blocking capture sees every thread, and the target runs on after it', async () => {
			const target = await startPython(py, 'threads.py');
			running.push(target);
			const out = path.join(tempDir(), 'blocking.txt');
			const {code, stderr} = await runCli(['attach', '--blocking', '-a', '-d', '1.5', '--realtime-stats', '--collapsed', '-o', out, String(target.pid)]);
			assert.equal(code, 0, stderr);
			assert.match(stderr, /Pause: [\d.]+µs\/sample/, 'the pause cost is reported');
			const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
			for (const name of ['spin_one', 'spin_two', 'sleeper', '<module>']) {
				assert.ok(shareOf(stacks, `threads.py:${name}:`) > 10, `${name} sampled`);
			}

			await runsOnNormally(target.pid);
			const dump = await runCli(['dump', '--blocking', '-a', String(target.pid)]);
			assert.equal(dump.code, 0, dump.stderr);
			assert.match(dump.stdout, /in spin_one/);
			assert.match(dump.stdout, /on CPU/, 'on-CPU state is taken before the threads stop');
			await runsOnNormally(target.pid);
			await target.stop();
		});

		for (const signal of ['SIGINT', 'SIGTERM'] as const) {
			test(`${signal} mid-capture: the profile is written and the target runs on`, async () => {
				const target = await startPython(py, 'threads.py');
				running.push(target);
				const out = path.join(tempDir(), 'interrupted.txt');
				const result = await runCli(['attach', '--blocking', '-a', '-r', '5khz', '--realtime-stats', '--collapsed', '-o', out, String(target.pid)], {
					onSpawn(child) {
						// Signal once sampling runs (the first stats line), in the middle of the capture.
						let sent = false;
						child.stderr!.on('data', (data: Buffer) => {
							if (!sent && data.toString().includes('Stats:')) {
								sent = true;
								setTimeout(() => child.kill(signal), 300);
							}
						});
					},
				});
				assert.equal(result.code, 0, result.stderr);
				assert.ok(shareOf(parseCollapsed(fs.readFileSync(out, 'utf8')), 'threads.py:spin_one:') > 10);
				await runsOnNormally(target.pid);
				await target.stop();
			});
		}
	});
}

test('--blocking with run is refused in one line', async () => {
	const py = python('3.11') ?? testPythons()[0]!;
	const {code, stderr} = await runCli(['run', '--blocking', '--python', py.path, 'x.py']);
	assert.equal(code, 2);
	assert.match(stderr, /^tachyon-top: --blocking works with attach and dump/);
});
