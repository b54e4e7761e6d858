// --collapsed checked by real readers: speedscope's own viewer (the npm package's release
// build, offline) opens our file in headless Chromium and shows exactly our stacks' totals;
// and for the same recorded stacks our collapsed text is byte for byte Tachyon's.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {after, before, test} from 'node:test';
import type {Browser} from 'playwright-core';
import {readBinaryProfile} from '../exporters/binary-reader.js';
import {collapsedText} from '../exporters/collapsed.js';
import {browserMissing, launchBrowser, openFile} from './browser-helpers.js';
import {parseCollapsed, python, runCli, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';

const require = createRequire(import.meta.url);
const skip = browserMissing();
const interpreter = testPythons().at(-1);
const py315 = python('3.15');
let browser: Browser | undefined;
let target: PythonProcess | undefined;
const dir = tempDir();
const ours = path.join(dir, 'ours.txt');

function speedscopeViewer(): string {
	// The package's "main" is its CLI; the viewer is the release build next to it.
	return path.join(path.dirname(require.resolve('speedscope/package.json')), 'dist', 'release', 'index.html');
}

before(async () => {
	if (!interpreter) {
		return;
	}

	target = await startPython(interpreter, 'html-flame.py');
	const result = await runCli(['attach', String(target.pid), '-a', '-d', '2', '--collapsed', '-o', ours]);
	assert.equal(result.code, 0, result.stderr);
	if (!skip) {
		browser = await launchBrowser();
	}
});

after(async () => {
	await target?.stop();
	await browser?.close();
});

/** Per frame name: samples with it anywhere in the stack (once per stack), and as the leaf. */
function frameTotals(text: string): Map<string, {total: number; self: number}> {
	const totals = new Map<string, {total: number; self: number}>();
	for (const [stack, count] of parseCollapsed(text)) {
		const frames = stack.split(';');
		for (const [index, frame] of frames.entries()) {
			const entry = totals.get(frame) ?? {total: 0, self: 0};
			if (frames.indexOf(frame) === index) {
				entry.total += count;
			}

			if (index === frames.length - 1) {
				entry.self += count;
			}

			totals.set(frame, entry);
		}
	}

	return totals;
}

test('speedscope\'s viewer opens our collapsed file offline and shows every stack\'s samples', {skip: skip ?? (interpreter ? false : 'no test Python')}, async () => {
	const {page, errors, requests} = await openFile(browser!, speedscopeViewer());
	await page.setInputFiles('input[type=file]', ours);
	await page.waitForSelector('canvas');
	// The sandwich view lists every frame with its total and self samples as a table.
	await page.keyboard.press('3');
	await page.waitForSelector('table tr td');
	const rows = await page.$$eval('table tr', elements => elements
		.filter(row => row.querySelectorAll('td').length === 3)
		.map(row => {
			const cells = row.querySelectorAll('td');
			const number = (cell: Element) => Number((/^[\d,]+/.exec(cell.textContent ?? '') ?? ['0'])[0].replaceAll(',', ''));
			return {name: cells[2]!.textContent ?? '', total: number(cells[0]!), self: number(cells[1]!)};
		}));
	const expected = frameTotals(fs.readFileSync(ours, 'utf8'));
	const shown = new Map(rows.map(row => [row.name, {total: row.total, self: row.self}]));
	assert.ok(rows.length > 5, `speedscope lists ${rows.length} frames`);
	assert.deepEqual(shown, expected);
	assert.ok([...shown.keys()].some(name => name.endsWith('flame_leaf_alpha:9') || name.includes('flame_leaf_alpha')), 'our function is there');
	assert.deepEqual(errors, []);
	assert.deepEqual(requests, []);
	await page.close();
});

test('for the same recorded stacks our collapsed text is exactly Tachyon\'s', {skip: py315 ? false : 'python3.15 (Tachyon) is not installed'}, async () => {
	const flame = await startPython(py315!, 'html-flame.py');
	const recorded = path.join(dir, 'tachyon.bin');
	const theirs = path.join(dir, 'theirs.txt');
	try {
		execFileSync(py315!.path, ['-m', 'profiling.sampling', 'attach', '-a', '-d', '2', '--binary', '-o', recorded, String(flame.pid)], {stdio: 'pipe', timeout: 60_000});
	} finally {
		await flame.stop();
	}

	execFileSync(py315!.path, ['-m', 'profiling.sampling', 'replay', '--collapsed', '-o', theirs, recorded], {stdio: 'pipe', timeout: 60_000});
	const {profile} = readBinaryProfile(fs.readFileSync(recorded));
	const text = collapsedText(profile);
	const expected = fs.readFileSync(theirs, 'utf8');
	assert.ok(expected.includes('html-flame.py:flame_leaf_alpha:'), 'Tachyon saw the workload');
	assert.equal(text, expected);
});
