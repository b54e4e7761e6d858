// After the live view's reset (r), an export holds what the view holds: the samples since the
// reset, and the sampling time and counts of that span only (a flame graph's header once said
// "50,340 samples · 179.94 s" for some 40 s of data).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, test} from 'node:test';
import {pageStats} from '../exporters/html.js';
import {exporters} from '../exporters/index.js';
import {delay, python, testPythons} from './helpers.js';
import {startLiveTarget, type LiveTarget} from './live-helpers.js';

let target: LiveTarget | undefined;
after(async () => {
	target?.store.stop();
	await target?.python.stop();
});

async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
		await delay(50);
	}
}

test('an export after r covers the time and samples since r', async () => {
	target = await startLiveTarget(python('3.11') ?? testPythons()[0]!);
	const {store} = target;
	const {profile} = store;
	await waitFor(() => profile.stats.elapsedUs > 3e6, '3 s of sampling');
	const before = profile.stats;
	store.reset();
	const resetAt = performance.now();
	await waitFor(() => profile.samples > 300 && profile.stats.elapsedUs - before.elapsedUs > 1e6, 'samples after the reset');
	const sinceReset = (performance.now() - resetAt) / 1000;
	store.stop();
	await store.finished;

	const stats = pageStats(profile);
	assert.equal(stats.samples, profile.samples);
	assert.ok(stats.durationS <= sinceReset + 0.5, `the header says ${stats.durationS} s; ${sinceReset.toFixed(2)} s passed since the reset`);
	assert.ok(stats.durationS >= 0.8, `${stats.durationS} s`);
	// The pstats table agrees: attempts since the reset, not since the attach.
	const table = exporters.pstats.export(profile, {}) as {data: string};
	const captured = /Captured ([\d,]+) samples in ([\d.]+) seconds/.exec(table.data);
	assert.ok(captured, table.data);
	assert.ok(Number(captured[2]) <= sinceReset + 0.5, table.data);
	assert.ok(Number(captured[1]!.replaceAll(',', '')) <= profile.stats.attempts - before.attempts, table.data);
	// And the times of its rows add up to that span, not to the whole attach.
	const totalDirect = [...table.data.matchAll(/^ +\d+\/\d+ +[\d.]+ +([\d.]+) /gm)].reduce((sum, match) => sum + Number(match[1]), 0);
	const unit = /tottime \((s|ms|μs)\)/.exec(table.data)![1];
	const seconds = totalDirect * ({s: 1, ms: 1e-3, μs: 1e-6}[unit as 's']);
	assert.ok(seconds <= (sinceReset + 0.5) * profile.threads.size, `${seconds} s of direct time`);
	// A binary export of the reset view says the same span.
	const file = path.join(target.dir, 'after-reset.bin');
	fs.writeFileSync(file, (exporters.binary.export(profile, {}) as {data: Uint8Array}).data);
	const {readBinaryProfile} = await import('../exporters/binary-reader.js');
	const replayed = readBinaryProfile(fs.readFileSync(file)).profile;
	assert.equal(replayed.samples, profile.samples);
	assert.ok(replayed.summary().durationS <= sinceReset + 0.5, `${replayed.summary().durationS}`);
});
