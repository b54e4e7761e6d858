// Refreshes screenshots/flamegraph.png, flamegraph-inverted-dark.png, diff-flamegraph.png and
// heatmap.png from real captures: examples/workload.py for the flame graph and heatmap, two
// runs of test/fixtures/html-diff.py (before/after a change) for the diff. Needs a built dist/.
//   node scripts/screenshot-html.mjs [python]
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const {diffFlamegraphHtml} = await import(path.join(root, 'dist/exporters/diff-flamegraph.js'));
const {captureProfile, launchBrowser, openFile} = await import(path.join(root, 'dist/test/browser-helpers.js'));
const python = process.argv[2] ?? path.join(root, '.cache/pythons/3.14/usr/bin/python3.14');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tachyon-top-shots-'));
const shots = path.join(root, 'screenshots');

function cli(args) {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [path.join(root, 'dist/source/cli.js'), ...args], {stdio: 'inherit'});
		child.on('exit', code => (code === 0 ? resolve() : reject(new Error(`cli exited ${code}`))));
	});
}

async function started(args) {
	const child = spawn(python, args, {stdio: ['ignore', 'pipe', 'inherit']});
	await new Promise(resolve => {
		child.stdout.once('data', resolve);
	});
	return child;
}

await cli(['run', '-d', '4', '--python', python, '--flamegraph', '-o', path.join(work, 'flame.html'), path.join(root, 'examples/workload.py')]);
await cli(['run', '-d', '4', '--python', python, '--heatmap', '-o', path.join(work, 'heat'), path.join(root, 'examples/workload.py')]);
const profiles = [];
for (const mode of ['baseline', 'current']) {
	const child = await started([path.join(root, 'test/fixtures/html-diff.py'), mode]);
	profiles.push(await captureProfile(child.pid, 3));
	child.kill('SIGKILL');
}

fs.writeFileSync(path.join(work, 'diff.html'), diffFlamegraphHtml(profiles[1], profiles[0]));

const browser = await launchBrowser();
const size = {width: 1280, height: 560};
{
	const {page} = await openFile(browser, path.join(work, 'flame.html'), size);
	await page.waitForSelector('#chart g.frame');
	await page.fill('#search', 'hot_');
	await page.waitForTimeout(1200);
	await page.locator('#chart g.frame[name^="hot_hash"]').first().hover();
	await page.waitForTimeout(300);
	await page.screenshot({path: path.join(shots, 'flamegraph.png')});
}

{
	// The inverted view (functions that ran at the root, callers beyond) as an icicle, in the
	// dark theme, with the hottest hot spot picked in the sidebar.
	const {page} = await openFile(browser, path.join(work, 'flame.html'), {...size, colorScheme: 'dark'});
	await page.waitForSelector('#chart g.frame');
	await page.check('#invert');
	await page.check('#icicle');
	await page.locator('#hotspot-list li').first().click();
	await page.waitForTimeout(1200);
	await page.locator('#chart g.frame[name^="main"]').first().hover();
	await page.waitForTimeout(300);
	await page.screenshot({path: path.join(shots, 'flamegraph-inverted-dark.png')});
}

{
	const {page} = await openFile(browser, path.join(work, 'diff.html'), size);
	await page.waitForSelector('#chart g.frame');
	await page.waitForTimeout(1200);
	await page.locator('#chart g.frame[name^="changing_work"]').first().hover();
	await page.waitForTimeout(300);
	await page.screenshot({path: path.join(shots, 'diff-flamegraph.png')});
}

{
	const {page} = await openFile(browser, path.join(work, 'heat', 'file_0000.html'), {width: 1280, height: 640});
	await page.waitForTimeout(500);
	await page.evaluate(() => globalThis.scrollTo(0, 0));
	await page.screenshot({path: path.join(shots, 'heatmap.png')});
}

await browser.close();
process.stdout.write(`screenshots written to ${shots}\n`);
