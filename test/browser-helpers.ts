// Opens report pages in headless Chromium (Debian's, through playwright-core) and records what
// a test must check about every page: console errors, page errors and any request that is
// not for a local file or inline data.
import fs from 'node:fs';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {chromium, type Browser, type Page} from 'playwright-core';
import type {Profile} from '../exporters/model.js';
import {startProfiling} from '../live/start-profiling.js';
import {root} from './helpers.js';

export const chromiumPath = '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
	return fs.existsSync(chromiumPath) ? undefined : `${chromiumPath} is not installed; skipping browser checks`;
}

export async function launchBrowser(): Promise<Browser> {
	return chromium.launch({
		executablePath: chromiumPath,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
	});
}

export type OpenedPage = {
	readonly page: Page;
	/** Console errors and uncaught exceptions, in order. */
	readonly errors: string[];
	/** URLs of requests other than file: and data: (each one was blocked). */
	readonly requests: string[];
	/** ms from navigation start to the load event. */
	readonly loadMs: number;
};

/** Opens a local file with every non-local request blocked and recorded. */
export async function openFile(browser: Browser, file: string, options: {width?: number; height?: number; colorScheme?: 'light' | 'dark'} = {}): Promise<OpenedPage> {
	const page = await browser.newPage({viewport: {width: options.width ?? 1400, height: options.height ?? 900}, colorScheme: options.colorScheme ?? 'light'});
	const errors: string[] = [];
	const requests: string[] = [];
	page.on('console', message => {
		if (message.type() === 'error') {
			errors.push(message.text());
		}
	});
	page.on('pageerror', error => {
		errors.push(error.message);
	});
	await page.route('**', async route => {
		const url = route.request().url();
		if (url.startsWith('file:') || url.startsWith('data:')) {
			await route.continue();
		} else {
			requests.push(url);
			await route.abort();
		}
	});
	const started = Date.now();
	await page.goto(pathToFileURL(file).href, {waitUntil: 'load'});
	return {page, errors, requests, loadMs: Date.now() - started};
}

/** The captured profile of a running process, through the real sampler (no CLI in between). */
export async function captureProfile(pid: number, seconds: number, options: {allThreads?: boolean; intervalUs?: number} = {}): Promise<Profile> {
	const intervalUs = options.intervalUs ?? 1000;
	const allThreads = options.allThreads ?? false;
	const {profile, sampler} = startProfiling({pid, intervalUs, durationS: seconds, allThreads, sources: true});
	const end = await sampler.finished;
	await profile.sources.settled();
	if (end.kind === 'error') {
		throw new Error(`sampling ${pid} failed: ${end.message}`);
	}

	return profile;
}

/**
 * Reads `read` until `done` holds of what it gives, for up to `timeoutMs`: a page animates each
 * change (d3's transitions), and a loaded machine stretches the animation well past any fixed
 * wait. Gives the last value read either way, for the test's own assertion to judge and name.
 */
export async function readUntil<T>(page: Page, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let value = await read();
	while (!done(value) && Date.now() < deadline) {
		await page.waitForTimeout(50);
		value = await read();
	}

	return value;
}

/** Screenshots for the README are refreshed when UPDATE_SCREENSHOTS=1. */
export async function maybeScreenshot(page: Page, name: string): Promise<void> {
	if (process.env['UPDATE_SCREENSHOTS'] === '1') {
		// Let d3's transitions finish.
		await page.waitForTimeout(1200);
		await page.screenshot({path: path.join(root, 'screenshots', name)});
	}
}
