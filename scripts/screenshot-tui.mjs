// Refreshes screenshots/picker.png, live-view.png, export-menu.png, dump-view.png,
// flame-view.png, source-view.png and window-view.png from a real run: examples/workload.py under a real Python, tachyon-top in a 120×32 tmux pane,
// each screen captured with its colours (tmux capture-pane -e), turned into HTML and
// photographed by headless Chromium. Needs a built dist/, tmux and chromium.
//   node scripts/screenshot-tui.mjs [python]
import {execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const python = process.argv[2] ?? path.join(root, '.cache/pythons/3.15/usr/bin/python3.15');
const shots = path.join(root, 'screenshots');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tachyon-top-tui-shots-'));
const session = `tachyon-top-shots-${process.pid}`;
const columns = 120;
const rows = 32;
const sleep = ms => new Promise(resolve => {
	setTimeout(resolve, ms);
});

const tmux = (...args) => execFileSync('tmux', args, {encoding: 'utf8'});

async function waitFor(text, timeoutMs = 15_000) {
	const deadline = Date.now() + timeoutMs;
	while (!tmux('capture-pane', '-p', '-t', session).includes(text)) {
		if (Date.now() > deadline) {
			throw new Error(`timed out waiting for "${text}":\n${tmux('capture-pane', '-p', '-t', session)}`);
		}

		await sleep(200);
	}
}

// The 16 colours of a dark terminal theme, then the xterm 256-colour cube and greys.
const basic = ['#1d1f21', '#cc6666', '#b5bd68', '#f0c674', '#3465a4', '#b294bb', '#8abeb7', '#c5c8c6',
	'#666666', '#d54e53', '#b9ca4a', '#e7c547', '#5f87d7', '#c397d8', '#70c0b1', '#eaeaea'];
function color256(index) {
	if (index < 16) {
		return basic[index];
	}

	if (index < 232) {
		const value = index - 16;
		const level = n => (n === 0 ? 0 : 55 + (n * 40));
		return `rgb(${level(Math.floor(value / 36))},${level(Math.floor(value / 6) % 6)},${level(value % 6)})`;
	}

	const grey = 8 + ((index - 232) * 10);
	return `rgb(${grey},${grey},${grey})`;
}

const escapeHtml = text => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** ANSI SGR text (as tmux capture-pane -e gives it) → HTML spans. */
function ansiToHtml(text) {
	let style = {};
	let html = '';
	const open = () => {
		let fg = style.fg;
		let bg = style.bg;
		if (style.inverse) {
			[fg, bg] = [bg ?? '#1d1f21', fg ?? '#c5c8c6'];
		}

		const css = [
			fg ? `color:${fg}` : '', bg ? `background:${bg}` : '', style.bold ? 'font-weight:bold' : '',
			style.dim ? 'opacity:0.6' : '', style.underline ? 'text-decoration:underline' : '', style.italic ? 'font-style:italic' : '',
		].filter(Boolean).join(';');
		return css ? `<span style="${css}">` : '<span>';
	};

	for (const part of text.split(/(\u001B\[[\d;:]*m)/)) {
		const sgr = /^\u001B\[([\d;:]*)m$/.exec(part);
		if (!sgr) {
			html += part ? open() + escapeHtml(part) + '</span>' : '';
			continue;
		}

		const codes = (sgr[1] || '0').split(/[;:]/).map(Number);
		for (let index = 0; index < codes.length; index++) {
			const code = codes[index];
			if (code === 0) {
				style = {};
			} else if (code === 1) {
				style.bold = true;
			} else if (code === 2) {
				style.dim = true;
			} else if (code === 3) {
				style.italic = true;
			} else if (code === 4) {
				style.underline = true;
			} else if (code === 7) {
				style.inverse = true;
			} else if (code === 22) {
				style.bold = false;
				style.dim = false;
			} else if (code === 23) {
				style.italic = false;
			} else if (code === 24) {
				style.underline = false;
			} else if (code === 27) {
				style.inverse = false;
			} else if (code >= 30 && code <= 37) {
				style.fg = basic[code - 30];
			} else if (code >= 90 && code <= 97) {
				style.fg = basic[code - 90 + 8];
			} else if (code >= 40 && code <= 47) {
				style.bg = basic[code - 40];
			} else if (code >= 100 && code <= 107) {
				style.bg = basic[code - 100 + 8];
			} else if (code === 39) {
				delete style.fg;
			} else if (code === 49) {
				delete style.bg;
			} else if ((code === 38 || code === 48) && codes[index + 1] === 5) {
				style[code === 38 ? 'fg' : 'bg'] = color256(codes[index + 2]);
				index += 2;
			} else if ((code === 38 || code === 48) && codes[index + 1] === 2) {
				style[code === 38 ? 'fg' : 'bg'] = `rgb(${codes[index + 2]},${codes[index + 3]},${codes[index + 4]})`;
				index += 4;
			}
		}
	}

	return html;
}

async function shoot(browser, name) {
	// -N keeps trailing spaces: a coloured bar that reaches the right edge (the flame graph's root) keeps its colour.
	const screen = tmux('capture-pane', '-e', '-p', '-N', '-t', session);
	const page = await browser.newPage({viewport: {width: 1100, height: 640}, deviceScaleFactor: 1});
	await page.setContent(`<!doctype html><meta charset="utf-8"><body style="margin:0;background:#1d1f21">
<pre style="margin:0;padding:12px;font:13px/1.3 'DejaVu Sans Mono',monospace;color:#c5c8c6;background:#1d1f21;width:${columns}ch">${ansiToHtml(screen)}</pre></body>`);
	const size = await page.locator('pre').boundingBox();
	await page.setViewportSize({width: Math.ceil(size.width), height: Math.ceil(size.height)});
	await page.screenshot({path: path.join(shots, name)});
	await page.close();
	process.stderr.write(`wrote screenshots/${name}\n`);
}

const target = spawn(python, [path.join(root, 'examples/workload.py')], {stdio: 'ignore'});
const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
	await sleep(500);
	// CI silences Ink; the app gets a 256-colour terminal.
	tmux('new-session', '-d', '-s', session, '-x', String(columns), '-y', String(rows),
		`cd ${work} && env -u CI TERM=xterm-256color ${process.execPath} ${path.join(root, 'dist/source/cli.js')}; sleep 30`);
	await waitFor(String(target.pid));
	tmux('send-keys', '-t', session, '-l', 'examples/workload');
	await waitFor('> examples/workload_');
	await sleep(1200);
	// Other workloads may match too: move the cursor to ours.
	const listed = tmux('capture-pane', '-p', '-t', session).split('\n').filter(line => /^[› ] +\d+ /.test(line));
	for (let index = 0; index < listed.findIndex(line => /\d+/.exec(line)[0] === String(target.pid)); index++) {
		tmux('send-keys', '-t', session, 'Down');
		await sleep(150);
	}

	await shoot(browser, 'picker.png');
	tmux('send-keys', '-t', session, 'Enter');
	await waitFor('hot_hash');
	await sleep(4000);
	tmux('send-keys', '-t', session, 'Down');
	await sleep(300);
	await shoot(browser, 'live-view.png');
	tmux('send-keys', '-t', session, 'e');
	await waitFor('Export what was sampled');
	await shoot(browser, 'export-menu.png');
	tmux('send-keys', '-t', session, 'Escape');
	await sleep(300);
	tmux('send-keys', '-t', session, 'd');
	await waitFor('Stack dump for PID');
	await shoot(browser, 'dump-view.png');
	tmux('send-keys', '-t', session, 'Escape');
	await sleep(300);
	// f: the flame graph, a frame three levels down selected (its status line at the bottom).
	tmux('send-keys', '-t', session, 'f');
	await waitFor('▏all');
	for (const key of ['Down', 'Down', 'Down']) {
		tmux('send-keys', '-t', session, key);
		await sleep(300);
	}

	await shoot(browser, 'flame-view.png');
	// v: that function's source with its per-line samples.
	tmux('send-keys', '-t', session, 'v');
	await waitFor('line    self   total');
	await sleep(300);
	await shoot(browser, 'source-view.png');
	tmux('send-keys', '-t', session, 'Escape');
	await sleep(300);
	tmux('send-keys', '-t', session, 'Escape');
	await sleep(300);
	// w: the table over the last 10 s, with the header's trends of the last minute.
	tmux('send-keys', '-t', session, 'w');
	await waitFor('WINDOW: last 10 s');
	await sleep(1200);
	await shoot(browser, 'window-view.png');
	tmux('send-keys', '-t', session, 'q');
} finally {
	await browser.close();
	target.kill('SIGKILL');
	try {
		tmux('kill-session', '-t', session);
	} catch {
		// The session ended with its command.
	}
}
