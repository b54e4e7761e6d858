// --heatmap: a real capture written by the CLI as a directory, checked in headless Chromium:
// the index ranks files by samples, a file page shows the source with per-line self and
// cumulative counts and jumps to the hottest line. Also the escaping check for every HTML
// output: a script named `<img src=x onerror=alert(1)>.py` is shown, never run.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, test} from 'node:test';
import type {Browser} from 'playwright-core';
import {diffFlamegraphHtml} from '../exporters/diff-flamegraph.js';
import {browserMissing, captureProfile, launchBrowser, maybeScreenshot, openFile, readUntil} from './browser-helpers.js';
import {fixtures, python, runCli, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';

const skip = browserMissing();
const interpreter = python('3.11') ?? testPythons()[0];
let browser: Browser | undefined;
let target: PythonProcess | undefined;
let directory = '';

before(async () => {
	if (skip || !interpreter) {
		return;
	}

	browser = await launchBrowser();
	target = await startPython(interpreter, 'html-heat.py');
	directory = path.join(tempDir(), 'heat');
	// `-o x.html` names the directory x, as Tachyon strips the suffix.
	const result = await runCli(['attach', String(target.pid), '-d', '2', '--heatmap', '-o', `${directory}.html`]);
	assert.equal(result.code, 0, result.stderr);
	await target.stop();
});

after(async () => {
	await target?.stop();
	await browser?.close();
});

const needs = skip ?? (interpreter ? false : 'no test Python');

test('the index ranks source files by samples and links their pages', {skip: needs}, async () => {
	const files = fs.readdirSync(directory).sort();
	assert.ok(files.includes('index.html') && files.includes('file_0000.html'), files.join(', '));
	const {page, errors, requests, loadMs} = await openFile(browser!, path.join(directory, 'index.html'));
	process.stdout.write(`# heatmap index loaded in ${loadMs} ms\n`);
	assert.deepEqual(errors, []);
	assert.deepEqual(requests, []);
	const rows = await page.$$eval('#files tr.file-row', elements => elements.map(row => ({
		samples: Number(row.getAttribute('data-samples')),
		file: row.querySelector('td:nth-child(2)')!.textContent,
		href: row.querySelector('td:nth-child(2) a')!.getAttribute('href'),
	})));
	assert.ok(rows.length > 0);
	assert.equal(rows[0]!.file, path.join(fixtures, 'html-heat.py'), 'the target script is the hottest file');
	assert.equal(rows[0]!.href, 'file_0000.html');
	for (let index = 1; index < rows.length; index++) {
		assert.ok(rows[index - 1]!.samples >= rows[index]!.samples, 'ranked by samples');
	}

	await page.close();
});

test('a file page shows per-line counts from the source on disk and jumps to the hottest line', {skip: needs}, async () => {
	const {page, errors, requests} = await openFile(browser!, path.join(directory, 'file_0000.html'), {height: 700});
	assert.deepEqual(errors, []);
	assert.deepEqual(requests, []);
	const source = fs.readFileSync(path.join(fixtures, 'html-heat.py'), 'utf8').split('\n');
	const hotLine = source.findIndex(line => line.includes('# the hottest line')) + 1;
	const defLine = source.findIndex(line => line.startsWith('def heat_hot')) + 1;
	const callLine = source.findIndex(line => line.trim() === 'heat_hot()') + 1;
	const line = async (number: number) => page.$eval(`#L${number}`, element => ({
		self: Number(element.getAttribute('data-self')),
		cumulative: Number(element.getAttribute('data-cumulative')),
		code: element.querySelector('.code')!.textContent,
		background: getComputedStyle(element).backgroundColor,
	}));
	const hot = await line(hotLine);
	assert.equal(hot.code, source[hotLine - 1], 'the source text is shown as it is on disk');
	assert.ok(hot.self > 0 && hot.cumulative >= hot.self, `hot line counts ${hot.self}/${hot.cumulative}`);
	const call = await line(callLine);
	// A line that only calls is almost never the innermost frame (a sample can land on the call instruction itself).
	assert.ok(call.self * 10 < call.cumulative, `call line self ${call.self} of ${call.cumulative}`);
	assert.ok(call.cumulative >= hot.cumulative, 'but it has the callee\'s samples cumulatively');
	const definition = await line(defLine);
	assert.equal(definition.cumulative, 0);
	assert.notEqual(hot.background, definition.background, 'hot lines are coloured');
	// Source is text: the `<b>` and `</script>` in the fixture's comment are shown, not parsed.
	assert.equal(await page.$('#source b'), null);
	assert.match(await page.textContent('#L2') ?? '', /<b>not bold<\/b> <\/script><script>alert\("source"\)<\/script>/);
	// Jump to the hottest line: the link names it and the line ends up on screen.
	await page.evaluate(() => {
		window.scrollTo(0, 0);
	});
	const jump = page.locator('#jump-hottest');
	assert.match(await jump.textContent() ?? '', new RegExp(`\\(${hotLine}\\)`));
	await jump.click();
	assert.equal(await page.evaluate(() => location.hash), `#L${hotLine}`);
	const visible = await page.$eval(`#L${hotLine}`, element => {
		const box = element.getBoundingClientRect();
		return box.top >= 0 && box.bottom <= window.innerHeight;
	});
	assert.ok(visible, 'the hottest line is scrolled into view');
	// Call navigation: the call line links to the hot line it calls, and back.
	const callees = await page.$$eval(`#L${callLine} a.nav.callee`, elements => elements.map(element => element.getAttribute('href')));
	assert.ok(callees.includes(`file_0000.html#L${hotLine}`), `callees of line ${callLine}: ${callees.join(', ')}`);
	const callers = await page.$$eval(`#L${hotLine} a.nav.caller`, elements => elements.map(element => element.getAttribute('href')));
	assert.deepEqual(callers, [`file_0000.html#L${callLine}`]);
	await page.click(`#L${hotLine} a.nav.caller`);
	assert.equal(await page.evaluate(() => location.hash), `#L${callLine}`);
	await page.selectOption('#colour-by', 'self');
	assert.equal(await page.getAttribute('#source', 'class'), 'by-self');
	await maybeScreenshot(page, 'heatmap.png');
	assert.deepEqual(errors, []);
	await page.close();
});

test('a file named <img src=x onerror=alert(1)>.py is shown, never run, in every HTML output', {skip: needs}, async () => {
	const evilDirectory = tempDir();
	const evil = path.join(evilDirectory, '<img src=x onerror=alert(1)>.py');
	fs.copyFileSync(path.join(fixtures, 'html-heat.py'), evil);
	const evilTarget = await startPython(interpreter!, evil);
	const out = tempDir();
	try {
		const flame = await runCli(['attach', String(evilTarget.pid), '-d', '1', '--flamegraph', '-o', path.join(out, 'flame.html')]);
		assert.equal(flame.code, 0, flame.stderr);
		const heat = await runCli(['attach', String(evilTarget.pid), '-d', '1', '--heatmap', '-o', path.join(out, 'heat')]);
		assert.equal(heat.code, 0, heat.stderr);
		const profile = await captureProfile(evilTarget.pid, 1);
		fs.writeFileSync(path.join(out, 'diff.html'), diffFlamegraphHtml(profile, profile));
	} finally {
		await evilTarget.stop();
	}

	const pages = [path.join(out, 'flame.html'), path.join(out, 'diff.html'), path.join(out, 'heat', 'index.html'), path.join(out, 'heat', 'file_0000.html')];
	for (const file of pages) {
		const html = fs.readFileSync(file, 'utf8');
		assert.ok(!html.includes('<img'), `${path.basename(file)}: no raw <img in the markup or data`);
		const {page, errors, requests} = await openFile(browser!, file);
		const dialogs: string[] = [];
		page.on('dialog', async dialog => {
			dialogs.push(dialog.message());
			await dialog.dismiss();
		});
		if (file.endsWith('flame.html') || file.endsWith('diff.html')) {
			await page.waitForSelector('#chart svg g.frame');
			await page.locator('#chart g.frame[name^="heat_hot"]').first().hover();
			const tooltip = await readUntil(page, async () => await page.textContent('#tooltip') ?? '', text => /\.py:\d+/.test(text));
			assert.match(tooltip, /<img src=x onerror=alert\(1\)>\.py:\d+/, 'the tooltip shows the name');
			const names = await page.$$eval('#chart g.frame', elements => elements.map(element => element.getAttribute('name') ?? ''));
			assert.ok(names.some(name => name.includes('<img src=x onerror=alert(1)>.py')), 'the frame label shows the name');
		} else {
			assert.match(await page.textContent('body') ?? '', /<img src=x onerror=alert\(1\)>\.py/, 'the page shows the name');
		}

		// Nothing to wait for: what must not happen (a script run from a name, a dialog) would come
		// within a moment of the page's load and the hover, so give it that moment.
		await page.waitForTimeout(200);
		assert.equal(await page.$$eval('img', elements => elements.length), 0, `${path.basename(file)}: no <img> element`);
		assert.deepEqual(dialogs, [], `${path.basename(file)}: nothing ran`);
		assert.deepEqual(errors, []);
		assert.deepEqual(requests, [], 'no request for src=x');
		await page.close();
	}
});
