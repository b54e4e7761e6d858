// --speedscope: speedscope's own JSON, one profile per thread. Checked against the file-format
// schema the speedscope package ships, against our collapsed stacks of the same capture
// (the same stacks and counts, weights in seconds as the pstats table's times), and opened
// in speedscope's own viewer (offline, headless Chromium).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {after, test} from 'node:test';
import type {SpeedscopeFile} from '../exporters/speedscope-spec.js';
import {browserMissing, launchBrowser, openFile} from './browser-helpers.js';
import {schemaErrors} from './json-schema.js';
import {parseCollapsed, runCli, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';

const require = createRequire(import.meta.url);
const release = path.join(path.dirname(require.resolve('speedscope/package.json')), 'dist', 'release');
const dir = tempDir('tachyon-top-speedscope-');
const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

/** Captures the threads fixture once, then writes it as speedscope and as collapsed stacks. */
async function capture(): Promise<{file: SpeedscopeFile; path: string; collapsed: Map<string, number>; seconds: number}> {
	const py = testPythons().at(-1)!;
	const target = await startPython(py, 'threads.py');
	running.push(target);
	const bin = path.join(dir, 'capture.bin');
	const recorded = await runCli(['attach', '-a', '-d', '2', '--binary', '-o', bin, String(target.pid)]);
	assert.equal(recorded.code, 0, recorded.stderr);
	await target.stop();
	const out = path.join(dir, 'threads.json');
	const speedscope = await runCli(['replay', '--speedscope', '-o', out, bin]);
	assert.equal(speedscope.code, 0, speedscope.stderr);
	assert.match(speedscope.stderr, /Wrote speedscope profile/);
	const collapsedFile = path.join(dir, 'threads.txt');
	assert.equal((await runCli(['replay', '--collapsed', '-o', collapsedFile, bin])).code, 0);
	const table = await runCli(['replay', bin]);
	const perSample = /samples × ([\d.]+) (ms|μs)/.exec(table.stdout)!;
	return {
		file: JSON.parse(fs.readFileSync(out, 'utf8')) as SpeedscopeFile,
		path: out,
		collapsed: parseCollapsed(fs.readFileSync(collapsedFile, 'utf8')),
		seconds: Number(perSample[1]) * (perSample[2] === 'ms' ? 1e-3 : 1e-6),
	};
}

let captured: Awaited<ReturnType<typeof capture>> | undefined;
const captureOnce = async () => {
	captured ??= await capture();
	return captured;
};

test('valid against speedscope\'s file-format schema; one profile per thread, named', async () => {
	const {file} = await captureOnce();
	const schema = JSON.parse(fs.readFileSync(path.join(release, 'file-format-schema.json'), 'utf8')) as Parameters<typeof schemaErrors>[0];
	assert.deepEqual(schemaErrors(schema, file), []);
	// The checker does fail on a broken file.
	assert.notDeepEqual(schemaErrors(schema, {...file, profiles: [{...file.profiles[0], unit: 'parsecs'}]}), []);
	const names = file.profiles.map(profile => profile.name);
	for (const thread of ['spin_one', 'spin_two', 'sleeper', 'MainThread']) {
		assert.ok(names.some(name => name.endsWith(`"${thread}"`)), `${thread} in ${names.join(', ')}`);
	}

	assert.equal(new Set(names).size, names.length, 'one profile per thread');
	assert.ok(file.activeProfileIndex !== undefined && file.activeProfileIndex < file.profiles.length);
	assert.match(file.exporter ?? '', /^tachyon-top/);
});

test('the same stacks and counts as --collapsed of the same capture, weights as the pstats times', async () => {
	const {file, collapsed, seconds: shown} = await captureOnce();
	// Every weight is samples × one share: the share is the total weight over the total count.
	const totalWeight = file.profiles.reduce((sum, profile) => sum + profile.weights.reduce((a, b) => a + b, 0), 0);
	const seconds = totalWeight / [...collapsed.values()].reduce((a, b) => a + b, 0);
	assert.ok(Math.abs(seconds - shown) < 1e-6, `a sample's share: ${seconds} s in the file, ${shown} s in the pstats legend`);
	const named = (index: number) => {
		const frame = file.shared.frames[index]!;
		return frame.file === undefined ? frame.name.replace(/^<task> (.*)$/, '<task>:$1:0') : `${path.basename(frame.file)}:${frame.name}:${frame.line ?? 0}`;
	};

	const ours = new Map<string, number>();
	for (const profile of file.profiles) {
		const tid = /^Thread (\d+)/.exec(profile.name)![1]!;
		let total = 0;
		for (const [index, stack] of profile.samples.entries()) {
			const weight = profile.weights[index]!;
			total += weight;
			const key = `tid:${tid};${stack.map(frame => named(frame)).join(';')}`;
			ours.set(key, (ours.get(key) ?? 0) + Math.round(weight / seconds));
		}

		assert.ok(Math.abs(profile.endValue - total) < 1e-9 && profile.startValue === 0, profile.name);
		assert.equal(profile.unit, 'seconds');
	}

	assert.deepEqual(ours, collapsed);
});

const skip = browserMissing();
test('speedscope\'s viewer opens it offline: the threads to choose from, no error', {skip: skip ?? false}, async () => {
	const {path: file, file: parsed} = await captureOnce();
	const browser = await launchBrowser();
	try {
		const {page, errors, requests} = await openFile(browser, path.join(release, 'index.html'));
		await page.setInputFiles('input[type=file]', file);
		await page.waitForSelector('canvas');
		// The toolbar names the profile shown (the busiest thread) and its place among them: "1/4".
		const toolbar = await page.evaluate(() => document.body.textContent ?? '');
		const active = parsed.profiles[parsed.activeProfileIndex ?? 0]!.name;
		assert.ok(toolbar.includes(active), `${active} in ${toolbar.slice(0, 400)}`);
		assert.ok(toolbar.includes(`${(parsed.activeProfileIndex ?? 0) + 1}/${parsed.profiles.length}`), toolbar.slice(0, 400));
		assert.deepEqual(errors, []);
		assert.deepEqual(requests, []);
		await page.close();
	} finally {
		await browser.close();
	}
});
