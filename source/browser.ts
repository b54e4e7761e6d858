// --browser: opens an HTML output the way the desktop would ($BROWSER, xdg-open), else a
// browser found on PATH; on a machine with none (a server, CI) it prints the path instead.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {pathToFileURL} from 'node:url';

const fallbacks = ['xdg-open', 'sensible-browser', 'x-www-browser', 'firefox', 'chromium', 'chromium-browser', 'google-chrome'];

function onPath(name: string): string | undefined {
	if (name.includes('/')) {
		return isExecutable(name) ? name : undefined;
	}

	for (const directory of (process.env['PATH'] ?? '').split(path.delimiter)) {
		if (directory && isExecutable(path.join(directory, name))) {
			return path.join(directory, name);
		}
	}

	return undefined;
}

function isExecutable(file: string): boolean {
	try {
		fs.accessSync(file, fs.constants.X_OK);
		return fs.statSync(file).isFile();
	} catch {
		return false;
	}
}

/** The command that opens a URL here, or undefined. $BROWSER may list several, separated by ':'. */
export function findBrowser(): {command: string; args: string[]} | undefined {
	for (const entry of (process.env['BROWSER'] ?? '').split(':').filter(Boolean)) {
		const [name, ...args] = entry.trim().split(/\s+/);
		const command = name ? onPath(name) : undefined;
		if (command) {
			return {command, args};
		}
	}

	for (const name of fallbacks) {
		const command = onPath(name);
		if (command) {
			// Chromium refuses to run as root without it.
			const args = name.startsWith('chrom') || name === 'google-chrome' ? (process.getuid?.() === 0 ? ['--no-sandbox'] : []) : [];
			return {command, args};
		}
	}

	return undefined;
}

/** Opens `target` (a file, or a directory's index.html); returns how, for the message. */
export function openInBrowser(target: string): {opened: boolean; url: string} {
	const file = fs.existsSync(target) && fs.statSync(target).isDirectory() ? path.join(target, 'index.html') : target;
	const url = pathToFileURL(path.resolve(file)).href;
	const browser = findBrowser();
	if (browser === undefined) {
		process.stdout.write(`No browser found; open ${url}\n`);
		return {opened: false, url};
	}

	const child = spawn(browser.command, [...browser.args, url], {detached: true, stdio: 'ignore'});
	child.on('error', () => {
		process.stdout.write(`Could not start ${browser.command}; open ${url}\n`);
	});
	child.unref();
	return {opened: true, url};
}
