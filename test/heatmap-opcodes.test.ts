// --heatmap --opcodes (and the flame graph's tooltip): a real capture of an integer-addition
// loop, opened in headless Chromium. The hot line's instruction mix names BINARY_OP_ADD_INT,
// specialised from BINARY_OP, as its busiest instruction; without --opcodes there is no mix.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import type {Browser} from 'playwright-core';
import {browserMissing, launchBrowser, openFile} from './browser-helpers.js';
import {fixtures, python, runCli, startPython, tempDir, type TestPython} from './helpers.js';

const skip = browserMissing();
const source = fs.readFileSync(path.join(fixtures, 'arith.py'), 'utf8').split('\n');
const hotLine = source.findIndex(line => line.trim().startsWith('total = a + b')) + 1;
let browser: Browser | undefined;

before(async () => {
	if (!skip) {
		browser = await launchBrowser();
	}
});

after(async () => {
	await browser?.close();
});

/** Captures arith.py for 2 s into a heatmap directory (or flame graph file) and returns its path. */
async function heatmapOf(interpreter: TestPython, flags: string[], format = '--heatmap'): Promise<string> {
	const target = await startPython(interpreter, 'arith.py');
	const directory = path.join(tempDir(), format === '--heatmap' ? 'heat' : 'flame.html');
	try {
		const result = await runCli(['attach', String(target.pid), '-d', '2', format, ...flags, '-o', directory]);
		assert.equal(result.code, 0, result.stderr);
	} finally {
		await target.stop();
	}

	return directory;
}

for (const version of ['3.15', '3.11']) {
	const interpreter = python(version);
	describe(`heatmap opcodes on Python ${version}`, {skip: skip ?? (interpreter ? false : `no Python ${version}`)}, () => {
		test('the hot line lists BINARY_OP_ADD_INT, specialised from BINARY_OP, with the most samples', async () => {
			const directory = await heatmapOf(interpreter!, ['--opcodes']);
			const {page, errors, requests} = await openFile(browser!, path.join(directory, 'file_0000.html'));
			assert.deepEqual(errors, []);
			assert.deepEqual(requests, []);
			const line = page.locator(`#L${hotLine}`);
			const summary = line.locator('details.opcodes summary');
			assert.match(await summary.textContent() ?? '', /^BINARY_OP_ADD_INT \d+\.\d%/, 'the summary names the busiest instruction');
			// Closed, the table is hidden; a click on the summary opens it (plain <details>, no script).
			assert.equal(await line.locator('details.opcodes table').isVisible(), false);
			await summary.click();
			assert.equal(await line.locator('details.opcodes table').isVisible(), true);
			const rows = await line.locator('details.opcodes tbody tr').evaluateAll(elements => elements.map(row => ({
				name: row.querySelector('.opname')!.textContent,
				base: row.querySelector('.base')!.textContent,
				kind: row.querySelector('.kind')!.textContent,
				specialized: row.classList.contains('specialized'),
				samples: Number(row.getAttribute('data-samples')),
				share: Number.parseFloat(row.querySelector('.share')!.textContent),
			})));
			const lineSelf = Number(await line.getAttribute('data-self'));
			process.stdout.write(`# Python ${version} line ${hotLine} (self ${lineSelf}): ${rows.map(row => `${row.name} ${row.samples}`).join(', ')}\n`);
			assert.ok(rows.length > 0);
			assert.deepEqual(
				{name: rows[0]!.name, base: rows[0]!.base, kind: rows[0]!.kind, specialized: rows[0]!.specialized},
				{name: 'BINARY_OP_ADD_INT', base: 'BINARY_OP', kind: 'specialised', specialized: true},
			);
			for (let index = 1; index < rows.length; index++) {
				assert.ok(rows[index - 1]!.samples >= rows[index]!.samples, 'busiest first');
				assert.notEqual(rows[index]!.name, 'BINARY_OP_ADD_INT', 'one row per instruction');
			}

			// The line is a leaf only, so its instructions account for all of its samples.
			const sum = rows.reduce((total, row) => total + row.samples, 0);
			assert.equal(sum, lineSelf);
			assert.ok(Math.abs(rows.reduce((total, row) => total + row.share, 0) - 100) < 1, 'shares add up to 100%');
			// Base instructions are marked as such, without a base column.
			for (const row of rows.filter(row => !row.specialized)) {
				assert.deepEqual([row.kind, row.base], ['base', '']);
			}

			// The caller's line stands on its call instruction.
			const callLine = source.findIndex(text => text.trim() === 'add_loop()') + 1;
			assert.match(await page.locator(`#L${callLine} details.opcodes summary`).textContent() ?? '', /^CALL\b/);
			assert.deepEqual(errors, []);
			await page.close();
		});
	});
}

test('without --opcodes the heatmap has no instruction mix', {skip: skip ?? (python('3.15') ? false : 'no Python 3.15')}, async () => {
	const directory = await heatmapOf(python('3.15')!, []);
	const {page, errors} = await openFile(browser!, path.join(directory, 'file_0000.html'));
	assert.ok(Number(await page.getAttribute(`#L${hotLine}`, 'data-self')) > 0, 'the hot line was sampled');
	assert.equal(await page.locator('details.opcodes').count(), 0);
	assert.deepEqual(errors, []);
	await page.close();
});

test('the flame graph tooltip of a frame lists its busiest opcodes, specialised ones marked', {skip: skip ?? (python('3.15') ? false : 'no Python 3.15')}, async () => {
	const file = await heatmapOf(python('3.15')!, ['--opcodes'], '--flamegraph');
	const {page, errors, requests} = await openFile(browser!, file);
	assert.deepEqual(requests, []);
	await page.waitForSelector('#chart svg g.frame');
	await page.locator('#chart g.frame[name^="add_loop"]').first().hover();
	await page.waitForSelector('#tooltip .opcodes');
	const rows = await page.$$eval('#tooltip .opcode:not(.more)', elements => elements.map(row => ({
		name: row.querySelector('.opname')!.textContent,
		specialized: row.classList.contains('specialized'),
		samples: Number(/\(([\d,]+)\)$/.exec(row.textContent)![1]!.replaceAll(',', '')),
	})));
	process.stdout.write(`# flame graph add_loop: ${rows.map(row => `${row.name} ${row.samples}`).join(', ')}\n`);
	assert.ok(rows.length > 0 && rows.length <= 5, `${rows.length} rows`);
	assert.deepEqual([rows[0]!.name, rows[0]!.specialized], ['BINARY_OP_ADD_INT (BINARY_OP)', true]);
	for (let index = 1; index < rows.length; index++) {
		assert.ok(rows[index - 1]!.samples >= rows[index]!.samples, 'busiest first');
	}

	// The caller's frame stands on its call.
	await page.locator('#chart g.frame[name^="<module>"]').first().hover();
	await page.waitForFunction(() => document.querySelector('#tooltip .title')?.textContent === '<module>');
	assert.match(await page.textContent('#tooltip .opcodes .opcode') ?? '', /^CALL\b/);
	assert.deepEqual(errors, []);
	await page.close();
});
