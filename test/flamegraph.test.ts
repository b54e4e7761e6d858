// --flamegraph: a real capture of a real Python process, written by the CLI, opened in
// headless Chromium: no console error, no request, click zooms, search highlights and tells
// the matching share, the tooltip has samples / % / file:line, the thread selector switches
// the view; the inverted view, the icicle orientation, the hot spots sidebar and the dark
// theme. Also: a 100k-frame synthetic profile stays drawable (rendering speed only), and
// names with markup stay text.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, test} from 'node:test';
import type {Browser, Page} from 'playwright-core';
import {flamegraphHtml} from '../exporters/flamegraph.js';
import {Profile} from '../exporters/model.js';
import {browserMissing, launchBrowser, maybeScreenshot, openFile, readUntil} from './browser-helpers.js';
import {fixtures, runCli, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';

const skip = browserMissing();
const interpreter = testPythons().at(-1);
let browser: Browser | undefined;
let target: PythonProcess | undefined;
let file = '';

before(async () => {
	if (skip) {
		return;
	}

	browser = await launchBrowser();
	if (!interpreter) {
		return;
	}

	target = await startPython(interpreter, 'html-flame.py');
	file = path.join(tempDir(), 'flame.html');
	const result = await runCli(['attach', String(target.pid), '-a', '-d', '2', '--flamegraph', '-o', file]);
	assert.equal(result.code, 0, result.stderr);
});

after(async () => {
	await target?.stop();
	await browser?.close();
});

/** Widest frame whose name starts with `prefix` (a function has one per sampled line), and the chart's width, in px. */
async function frameWidth(page: Page, prefix: string): Promise<{frame: number; all: number; chart: number}> {
	return page.evaluate(prefix => {
		const svg = document.querySelector('#chart svg')!;
		const widths = [...svg.querySelectorAll('g.frame')]
			.filter(g => (g.getAttribute('name') ?? '').startsWith(prefix))
			.map(g => Number(g.querySelector('rect')!.getAttribute('width')));
		return {frame: Math.max(0, ...widths), all: widths.reduce((sum, width) => sum + width, 0), chart: Number(svg.getAttribute('width'))};
	}, prefix);
}

async function frameCount(page: Page, prefix: string): Promise<number> {
	return page.evaluate(prefix => [...document.querySelectorAll('#chart g.frame')]
		.filter(g => (g.getAttribute('name') ?? '').startsWith(prefix) && Number(g.querySelector('rect')!.getAttribute('width')) > 0).length, prefix);
}

test('the flame graph of a real process loads with no error and no request, and shows its functions', {skip: skip ?? (interpreter ? false : 'no test Python')}, async () => {
	const html = fs.readFileSync(file, 'utf8');
	assert.ok(!/<script[^>]+src=|<link[^>]+href=/i.test(html), 'no external script or stylesheet');
	const {page, errors, requests, loadMs} = await openFile(browser!, file);
	await page.waitForSelector('#chart svg g.frame');
	process.stdout.write(`# flame graph (${fs.statSync(file).size} bytes) loaded in ${loadMs} ms\n`);
	assert.deepEqual(errors, []);
	assert.deepEqual(requests, []);
	// Frames grow in with an animation (from width 0): look once the widths have stopped changing.
	let settled = await frameWidth(page, 'flame_leaf_alpha');
	for (let attempt = 0; attempt < 30; attempt++) {
		await page.waitForTimeout(100);
		const again = await frameWidth(page, 'flame_leaf_alpha');
		if (again.all === settled.all && again.all > 0) {
			break;
		}

		settled = again;
	}

	for (const name of ['flame_middle', 'flame_leaf_alpha', 'flame_leaf_beta', 'worker_only_spin', 'Program Root']) {
		assert.ok(await frameCount(page, name) > 0, `${name} is drawn`);
	}

	// The page's tree holds every sample exactly once: the root is the total, threads add up to it.
	const totals = await page.evaluate(() => {
		const data = (window as unknown as {PROFILE_DATA: {tree: {v: number}; stats: {samples: number}; threads: Array<{samples: number}>}}).PROFILE_DATA;
		return {root: data.tree.v, samples: data.stats.samples, threads: data.threads.reduce((sum, thread) => sum + thread.samples, 0)};
	});
	assert.ok(totals.root > 500, `${totals.root} samples`);
	assert.equal(totals.root, totals.samples);
	assert.equal(totals.threads, totals.root);
	// alpha runs twice as long as beta under the same parent.
	const alpha = await frameWidth(page, 'flame_leaf_alpha');
	const beta = await frameWidth(page, 'flame_leaf_beta');
	assert.ok(alpha.all > beta.all * 1.2, `alpha ${alpha.all}px wider than beta ${beta.all}px`);
	// The header tells how threads spent the samples.
	assert.match(await page.textContent('#stats') ?? '', /GIL held [\d.]+%/);
	await maybeScreenshot(page, 'flamegraph.png');
	await page.close();
});

test('a click zooms: the clicked frame takes the full width, reset brings it back', {skip: skip ?? (interpreter ? false : 'no test Python')}, async () => {
	const {page, errors} = await openFile(browser!, file);
	await page.waitForSelector('#chart svg g.frame');
	const before = await frameWidth(page, 'flame_leaf_beta');
	assert.ok(before.frame < before.chart * 0.7, `beta starts narrow (${before.frame}px of ${before.chart}px)`);
	// The widest beta frame (its main line): a real mouse click on it.
	const name = await page.evaluate(() => [...document.querySelectorAll('#chart g.frame')]
		.filter(g => (g.getAttribute('name') ?? '').startsWith('flame_leaf_beta'))
		.sort((a, b) => Number(b.querySelector('rect')!.getAttribute('width')) - Number(a.querySelector('rect')!.getAttribute('width')))[0]!
		.getAttribute('name')!);
	await page.locator(`#chart g.frame[name=${JSON.stringify(name)}]`).click();
	const zoomed = await readUntil(page, async () => frameWidth(page, 'flame_leaf_beta'), width => width.frame >= width.chart * 0.99);
	assert.ok(zoomed.frame >= zoomed.chart * 0.99, `zoomed to ${zoomed.frame}px of ${zoomed.chart}px`);
	assert.equal(await readUntil(page, async () => frameCount(page, 'flame_other'), count => count === 0), 0, 'a sibling subtree is hidden');
	await page.click('#reset');
	const reset = await readUntil(page, async () => frameWidth(page, 'flame_leaf_beta'), width => width.frame < before.chart * 0.7);
	assert.ok(reset.frame < before.chart * 0.7, `back to ${reset.frame}px of ${reset.chart}px`);
	assert.deepEqual(errors, []);
	await page.close();
});

test('search highlights the matching frames and shows their share of samples', {skip: skip ?? (interpreter ? false : 'no test Python')}, async () => {
	const {page, errors} = await openFile(browser!, file);
	await page.waitForSelector('#chart svg g.frame');
	await page.fill('#search', 'flame_leaf_alpha');
	const found = /(\d+) frames? match(?:es)?, ([\d.]+)% of samples/;
	const text = await readUntil(page, async () => page.textContent('#search-result'), result => found.test(result ?? ''));
	const match = found.exec(text ?? '');
	assert.ok(match, `search result: ${text}`);
	// Main thread: alpha ≈ 2/3 of its busy loop; the worker thread has its own samples.
	const share = Number(match[2]);
	assert.ok(share > 3 && share < 80, `alpha's share ${share}%`);
	const fills = await page.evaluate(() => [...document.querySelectorAll('#chart g.frame')]
		.map(g => [g.getAttribute('name') ?? '', g.querySelector('rect')!.getAttribute('fill')]));
	const highlighted = fills.filter(([, fill]) => fill?.toUpperCase() === '#E600E6').map(([name]) => name);
	assert.ok(highlighted.length > 0 && highlighted.every(name => name!.includes('flame_leaf_alpha')), `highlighted: ${highlighted.join(', ')}`);
	// A term with regular-expression characters is plain text, not an error.
	await page.fill('#search', '(((');
	assert.equal(await readUntil(page, async () => page.textContent('#search-result'), result => result === 'no match'), 'no match');
	assert.deepEqual(errors, []);
	await page.close();
});

test('the tooltip shows samples, percentage and file:line', {skip: skip ?? (interpreter ? false : 'no test Python')}, async () => {
	const {page, errors} = await openFile(browser!, file);
	await page.waitForSelector('#chart svg g.frame');
	await page.locator('#chart g.frame[name^="flame_leaf_alpha"]').first().hover();
	await page.waitForSelector('#tooltip', {state: 'visible'});
	const text = await page.textContent('#tooltip') ?? '';
	assert.match(text, /flame_leaf_alpha/);
	assert.match(text, /html-flame\.py:\d+/);
	assert.match(text, /Samples[\d,]+ \([\d.]+%\)/);
	assert.match(text, /Self[\d,]+ \([\d.]+%\)/);
	// The sampled line's code, read from the script on disk.
	// (File row "…html-flame.py:9" is followed by the code row "9: …".)
	const line = Number(/html-flame\.py:(\d+)\1: /.exec(text)?.[1]);
	const code = fs.readFileSync(path.join(fixtures, 'html-flame.py'), 'utf8').split('\n')[line - 1]!.trim();
	assert.ok(text.includes(`${line}: ${code}`), `tooltip shows line ${line}: ${code}`);
	assert.deepEqual(errors, []);
	await page.close();
});

test('the thread selector shows one thread at a time', {skip: skip ?? (interpreter ? false : 'no test Python')}, async () => {
	const {page, errors} = await openFile(browser!, file);
	await page.waitForSelector('#chart svg g.frame');
	const options = await page.$$eval('#thread option', elements => elements.map(element => [element.getAttribute('value'), element.textContent]));
	assert.ok(options.length >= 3, `all threads + 2 threads: ${JSON.stringify(options)}`);
	const worker = options.find(([, label]) => label?.includes('html-worker'));
	assert.ok(worker, 'the worker thread is listed by name');
	const counts = async () => ({worker: await frameCount(page, 'worker_only_spin'), main: await frameCount(page, 'flame_middle')});
	await page.selectOption('#thread', worker[0]!);
	const workerOnly = await readUntil(page, counts, count => count.worker > 0 && count.main === 0);
	assert.ok(workerOnly.worker > 0);
	assert.equal(workerOnly.main, 0, 'main-thread frames are gone');
	const main = options.find(([value, label]) => value !== '-1' && !label?.includes('html-worker'))!;
	await page.selectOption('#thread', main[0]!);
	const mainOnly = await readUntil(page, counts, count => count.main > 0 && count.worker === 0);
	assert.ok(mainOnly.main > 0);
	assert.equal(mainOnly.worker, 0);
	assert.deepEqual(errors, []);
	await page.close();
});

type FrameInfo = {name: string; parent: string; depth: number; y: number; width: number; fill: string};

/** Every drawn frame with its parent's name and depth (from the d3 data bound to it), its y and width in px. */
async function drawnFrames(page: Page): Promise<FrameInfo[]> {
	return page.evaluate(() => {
		type Datum = {depth: number; parent: {data: {name: string}} | null; data: {name: string}};
		const d3 = (window as unknown as {d3: {select(element: Element): {datum(): Datum}}}).d3;
		return [...document.querySelectorAll('#chart g.frame')].map(g => {
			const datum = d3.select(g).datum();
			const y = Number(/translate\([^,]+,([^)]+)\)/.exec(g.getAttribute('transform') ?? '')?.[1]);
			return {name: datum.data.name, parent: datum.parent?.data.name ?? '', depth: datum.depth, y, width: Number(g.querySelector('rect')!.getAttribute('width')), fill: g.querySelector('rect')!.getAttribute('fill') ?? ''};
		});
	});
}

/** Waits until no frame moves or grows any more (d3 animates each change). */
async function settled(page: Page): Promise<FrameInfo[]> {
	let frames = await drawnFrames(page);
	for (let attempt = 0; attempt < 40; attempt++) {
		await page.waitForTimeout(100);
		const again = await drawnFrames(page);
		if (JSON.stringify(again) === JSON.stringify(frames)) {
			return again;
		}

		frames = again;
	}

	return frames;
}

test('the inverted view puts the functions that ran at the root and their callers beyond, per thread', {skip: skip ?? (interpreter ? false : 'no test Python')}, async () => {
	const {page, errors} = await openFile(browser!, file);
	await page.waitForSelector('#chart svg g.frame');
	const normal = await settled(page);
	const alphaNormal = normal.filter(frame => frame.name.startsWith('flame_leaf_alpha'));
	assert.ok(alphaNormal.every(frame => frame.parent.startsWith('flame_middle')), 'call tree: alpha under flame_middle');
	await page.check('#invert');
	const inverted = await settled(page);
	const root = inverted.find(frame => frame.depth === 0)!;
	const top = new Set(inverted.filter(frame => frame.depth === 1).map(frame => frame.name.split(' ')[0]));
	for (const leaf of ['flame_leaf_alpha', 'flame_leaf_beta', 'worker_only_spin']) {
		assert.ok(top.has(leaf), `${leaf} is a root child of the inverted tree: ${[...top].join(', ')}`);
	}

	assert.ok(!top.has('flame_middle') && !top.has('main'), 'callers that never ran their own code are not at the root');
	const middles = inverted.filter(frame => frame.name.startsWith('flame_middle'));
	assert.ok(middles.length > 0 && middles.every(frame => /^flame_leaf_(alpha|beta)/.test(frame.parent)), `flame_middle hangs under the leaves it called: ${middles.map(frame => frame.parent).join(', ')}`);
	// Each root child is as wide as the samples its function ran its own code: they add up to the root.
	const rootChildren = inverted.filter(frame => frame.depth === 1).reduce((sum, frame) => sum + frame.width, 0);
	assert.ok(Math.abs(rootChildren - root.width) <= 2, `root children ${rootChildren}px vs root ${root.width}px`);
	// The inverted tree of one thread holds only that thread's functions.
	const worker = await page.$$eval('#thread option', options => options.find(option => option.textContent?.includes('html-worker'))!.getAttribute('value')!);
	await page.selectOption('#thread', worker);
	const workerOnly = await settled(page);
	assert.ok(workerOnly.some(frame => frame.depth === 1 && frame.name.startsWith('worker_only_spin')));
	assert.ok(!workerOnly.some(frame => frame.name.startsWith('flame_leaf_alpha')), 'the main thread\'s leaves are gone');
	assert.deepEqual(errors, []);
	await page.close();
});

test('the icicle orientation draws the root at the top, the flame at the bottom', {skip: skip ?? (interpreter ? false : 'no test Python')}, async () => {
	const {page, errors} = await openFile(browser!, file);
	await page.waitForSelector('#chart svg g.frame');
	const flame = await settled(page);
	const flameRoot = flame.find(frame => frame.depth === 0)!;
	assert.equal(flameRoot.y, Math.max(...flame.map(frame => frame.y)), 'flame: the root is the lowest frame');
	await page.check('#icicle');
	const icicle = await settled(page);
	const icicleRoot = icicle.find(frame => frame.depth === 0)!;
	assert.equal(icicleRoot.y, 0, 'icicle: the root is at the top');
	const deepest = icicle.reduce((a, b) => (b.depth > a.depth ? b : a));
	assert.equal(deepest.y, deepest.depth * 18, 'icicle: one row down per level');
	assert.deepEqual(errors, []);
	await page.close();
});

test('the hot spots list functions by their own samples and highlight one on click', {skip: skip ?? (interpreter ? false : 'no test Python')}, async () => {
	const {page, errors} = await openFile(browser!, file);
	await page.waitForSelector('#hotspot-list li');
	const spots = await page.$$eval('#hotspot-list li', items => items.map(item => ({
		func: item.querySelector('.func')?.textContent ?? '',
		where: item.querySelector('.where')?.textContent ?? '',
		share: Number.parseFloat(item.querySelector('.share')?.textContent ?? ''),
		samples: Number((item.querySelector('.samples')?.textContent ?? '').replaceAll(/\D/g, '')),
	})));
	// The expected figures, from the page's own data: own samples per (file, function).
	const expected = await page.evaluate(() => {
		type Node = {f: number; u: number; s: number; c?: Node[]};
		const data = (window as unknown as {PROFILE_DATA: {strings: string[]; tree: Node & {v: number}}}).PROFILE_DATA;
		const own = new Map<string, number>();
		const stack = [...(data.tree.c ?? [])];
		while (stack.length > 0) {
			const node = stack.pop()!;
			own.set(data.strings[node.u]!, (own.get(data.strings[node.u]!) ?? 0) + node.s);
			stack.push(...(node.c ?? []));
		}

		return {own: Object.fromEntries(own), total: data.tree.v};
	});
	const names = spots.map(spot => spot.func);
	assert.ok(names.length >= 3 && names.length <= 10, names.join(', '));
	for (const name of ['flame_leaf_alpha', 'flame_leaf_beta', 'worker_only_spin']) {
		assert.ok(names.includes(name), `${name} is a hot spot: ${names.join(', ')}`);
	}

	assert.ok(names.indexOf('flame_leaf_alpha') < names.indexOf('flame_leaf_beta'), 'alpha (twice the work) ranks above beta');
	// flame_middle only calls: the odd sample between its calls, far below the leaves it calls.
	const middle = spots.find(spot => spot.func === 'flame_middle');
	assert.ok(middle === undefined || middle.samples * 10 < spots.find(spot => spot.func === 'flame_leaf_alpha')!.samples, 'a caller ranks far below its callees');
	for (let index = 1; index < spots.length; index++) {
		assert.ok(spots[index - 1]!.samples >= spots[index]!.samples, 'ranked by own samples');
	}

	const alpha = spots.find(spot => spot.func === 'flame_leaf_alpha')!;
	assert.equal(alpha.samples, expected.own['flame_leaf_alpha']);
	assert.ok(Math.abs(alpha.share - (100 * alpha.samples / expected.total)) < 0.01, `share ${alpha.share}%`);
	assert.match(alpha.where, /^html-flame\.py:\d+$/);
	// A click highlights that function's frames, and only those; a second click clears.
	await page.locator('#hotspot-list li', {hasText: 'flame_leaf_alpha'}).click();
	const highlighted = (await settled(page)).filter(frame => frame.fill.toUpperCase() === '#E600E6').map(frame => frame.name);
	assert.ok(highlighted.length > 0 && highlighted.every(name => name.startsWith('flame_leaf_alpha (')), `highlighted: ${highlighted.join(', ')}`);
	assert.equal(await page.inputValue('#search'), 'flame_leaf_alpha');
	assert.match(await page.textContent('#search-result') ?? '', /frames? match/);
	assert.equal(await page.$$eval('#hotspot-list li.active', items => items.length), 1);
	await page.locator('#hotspot-list li', {hasText: 'flame_leaf_alpha'}).click();
	assert.equal(await page.inputValue('#search'), '');
	assert.equal(await page.$$eval('#hotspot-list li.active', items => items.length), 0);
	// One thread: its own hot spots.
	const worker = await page.$$eval('#thread option', options => options.find(option => option.textContent?.includes('html-worker'))!.getAttribute('value')!);
	await page.selectOption('#thread', worker);
	const workerSpots = await readUntil(page, async () => page.$$eval('#hotspot-list .func', items => items.map(item => item.textContent)), spots => spots[0] === 'worker_only_spin');
	assert.equal(workerSpots[0], 'worker_only_spin');
	assert.ok(!workerSpots.includes('flame_leaf_alpha'));
	// The thread states are in the sidebar too.
	assert.match(await page.textContent('#runtime-bars') ?? '', /GIL held[\d.]+%/);
	assert.deepEqual(errors, []);
	await page.close();
});

test('dark theme: from the system preference, switched by the button, remembered', {skip: skip ?? (interpreter ? false : 'no test Python')}, async () => {
	const background = async (page: Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
	const dark = await openFile(browser!, file, {colorScheme: 'dark'});
	await dark.page.waitForSelector('#chart svg g.frame');
	assert.equal(await dark.page.getAttribute('html', 'data-theme'), 'dark');
	assert.equal(await background(dark.page), 'rgb(13, 17, 23)');
	// Frames keep their colours; the gaps between them take the page's.
	assert.equal(await dark.page.$eval('#chart rect', rect => getComputedStyle(rect).stroke), 'rgb(13, 17, 23)');
	await dark.page.click('#theme');
	assert.equal(await dark.page.getAttribute('html', 'data-theme'), 'light');
	assert.equal(await background(dark.page), 'rgb(255, 255, 255)');
	assert.equal(await dark.page.textContent('#theme'), 'Dark theme');
	await dark.page.reload();
	await dark.page.waitForSelector('#chart svg g.frame');
	assert.equal(await dark.page.getAttribute('html', 'data-theme'), 'light', 'the choice outlives a reload');
	assert.deepEqual(dark.errors, []);
	await dark.page.close();
	const light = await openFile(browser!, file);
	assert.equal(await light.page.getAttribute('html', 'data-theme'), 'light');
	await light.page.click('#theme');
	assert.equal(await background(light.page), 'rgb(13, 17, 23)');
	await maybeScreenshot(light.page, 'flamegraph-dark.png');
	await light.page.close();
});

test('names with markup stay text in the sidebar, the tooltip and the inverted view', {skip: skip ?? false}, async () => {
	const profile = new Profile({
		pid: 1, pythonVersion: '3.15.0', command: [], mode: 'wall', intervalUs: 1000, startedAt: 0,
		allThreads: true, gc: true, native: false, opcodes: false, asyncAware: false,
	});
	profile.frames.push(
		{filename: '/srv/</script><script>alert(1)</script>.py', funcname: '<module>', line: 1, endLine: 1, col: -1, endCol: -1, opcode: -1, kind: 'python'},
		{filename: '/srv/<b onmouseover=alert(2)>x.py', funcname: '<img src=x onerror=alert(1)>', line: 2, endLine: 2, col: -1, endCol: -1, opcode: -1, kind: 'python'},
	);
	const stack = profile.addStack(profile.addStack(-1, 0), 1);
	profile.addSample(1000, 4, stack, 1000, 0, 50);
	const hostile = path.join(tempDir(), 'hostile.html');
	fs.writeFileSync(hostile, flamegraphHtml(profile));
	const {page, errors} = await openFile(browser!, hostile);
	await page.waitForSelector('#hotspot-list li');
	assert.equal(await page.textContent('#hotspot-list .func'), '<img src=x onerror=alert(1)>');
	assert.equal(await page.textContent('#hotspot-list .where'), '<b onmouseover=alert(2)>x.py:2');
	await page.check('#invert');
	await settled(page);
	await page.locator('#chart g.frame[name^="<img"]').first().hover();
	await page.waitForSelector('#tooltip', {state: 'visible'});
	assert.match(await page.textContent('#tooltip') ?? '', /<img src=x onerror=alert\(1\)>/);
	assert.equal(await page.$$eval('img, b', elements => elements.length), 0, 'no element made from a name');
	assert.deepEqual(errors, []);
	await page.close();
});

/** A synthetic profile with `count` distinct frames in wide and deep stacks (renderer check only). */
function bigProfile(count: number): Profile {
	const profile = new Profile({
		pid: 1, pythonVersion: '3.15.0', command: [], mode: 'wall', intervalUs: 1000, startedAt: 0,
		allThreads: true, gc: true, native: false, opcodes: false, asyncAware: false,
	});
	for (let index = 0; index < count; index++) {
		profile.frames.push({filename: `/srv/app/module_${index % 500}.py`, funcname: `function_${index}`, line: index % 900 + 1, endLine: 0, col: -1, endCol: -1, opcode: -1, kind: 'python'});
	}

	// 1000 chains of 100 frames, one stack each, with weights from 1 to 37: every chain is
	// near Tachyon's 0.1% pruning line, so tens of thousands of frames reach the page.
	let frame = 0;
	let chain = 0;
	while (frame < count) {
		let stack = -1;
		for (let depth = 0; depth < 100 && frame < count; depth++, frame++) {
			stack = profile.addStack(stack, frame);
		}

		profile.addSample(1000, 4, stack, 1000, 0, 1 + ((chain * 11) % 37));
		chain++;
	}

	return profile;
}

test('a 100k-frame profile stays readable', {skip: skip ?? false}, async () => {
	const profile = bigProfile(100_000);
	const started = Date.now();
	const html = flamegraphHtml(profile);
	const exportMs = Date.now() - started;
	const big = path.join(tempDir(), 'big.html');
	fs.writeFileSync(big, html);
	const {page, errors, requests, loadMs} = await openFile(browser!, big);
	await page.waitForSelector('#chart svg g.frame');
	const drawn = await page.$$eval('#chart g.frame', elements => elements.length);
	const labelled = await page.$$eval('#chart g.frame div', elements => elements.filter(element => (element as HTMLElement).style.display !== 'none').length);
	process.stdout.write(`# 100k frames: export ${exportMs} ms, ${(html.length / 1e6).toFixed(1)} MB, load ${loadMs} ms, ${drawn} frames drawn, ${labelled} labelled\n`);
	assert.deepEqual(errors, []);
	assert.deepEqual(requests, []);
	// Tens of thousands of frames survive pruning; the page draws the widest few thousand.
	const exported = (html.match(/"n":/g) ?? []).length;
	assert.ok(exported > 20_000, `${exported} frames exported`);
	assert.ok(drawn >= 1000 && drawn <= 6001, `${drawn} frames drawn`);
	assert.match(await page.textContent('#detail-note') ?? '', /narrowest are hidden/);
	// A click still zooms promptly and draws the hidden detail of that subtree.
	const clickStarted = Date.now();
	await page.locator('#chart g.frame').nth(3).click({force: true});
	await page.waitForFunction(() => [...document.querySelectorAll('#chart g.frame div')].filter(element => (element as HTMLElement).style.display !== 'none').length > 50);
	process.stdout.write(`# 100k frames: zoom click to labelled subtree in ${Date.now() - clickStarted} ms (${labelled} labels before)\n`);
	// The inverted tree is built in the page on first use: still prompt at this size.
	const invertStarted = Date.now();
	await page.check('#invert');
	await page.waitForFunction(() => document.querySelectorAll('#chart g.frame').length > 100);
	const invertedDrawn = await page.$$eval('#chart g.frame', elements => elements.length);
	process.stdout.write(`# 100k frames: inverted view drawn in ${Date.now() - invertStarted} ms, ${invertedDrawn} frames\n`);
	assert.ok(invertedDrawn <= 6001, `${invertedDrawn} frames drawn`);
	assert.deepEqual(errors, []);
	await page.close();
});

test('an empty profile gives a page that says so', {skip: skip ?? false}, async () => {
	const empty = path.join(tempDir(), 'empty.html');
	fs.writeFileSync(empty, flamegraphHtml(bigProfile(0)));
	const {page, errors} = await openFile(browser!, empty);
	assert.equal((await page.textContent('#chart'))?.trim(), 'No samples were collected.');
	assert.deepEqual(errors, []);
	await page.close();
});
