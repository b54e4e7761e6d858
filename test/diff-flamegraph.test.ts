// --diff-flamegraph: two real captures of the same program through the CLI (a --binary
// baseline, then --diff-flamegraph against it), before and after a change
// (changing_work got 3× slower, steady_work 3× faster, old_only replaced by new_only), drawn
// as a diff and checked in headless Chromium: colours, legend, before/after tooltip (shares
// by default, absolute counts on request), the frames only one side has, the inverted view;
// and a shorter run of an unchanged program, which must not look faster by shares.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, test} from 'node:test';
import type {Browser, Page} from 'playwright-core';
import {diffFlamegraphHtml} from '../exporters/diff-flamegraph.js';
import {exporters} from '../exporters/index.js';
import type {Profile} from '../exporters/model.js';
import {readBinaryProfile} from '../exporters/binary-reader.js';
import {UserError} from '../common/errors.js';
import {browserMissing, captureProfile, launchBrowser, maybeScreenshot, openFile, readUntil} from './browser-helpers.js';
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
		// The widest of the frames so named: on a loaded machine a few samples land on rare
		// paths (in the inverted view, changing_work's own lines beside spin), each a sliver of
		// its own, and one only the current run has is marked new. The first in document order
		// was such a sliver once (test:load), not the frame the test means.
		const width = (g: Element) => Number(g.querySelector('rect')?.getAttribute('width') ?? 0);
		const frames = [...document.querySelectorAll('#chart g.frame')].filter(g => (g.getAttribute('name') ?? '').startsWith(prefix));
		const frame = frames.reduce<Element | undefined>((widest, g) => (widest === undefined || width(g) > width(widest) ? g : widest), undefined);
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

test('the tooltip gives before and after shares, and counts with "absolute counts"', {skip: skip ?? (interpreter ? false : 'no test Python')}, async () => {
	const {page, errors} = await openFile(browser!, file);
	await page.waitForSelector('#chart svg g.frame');
	assert.equal(await page.isChecked('#absolute'), false, 'shares by default');
	assert.match(await page.textContent('#legend') ?? '', /colour = change in share of samples/);
	await page.locator('#chart g.frame[name^="changing_work"]').first().hover();
	await page.waitForSelector('#tooltip', {state: 'visible'});
	const shares = await page.textContent('#tooltip') ?? '';
	const beforeShare = Number(/Before([\d.]+)% of the baseline \(([\d,]+) samples\)/.exec(shares)?.[1]);
	const afterShare = Number(/After([\d.]+)% of this run \(([\d,]+) samples\)/.exec(shares)?.[1]);
	// changing_work: 37.5% of the baseline's loop, 75% of the current one's (less when a loaded
	// machine delays samples unevenly, but it always grows).
	assert.ok(afterShare > beforeShare, `share ${beforeShare}% → ${afterShare}%: ${shares}`);
	assert.match(shares, /Change\+[\d.]+% of share slower/);
	// Absolute counts: the same frame in samples (interval-scaled baseline), self included.
	await page.check('#absolute');
	assert.match(await page.textContent('#legend') ?? '', /colour = change in samples/);
	await page.mouse.move(0, 0);
	await page.locator('#chart g.frame[name^="changing_work"]').first().hover();
	const counts = await readUntil(page, async () => await page.textContent('#tooltip') ?? '', tooltip => /Before[\d,]+ samples/.test(tooltip));
	assert.match(counts, /Before[\d,]+ samples \(self [\d,]+\)/);
	assert.match(counts, /After[\d,]+ samples \(self [\d,]+\)/);
	const before = Number(/Before([\d,]+)/.exec(counts)![1]!.replaceAll(',', ''));
	const afterCount = Number(/After([\d,]+)/.exec(counts)![1]!.replaceAll(',', ''));
	// 3× the work in the same 2 s of sampling: clearly more samples, whatever the machine load.
	assert.ok(afterCount > before * 1.3, `after ${afterCount} vs before ${before}`);
	// The share view's baseline figure is the count view's, as a share of the baseline total.
	// The count is shown rounded, and the baseline is interval-scaled (not whole samples when the
	// two runs' intervals differ, as on a loaded machine): half a sample of the total, plus the
	// share's own rounding to 0.01 (test:load: 37.31 % for 746 of 2,001 shown, 746.5 really).
	const baselineTotal = await page.evaluate(() => (window as unknown as {PROFILE_DATA: {tree: {b: number}}}).PROFILE_DATA.tree.b);
	assert.ok(Math.abs(beforeShare - (100 * before / baselineTotal)) <= (50 / baselineTotal) + 0.005, `${beforeShare}% = ${before} of ${baselineTotal}`);
	await page.locator('#chart g.frame[name^="new_only"]').first().hover();
	assert.match(await readUntil(page, async () => await page.textContent('#tooltip') ?? '', tooltip => /not present/.test(tooltip)), /not present \(new in this run\)/);
	// The hot spots give each function's change too: points of share by default, samples here
	// (±0 when both runs sampled spin equally often: 2,001 each on a quiet machine).
	assert.match(await page.textContent('#hotspot-list') ?? '', /[+−±][\d,]+(?! pts)/);
	await page.uncheck('#absolute');
	// In points of share: the workload's only self time is spin's, 100 % in both runs, so its
	// change may well be ±0.0 pts.
	assert.match(await page.textContent('#hotspot-list') ?? '', /[+−±][\d.]+ pts/);
	assert.deepEqual(errors, []);
	await page.close();
});

type Fill = {name: string; rgb: [number, number, number]};

/** Largest frames (over 5% of the chart) by name, with their fill as [r, g, b], once `done` holds of them (see readUntil). */
async function wideFills(page: Page, done: (fills: Fill[]) => boolean): Promise<Fill[]> {
	return readUntil(page, async () => readWideFills(page), done);
}

async function readWideFills(page: Page): Promise<Fill[]> {
	const frames = await page.evaluate(() => {
		const width = Number(document.querySelector('#chart svg')!.getAttribute('width'));
		return [...document.querySelectorAll('#chart g.frame')]
			.filter(g => Number(g.querySelector('rect')!.getAttribute('width')) > width * 0.05)
			.map(g => ({name: g.getAttribute('name') ?? '', fill: g.querySelector('rect')!.getAttribute('fill') ?? ''}));
	});
	return frames.map(frame => ({name: frame.name, rgb: rgb(frame.fill)}));
}

test('a shorter run of the same program is not "faster" everywhere: shares by default', {skip: skip ?? (interpreter ? false : 'no test Python')}, async () => {
	// The same program, unchanged: 3 s of baseline, then only 1 s.
	const profiles: Profile[] = [];
	for (const seconds of [3, 1]) {
		const target = await startPython(interpreter!, 'html-diff.py', ['baseline']);
		try {
			profiles.push(await captureProfile(target.pid, seconds));
		} finally {
			await target.stop();
		}
	}

	const short = path.join(dir, 'shorter.html');
	fs.writeFileSync(short, diffFlamegraphHtml(profiles[1]!, profiles[0]));
	const {page, errors} = await openFile(browser!, short);
	await page.waitForSelector('#chart svg g.frame');
	const keepShares = (fills: Fill[]) => fills.length >= 4 && fills.every(({rgb: [red, , blue]}) => Math.abs(blue - red) < 80);
	const shared = await wideFills(page, keepShares);
	assert.ok(shared.length >= 4, `wide frames: ${shared.map(frame => frame.name).join(', ')}`);
	for (const {name, rgb: [red, , blue]} of shared) {
		// Sampling noise tints a frame at most faintly; a third of the samples would be deep blue.
		assert.ok(Math.abs(blue - red) < 80, `${name} keeps its share: rgb ${red}, ${blue}`);
	}

	await page.check('#absolute');
	const counted = await wideFills(page, fills => fills.length > 0 && fills.every(({rgb: [red, , blue]}) => blue - red > 80));
	for (const {name, rgb: [red, , blue]} of counted) {
		assert.ok(blue - red > 80, `${name} has about a third of the samples: rgb ${red}, ${blue}`);
	}

	assert.deepEqual(errors, []);
	await page.close();
});

test('the inverted view of a diff compares the functions that ran, with their callers', {skip: skip ?? (interpreter ? false : 'no test Python')}, async () => {
	const {page, errors} = await openFile(browser!, file);
	await page.waitForSelector('#chart svg g.frame');
	await page.check('#invert');
	// spin() is where every function spends its time: at the root (nearly the chart's width), its callers beyond it.
	await readUntil(page, async () => page.evaluate(() => {
		const chart = Number(document.querySelector('#chart svg')!.getAttribute('width'));
		const widths = [...document.querySelectorAll('#chart g.frame')]
			.filter(g => (g.getAttribute('name') ?? '').startsWith('spin ('))
			.map(g => Number(g.querySelector('rect')!.getAttribute('width')));
		return Math.max(0, ...widths) / chart;
	}), share => share > 0.9);
	const widest = await page.evaluate(() => [...document.querySelectorAll('#chart g.frame')]
		.filter(g => (g.getAttribute('name') ?? '').startsWith('spin ('))
		.map(g => ({name: g.getAttribute('name')!, width: Number(g.querySelector('rect')!.getAttribute('width'))}))
		.sort((a, b) => b.width - a.width)[0]!.name);
	await page.locator(`#chart g.frame[name=${JSON.stringify(widest)}]`).first().hover();
	await page.waitForSelector('#tooltip', {state: 'visible'});
	const text = await page.textContent('#tooltip') ?? '';
	assert.match(text, /Before[\d.]+% of the baseline/);
	assert.match(await fillOf(page, 'changing_work'), /^rgb\(235, \d+, \d+\)$/, 'changing_work, above spin, is red');
	assert.equal((await fillOf(page, 'new_only')).toLowerCase(), '#8e24aa', 'new_only is marked as new');
	assert.ok(!(await page.isVisible('#thread')), 'no thread choice: the baseline has no per-thread figures');
	assert.deepEqual(errors, []);
	await page.close();
});
