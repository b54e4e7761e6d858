// Shared by the HTML exporters: escaping, embedding data in a page, reading vendored
// browser builds from node_modules, and the page frame. Every name, path and source line
// that reaches HTML goes through escapeHtml (markup) or embedJson (script data); page
// scripts only ever put such text into the DOM with textContent.
import type {ProfilingMode} from '../common/profile-types.js';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import type {Profile} from './model.js';
import {statusCounts} from './status-counts.js';

const require = createRequire(import.meta.url);
const htmlEscapes: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;'};

export function escapeHtml(text: string): string {
	return text.replaceAll(/[&<>"']/g, character => htmlEscapes[character]!);
}

/**
 * JSON that is safe inside a <script> element: `<` can never open `</script>` or `<!--`,
 * and U+2028/U+2029 (line terminators in old JS parsers) are escaped too.
 */
export function embedJson(value: unknown): string {
	return JSON.stringify(value)
		.replaceAll('<', String.raw`\u003c`)
		.replaceAll('>', String.raw`\u003e`)
		.replaceAll('&', String.raw`\u0026`)
		.replaceAll('\u2028', String.raw`\u2028`)
		.replaceAll('\u2029', String.raw`\u2029`);
}

/** Keeps an inlined script or style from closing its element early. */
function inlineSafe(code: string, element: 'script' | 'style'): string {
	return code.replaceAll(new RegExp(`</(${element})`, 'gi'), String.raw`<\/$1`);
}

const vendorCache = new Map<string, string>();

/** A file of an installed npm package (the d3-flame-graph build), found from dist/ or the sources. */
export function vendorFile(specifier: string): string {
	let text = vendorCache.get(specifier);
	if (text === undefined) {
		// Packages' "exports" maps hide their dist/ files from require.resolve: look in the
		// node_modules directories Node would search instead.
		const [name] = specifier.split('/');
		const file = (require.resolve.paths(name!) ?? [])
			.map(directory => path.join(directory, specifier))
			.find(candidate => fs.existsSync(candidate));
		if (file === undefined) {
			throw new Error(`Cannot find ${specifier}: is the package installed?`);
		}

		text = fs.readFileSync(file, 'utf8');
		vendorCache.set(specifier, text);
	}

	return text;
}

const assetsDirectory = (() => {
	// exporters/assets is not compiled: from dist/exporters look in the source tree.
	const here = path.dirname(fileURLToPath(import.meta.url));
	const candidates = [path.join(here, 'assets'), path.join(here, '..', '..', 'exporters', 'assets')];
	return candidates.find(candidate => fs.existsSync(candidate)) ?? candidates[0]!;
})();

/** One of our own page scripts or styles under exporters/assets/. */
export function assetFile(name: string): string {
	let text = vendorCache.get(`asset:${name}`);
	if (text === undefined) {
		text = fs.readFileSync(path.join(assetsDirectory, name), 'utf8');
		vendorCache.set(`asset:${name}`, text);
	}

	return text;
}

export type PageParts = {
	readonly title: string;
	readonly styles?: readonly string[];
	/** Markup, already escaped by the caller. */
	readonly body: string;
	/** Data the scripts read as `window.PROFILE_DATA`. */
	readonly data?: unknown;
	readonly scripts?: readonly string[];
	/** A script run in <head>, before the body is drawn. */
	readonly headScript?: string;
};

/**
 * A self-contained page: everything inline, and a Content-Security-Policy that forbids any
 * request (no network, no CDN) while allowing the inline code.
 */
export function htmlPage(parts: PageParts): string {
	const styles = (parts.styles ?? []).map(style => `<style>${inlineSafe(style, 'style')}</style>`).join('\n');
	const data = parts.data === undefined ? '' : `<script>window.PROFILE_DATA = ${embedJson(parts.data)};</script>\n`;
	const scripts = (parts.scripts ?? []).map(script => `<script>${inlineSafe(script, 'script')}</script>`).join('\n');
	const headScript = parts.headScript === undefined ? '' : `<script>${inlineSafe(parts.headScript, 'script')}</script>\n`;
	return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(parts.title)}</title>
${headScript}${styles}
</head>
<body>
${parts.body}
${data}${scripts}
</body>
</html>
`;
}

/** "12.3%": shares shown on every page the same way. */
export function percent(part: number, whole: number): string {
	return whole > 0 ? `${((part / whole) * 100).toFixed(1)}%` : '0.0%';
}

export type PageStats = {
	readonly pid: number;
	readonly pythonVersion: string;
	readonly mode: string;
	readonly samples: number;
	readonly durationS: number;
	readonly rate: number;
	readonly errorRate: number;
	readonly missedRate: number;
	readonly intervalUs: number;
	/** Shares of thread samples in each state the sampler observed (GIL held, GC, …). */
	readonly threadStates: Array<{label: string; percent: number}>;
};

/** What share of thread samples held the GIL, waited for it, ran on a CPU, had an exception, or ran GC. */
function threadStates(profile: Profile): Array<{label: string; percent: number}> {
	const counts = statusCounts(profile.cells);
	const total = counts.samples;
	if (total === 0) {
		return [];
	}

	const states = [{label: 'GIL held', percent: (counts.hasGil / total) * 100}];
	if (counts.gilRequested > 0) {
		states.push({label: 'GIL wanted', percent: (counts.gilRequested / total) * 100});
	}

	// Run state is only read in some modes; without it every sample is "unknown".
	if (counts.cpuKnown > 0) {
		states.push({label: 'on CPU', percent: (counts.onCpu / counts.cpuKnown) * 100});
	}

	states.push({label: 'exception', percent: (counts.hasException / total) * 100}, {label: 'GC', percent: (counts.inGc / total) * 100});
	return states;
}

/** The sampling facts every report shows in its header. */
export function pageStats(profile: Profile, mode: ProfilingMode = profile.meta.mode): PageStats {
	const summary = profile.summary();
	return {
		pid: profile.meta.pid,
		pythonVersion: profile.meta.pythonVersion,
		mode,
		samples: profile.samples,
		durationS: summary.durationS > 0 ? summary.durationS : profile.timeUs / 1e6,
		rate: summary.rate,
		errorRate: summary.errorRate,
		missedRate: summary.missedRate,
		intervalUs: profile.meta.intervalUs,
		threadStates: threadStates(profile),
	};
}

export type FlamePageParts = {
	readonly title: string;
	/** Extra toolbar markup (the diff's legend), already escaped. */
	readonly toolbarExtra?: string;
	/** Markup after the chart (the diff's removed frames), already escaped. */
	readonly after?: string;
	readonly data: unknown;
};

/**
 * The flame graph page shared by --flamegraph and --diff-flamegraph: d3 + d3-flame-graph inline.
 * Beside the chart, a sidebar with the hot spots (functions by their own samples) and how the
 * threads spent their time; the toolbar switches to the inverted view (hot functions at the
 * root, their callers beyond), the icicle orientation (root at the top) and a dark theme.
 */
export function flamePage(parts: FlamePageParts): string {
	const body = `<header>
<div class="title-row">
<h1>${escapeHtml(parts.title)}</h1>
<button id="theme" type="button" aria-pressed="false" title="Switch between the light and the dark theme">Dark theme</button>
</div>
<div class="stats" id="stats"></div>
<div class="toolbar">
<input type="search" id="search" placeholder="Search functions, files…" aria-label="Search">
<span id="search-result"></span>
<label>Thread <select id="thread"><option value="-1">All threads</option></select></label>
<label title="Hot functions at the root, each with the call paths that reach it"><input type="checkbox" id="invert"> Inverted</label>
<label title="Draw the root at the top, callees below it"><input type="checkbox" id="icicle"> Icicle</label>
<button id="reset" type="button" disabled>Reset zoom</button>
<button id="sidebar-toggle" type="button" aria-expanded="true" aria-controls="sidebar">Hide sidebar</button>
<span id="detail-note" class="stats"></span>
${parts.toolbarExtra ?? ''}
</div>
</header>
<div class="layout">
<aside id="sidebar">
<section id="hotspots"><h2>Hot spots</h2>
<p class="hint" id="hotspots-hint">Functions by the samples spent in their own code. Click one to highlight it.</p>
<ol id="hotspot-list"></ol>
</section>
<section id="runtime"><h2>Thread states</h2><div id="runtime-bars"></div></section>
</aside>
<main>
<div id="chart"></div>
${parts.after ?? ''}
</main>
</div>
<div id="tooltip" role="tooltip"></div>`;
	return htmlPage({
		title: parts.title,
		styles: [vendorFile('d3-flame-graph/dist/d3-flamegraph.css'), assetFile('page.css'), assetFile('flamegraph.css')],
		body,
		data: parts.data,
		// The theme is chosen before the page is drawn, so a dark page never flashes white.
		headScript: assetFile('theme.js'),
		scripts: [vendorFile('d3/dist/d3.min.js'), vendorFile('d3-flame-graph/dist/d3-flamegraph.min.js'), assetFile('flamegraph.js')],
	});
}
