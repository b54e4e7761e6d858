// --diff-flamegraph: two real captures of the same program through the CLI (a --binary
// baseline, then --diff-flamegraph against it), before and after a change
// (changing_work got 3× slower, steady_work 3× faster, old_only replaced by new_only), drawn
// as a diff and checked in headless Chromium: colours, legend, before/after tooltip, the
// frames only one side has.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, test} from 'node:test';
import type {Browser, Page} from 'playwright-core';
import {diffFlamegraphHtml} from '../exporters/diff-flamegraph.js';
import {exporters} from '../exporters/index.js';
import {readBinaryProfile} from '../exporters/binary-reader.js';
import {UserError} from '../common/errors.js';
import {browserMissing, launchBrowser, maybeScreenshot, openFile} from './browser-helpers.js';
import {python, runCli, startPython, tempDir, testPythons} from './helpers.js';

const skip = browserMissing();
const interpreter = python('3.13') ?? testPythons().at(-1);
let browser: Browser | undefined;
const dir = tempDir();
const baselineFile = path.join(dir, 'baseline.bin');
const file = path.join(dir, 'diff.html');

/** Runs html-diff.py in a mode and has the CLI sample it for 2 s with these output flags. */
async function capture(mode: string, output: string[]): Promise<void> {
	const target = await startPython(interpreter!, 'html-diff.py', [mode]);
	try {
		const result = await runCli(['attach', String(target.pid), '-d', '2', ...output]);
		assert.equal(result.code, 0, result.stderr);
	} finally {
		await target.stop();
	}
}

before(async () => {
	if (!interpreter) {
		return;
	}

	// The whole user path: a binary baseline, then a capture diffed against it.
	await capture('baseline', ['--binary', '-o', baselineFile]);
	await capture('current', ['--diff-flamegraph', baselineFile, '-o', file]);
	if (!skip) {
		browser = await launchBrowser();
	}
});

after(async () => {
	await browser?.close();
});

function rgb(fill: string): [number, number, number] {
	const match = /rgb\((\d+), (\d+), (\d+)\)/.exec(fill);
	if (match) {
		return [Number(match[1]), Number(match[2]), Number(match[3])];
	}

	const hex = /^#([\da-f]{2})([\da-f]{2})([\da-f]{2})$/i.exec(fill);
	assert.ok(hex, `a colour: ${fill}`);
	return [Number.parseInt(hex[1]!, 16), Number.parseInt(hex[2]!, 16), Number.parseInt(hex[3]!, 16)];
}

async function fillOf(page: Page, prefix: string): Promise<string> {
	return page.evaluate(prefix => {
		const frame = [...document.querySelectorAll('#chart g.frame')].find(g => (g.getAttribute('name') ?? '').startsWith(prefix));
		return frame?.querySelector('rect')?.getAttribute('fill') ?? '';
	}, prefix);
}

test('without a baseline the exporter refuses with a clear message', {skip: interpreter ? false : 'no test Python'}, () => {
	const {profile} = readBinaryProfile(fs.readFileSync(baselineFile));
	assert.throws(() => exporters['diff-flamegraph'].export(profile, {}), (error: unknown) => error instanceof UserError && /baseline/.test(error.message));
	// And the page is built from any two profiles (here the baseline against itself: no change).
	assert.match(diffFlamegraphHtml(profile, profile), /changing_work/);
});

test('slower frames are red, faster blue, new ones marked, with a legend', {skip: skip ?? (interpreter ? false : 'no test Python')}, async () => {
	const {page, errors, requests, loadMs} = await openFile(browser!, file);
	await page.waitForSelector('#chart svg g.frame');
	process.stdout.write(`# diff flame graph loaded in ${loadMs} ms\n`);
	assert.deepEqual(errors, []);
	assert.deepEqual(requests, []);
	const legend = await page.textContent('#legend') ?? '';
	assert.match(legend, /faster/);
	assert.match(legend, /slower/);
	assert.match(legend, /only in this run/);
	const [slowRed, slowGreen, slowBlue] = rgb(await fillOf(page, 'changing_work'));
	assert.ok(slowRed > slowBlue + 40 && slowRed > slowGreen + 40, `changing_work is red: ${slowRed},${slowGreen},${slowBlue}`);
	const [fastRed, , fastBlue] = rgb(await fillOf(page, 'steady_work'));
	assert.ok(fastBlue > fastRed + 40, `steady_work is blue: ${fastRed},${fastBlue}`);
	assert.equal((await fillOf(page, 'new_only')).toLowerCase(), '#8e24aa', 'new_only is marked as new');
	assert.equal(await fillOf(page, 'old_only'), '', 'old_only has no width in this run');
	const removed = await page.textContent('#removed') ?? '';
	assert.match(removed, /old_only \(.*html-diff\.py:\d+\)/, 'old_only is listed as only in the baseline');
	assert.doesNotMatch(removed, /new_only/);
	await maybeScreenshot(page, 'diff-flamegraph.png');
	await page.close();
});

test('the tooltip gives before and after numbers', {skip: skip ?? (interpreter ? false : 'no test Python')}, async () => {
	const {page, errors} = await openFile(browser!, file);
	await page.waitForSelector('#chart svg g.frame');
	await page.locator('#chart g.frame[name^="changing_work"]').first().hover();
	await page.waitForSelector('#tooltip', {state: 'visible'});
	const slow = await page.textContent('#tooltip') ?? '';
	assert.match(slow, /Before[\d,]+ samples/);
	assert.match(slow, /After[\d,]+ samples/);
	assert.match(slow, /Change\+[\d.]+% slower/);
	const before = Number(/Before([\d,]+)/.exec(slow)![1]!.replaceAll(',', ''));
	const afterCount = Number(/After([\d,]+)/.exec(slow)![1]!.replaceAll(',', ''));
	// 3× the work in the same 2 s of sampling: clearly more samples, whatever the machine load.
	assert.ok(afterCount > before * 1.3, `after ${afterCount} vs before ${before}`);
	// "Compare shares" scales the baseline to this run's sample count.
	const factor = await page.evaluate(() => {
		const {diff} = (window as unknown as {PROFILE_DATA: {diff: {currentSamples: number; baselineSamples: number; scale: number}}}).PROFILE_DATA;
		return diff.currentSamples / (diff.baselineSamples * diff.scale);
	});
	await page.check('#normalise');
	await page.mouse.move(0, 0);
	await page.locator('#chart g.frame[name^="changing_work"]').first().hover();
	await page.waitForTimeout(100);
	const scaled = Number(/Before([\d,]+)/.exec(await page.textContent('#tooltip') ?? '')![1]!.replaceAll(',', ''));
	assert.ok(Math.abs(scaled - (before * factor)) <= 1.5, `normalised before ${scaled} = ${before} × ${factor.toFixed(3)}`);
	await page.locator('#chart g.frame[name^="new_only"]').first().hover();
	await page.waitForTimeout(100);
	assert.match(await page.textContent('#tooltip') ?? '', /not present \(new in this run\)/);
	assert.deepEqual(errors, []);
	await page.close();
});
