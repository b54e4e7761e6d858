// sampler/thread-activity.ts on real processes: a process asleep reads as quiet, and a look
// after it ran (a signal handled, a thread started) never does: `--async-aware all` repeats its
// last rewrite without reading the target's pages only while no look says otherwise.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {after, test} from 'node:test';
import {ThreadActivity} from '../sampler/thread-activity.js';
import {delay, startPython, testPythons, type PythonProcess} from './helpers.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

const python = testPythons()[0]!;

/** The kernel counts switch-ins (schedstat's third field): without it no look is ever quiet. */
function kernelCountsSwitchIns(): boolean {
	return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').trim().split(' ')[2]) > 0;
}

/** The kernel names where a sleeping thread of `pid` waits (/proc/PID/wchan; "0" without kernel symbols). */
async function kernelNamesWchan(pid: number): Promise<boolean> {
	for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
		if (fs.readFileSync(`/proc/${pid}/wchan`, 'latin1').trim() !== '0') {
			return true;
		}

		await delay(5);
	}

	return false;
}

/** Looks until one is quiet; false when none is within the deadline. */
async function untilQuiet(activity: ThreadActivity, deadlineMs = 30_000): Promise<boolean> {
	for (const deadline = Date.now() + deadlineMs; Date.now() < deadline;) {
		if (activity.quietSinceLastLook()) {
			return true;
		}

		await delay(2);
	}

	return false;
}

/** Waits for `text` in the target's output (it printed it, so it ran). */
async function until(target: PythonProcess, text: string): Promise<void> {
	for (const deadline = Date.now() + 30_000; !target.output().includes(text);) {
		assert.ok(Date.now() < deadline, `no "${text}" within 30 s: ${target.output()}`);
		await delay(2);
	}
}

test('a sleeping process reads as quiet; the first look after it ran (a signal handled, a thread started) does not', async t => {
	if (!kernelCountsSwitchIns()) {
		t.skip('this kernel keeps no switch-in counts (/proc/PID/schedstat reads 0 0 0): no look is ever quiet');
		return;
	}

	const target = await startPython(python, 'wake_on_signal.py');
	running.push(target);
	if (!await kernelNamesWchan(target.pid)) {
		await target.stop();
		t.skip('this kernel names no wchan for a sleeping thread (no kernel symbols): no look is ever quiet');
		return;
	}

	const activity = new ThreadActivity(target.pid);
	try {
		assert.equal(activity.quietSinceLastLook(), false, 'the first look is never quiet');
		for (let round = 1; round <= 20; round++) {
			assert.ok(await untilQuiet(activity), `round ${round}: the process never read as quiet while it slept`);
			target.child.kill('SIGUSR1');
			await until(target, `woke ${round}`);
			assert.equal(activity.quietSinceLastLook(), false, `round ${round}: it handled a signal since the last look`);
		}

		target.child.kill('SIGUSR2');
		await until(target, 'thread 1');
		assert.equal(activity.quietSinceLastLook(), false, 'a thread started since the last look');
		assert.ok(await untilQuiet(activity), 'the process and its new thread, both asleep, never read as quiet');
	} finally {
		activity.close();
		await target.stop();
	}
});

test('a process that never sleeps never reads as quiet', async () => {
	const target = await startPython(python, 'wake_on_signal.py', ['spin']);
	running.push(target);
	const activity = new ThreadActivity(target.pid);
	try {
		// A number of looks, not a time: on a loaded machine a millisecond's delay can take 100.
		for (let look = 1; look <= 50; look++) {
			assert.equal(activity.quietSinceLastLook(), false, `look ${look} read a spinning process as quiet`);
			await delay(1);
		}

	} finally {
		activity.close();
		await target.stop();
	}
});
