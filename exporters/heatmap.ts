// --heatmap: a directory with index.html (source files ranked by samples) and one page per
// file (file_0000.html is the hottest) showing its source, as read from the target while it ran
// (or as its archive stored it; never from this machine's disk), with per-line self and
// cumulative sample counts on a log colour scale and a jump to the hottest line. Without the
// source, a page shows only the lines that have samples: a line number is never a row count.
// Frames without a real source file (`<frozen …>`, `<string>`, synthetic markers, line 0) are
// left out, as Tachyon's heatmap does.
import {thousands} from '../common/thousands.js';
import type {ProfilingMode} from '../common/profile-types.js';
import {assetFile, escapeHtml, htmlPage, pageStats, percent} from './html.js';
import type {FrameDef} from '../common/profile-types.js';
import type {Profile} from './model.js';
import {opcodeMix} from './heatmap-opcodes.js';
import {shortFilename} from './paths.js';

/** A source position another line calls or is called from. */
type LineRef = {readonly filename: string; readonly line: number; readonly funcname: string};

type LineCounts = {
	self: number;
	cumulative: number;
	/** Key of a (file, line, function) this line called → samples. */
	readonly callees: Map<string, number>;
	/** Key of a (file, line, function) that called into this line → samples. */
	readonly callers: Map<string, number>;
	/** --opcodes: opcode → samples with a frame of this line standing on it (once per sample). */
	readonly opcodes: Map<number, number>;
};

type FileCounts = {
	readonly filename: string;
	/** Samples whose stack runs through this file (once per stack). */
	samples: number;
	/** Samples whose innermost frame is in this file. */
	self: number;
	readonly lines: Map<number, LineCounts>;
};

function hasSource(frame: FrameDef): boolean {
	return frame.kind === 'python' && frame.line > 0 && !frame.filename.startsWith('<') && !frame.filename.startsWith('[') && frame.filename !== '__init__';
}

function refKey(frame: FrameDef): string {
	return `${frame.filename}\0${frame.line}\0${frame.funcname}`;
}

export function lineCounts(profile: Profile, mode: ProfilingMode = profile.meta.mode): {files: FileCounts[]; total: number; refs: Map<string, LineRef>} {
	const files = new Map<string, FileCounts>();
	const refs = new Map<string, LineRef>();
	const seenLines = new Set<string>();
	const seenFiles = new Set<string>();
	let total = 0;
	for (const cell of profile.select({mode})) {
		total += cell.count;
		if (cell.stack < 0) {
			continue;
		}

		const frames = profile.stackFrames(cell.stack);
		seenLines.clear();
		seenFiles.clear();
		for (let index = 0; index < frames.length; index++) {
			const frame = profile.frames[frames[index]!]!;
			if (!hasSource(frame)) {
				continue;
			}

			let file = files.get(frame.filename);
			if (file === undefined) {
				file = {filename: frame.filename, samples: 0, self: 0, lines: new Map()};
				files.set(frame.filename, file);
			}

			let line = file.lines.get(frame.line);
			if (line === undefined) {
				line = {self: 0, cumulative: 0, callees: new Map(), callers: new Map(), opcodes: new Map()};
				file.lines.set(frame.line, line);
			}

			// Call edges between neighbouring frames that both have source, for navigation.
			const caller = index > 0 ? profile.frames[frames[index - 1]!]! : undefined;
			if (caller !== undefined && hasSource(caller)) {
				const callerKey = refKey(caller);
				line.callers.set(callerKey, (line.callers.get(callerKey) ?? 0) + cell.count);
				refs.set(callerKey, {filename: caller.filename, line: caller.line, funcname: caller.funcname});
				const callerLine = files.get(caller.filename)?.lines.get(caller.line);
				const key = refKey(frame);
				refs.set(key, {filename: frame.filename, line: frame.line, funcname: frame.funcname});
				callerLine?.callees.set(key, (callerLine.callees.get(key) ?? 0) + cell.count);
			}

			// Recursion must not count a line (or file) twice for one sample.
			const lineKey = `${frame.line}\0${frame.filename}`;
			if (!seenLines.has(lineKey)) {
				seenLines.add(lineKey);
				line.cumulative += cell.count;
				// Every frame on the line, not only the leaf: a caller's line shows its call instruction.
				if (frame.opcode >= 0) {
					line.opcodes.set(frame.opcode, (line.opcodes.get(frame.opcode) ?? 0) + cell.count);
				}
			}

			if (!seenFiles.has(frame.filename)) {
				seenFiles.add(frame.filename);
				file.samples += cell.count;
			}

			if (index === frames.length - 1) {
				line.self += cell.count;
				file.self += cell.count;
			}
		}
	}

	const ranked = [...files.values()].sort((a, b) => b.samples - a.samples || b.self - a.self || (a.filename < b.filename ? -1 : 1));
	return {files: ranked, total, refs};
}

export function heatmapPageName(rank: number): string {
	return `file_${String(rank).padStart(4, '0')}.html`;
}

function fileKind(filename: string): string {
	if (filename.includes('/site-packages/') || filename.includes('/dist-packages/')) {
		return 'site-packages';
	}

	return /\/lib\/python3\.\d+\//.test(filename) ? 'stdlib' : 'project';
}

function intensity(value: number, max: number): number {
	return max > 0 && value > 0 ? Math.log(value + 1) / Math.log(max + 1) : 0;
}

function hottestLine(file: FileCounts): number {
	let best = 0;
	let bestCount = -1;
	for (const [line, counts] of file.lines) {
		if (counts.self > bestCount || (counts.self === bestCount && line < best)) {
			best = line;
			bestCount = counts.self;
		}
	}

	// A file with no self time (only calls out of it): its busiest line by cumulative.
	if (bestCount === 0) {
		for (const [line, counts] of file.lines) {
			if (counts.cumulative > bestCount) {
				best = line;
				bestCount = counts.cumulative;
			}
		}
	}

	return best;
}

function statsLine(profile: Profile, mode: ProfilingMode): string {
	const stats = pageStats(profile, mode);
	return escapeHtml([
		`Python ${stats.pythonVersion}`, `pid ${stats.pid}`, `${stats.mode} mode`, `${thousands(stats.samples)} samples`,
		`${stats.durationS.toFixed(2)} s`, `${thousands(Math.round(stats.rate))} Hz`,
		`errors ${stats.errorRate.toFixed(2)}%`, `missed ${stats.missedRate.toFixed(2)}%`,
		...stats.threadStates.map(state => `${state.label} ${state.percent.toFixed(1)}%`),
	].join('  ·  '));
}

function indexPage(profile: Profile, files: FileCounts[], total: number, mode: ProfilingMode): string {
	const rows = files.map((file, rank) => {
		const hot = hottestLine(file);
		const share = total > 0 ? (file.samples / total) * 100 : 0;
		return `<tr class="file-row" data-rank="${rank}" data-samples="${file.samples}">
<td class="number">${rank + 1}</td>
<td><a href="${heatmapPageName(rank)}">${escapeHtml(file.filename)}</a></td>
<td>${fileKind(file.filename)}</td>
<td class="number">${thousands(file.samples)}</td>
<td><span class="bar" style="width:${share.toFixed(1)}%"></span> ${percent(file.samples, total)}</td>
<td class="number">${thousands(file.self)}</td>
<td><a href="${heatmapPageName(rank)}#L${hot}">line ${hot}</a></td>
</tr>`;
	}).join('\n');
	const body = `<header><h1>tachyon-top heatmap</h1><div class="stats">${statsLine(profile, mode)}</div></header>
<main>
${files.length === 0 ? '<p>No samples in files with source.</p>' : ''}
<table id="files">
<thead><tr><th class="number">#</th><th>File</th><th>Kind</th><th class="number">Samples</th><th>Share</th><th class="number">Self</th><th>Hottest</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</main>`;
	return htmlPage({title: 'tachyon-top heatmap', styles: [assetFile('page.css'), assetFile('heatmap.css')], body});
}

/** Where a call edge leads: its file's page and line, when that file has a page. */
type Links = {readonly pageOf: Map<string, string>; readonly refs: Map<string, LineRef>};

/** Up to three callees (→) and callers (←) of a line, busiest first, as links to their lines. */
function navigation(counts: LineCounts, links: Links): string {
	const chips = (edges: Map<string, number>, arrow: string, kind: string) => [...edges]
		.sort((a, b) => b[1] - a[1])
		.slice(0, 3)
		.map(([key, samples]) => {
			const ref = links.refs.get(key)!;
			const page = links.pageOf.get(ref.filename);
			const label = `${arrow} ${ref.funcname} (${shortFilename(ref.filename)}:${ref.line}) ${samples}`;
			return page === undefined ? '' : `<a class="nav ${kind}" href="${page}#L${ref.line}">${escapeHtml(label)}</a>`;
		})
		.join('');
	return chips(counts.callees, '→', 'callee') + chips(counts.callers, '←', 'caller');
}

/** The rows of a file page: every line of its source, and the lines with samples (beyond it, or all when there is no source). */
function rowNumbers(sourceLines: number, sampled: ReadonlyMap<number, LineCounts>): number[] {
	const beyond = [...sampled.keys()].filter(line => line > sourceLines).sort((a, b) => a - b);
	return [...Array.from({length: sourceLines}, (_, index) => index + 1), ...beyond];
}

function filePage(profile: Profile, file: FileCounts, total: number, links: Links, mode: ProfilingMode): string {
	const source = profile.sources.lines(file.filename);
	let maxSelf = 0;
	let maxCumulative = 0;
	for (const counts of file.lines.values()) {
		maxSelf = Math.max(maxSelf, counts.self);
		maxCumulative = Math.max(maxCumulative, counts.cumulative);
	}

	const hot = hottestLine(file);
	const rows: string[] = [];
	let previous = 0;
	for (const number of rowNumbers(source?.length ?? 0, file.lines)) {
		if (number > previous + 1) {
			rows.push('<div class="gap">⋯</div>');
		}

		previous = number;
		const counts = file.lines.get(number);
		const self = counts?.self ?? 0;
		const cumulative = counts?.cumulative ?? 0;
		const selfHeat = intensity(self, maxSelf).toFixed(3);
		const cumulativeHeat = intensity(cumulative, maxCumulative).toFixed(3);
		const title = counts ? ` title="Self: ${self}, Total: ${cumulative}"` : '';
		rows.push(`<div class="code-line${number === hot ? ' hottest' : ''}" id="L${number}" data-self="${self}" data-cumulative="${cumulative}" style="--self:${selfHeat};--cumulative:${cumulativeHeat}"${title}>`
			+ `<a class="number" href="#L${number}">${number}</a><span class="count">${self || ''}</span><span class="count">${cumulative || ''}</span>`
			+ `<span class="code">${escapeHtml(source?.[number - 1] ?? '')}</span>${counts ? navigation(counts, links) + opcodeMix(profile.meta.pythonVersion, counts.opcodes) : ''}</div>`);
	}

	const missing = source === undefined ? `<p class="missing"># Source file not available: ${escapeHtml(file.filename)}</p>` : '';
	const body = `<header>
<h1>${escapeHtml(file.filename)}</h1>
<div class="stats">${thousands(file.samples)} samples in this file (${percent(file.samples, total)} of ${thousands(total)}), ${thousands(file.self)} self · ${statsLine(profile, mode)}</div>
<div class="toolbar">
<a href="index.html">← all files</a>
<a href="#L${hot}" id="jump-hottest">Jump to hottest line (${hot})</a>
<label>Colour by <select id="colour-by"><option value="cumulative">cumulative</option><option value="self">self</option></select></label>
<span class="legend"><span class="scale"></span> 0 → max (log scale)</span>
</div>
</header>
<main>
${missing}
<div class="code-header"><span class="number">line</span><span class="count">self</span><span class="count">total</span><span class="code"></span></div>
<div id="source" class="by-cumulative">
${rows.join('\n')}
</div>
</main>`;
	return htmlPage({title: `${file.filename} — tachyon-top heatmap`, styles: [assetFile('page.css'), assetFile('heatmap.css')], body, scripts: [assetFile('heatmap.js')]});
}

export function heatmapFiles(profile: Profile, mode: ProfilingMode = profile.meta.mode): Map<string, string> {
	const {files, total, refs} = lineCounts(profile, mode);
	const links: Links = {pageOf: new Map(files.map((file, rank) => [file.filename, heatmapPageName(rank)])), refs};
	const pages = new Map<string, string>([['index.html', indexPage(profile, files, total, mode)]]);
	for (const [rank, file] of files.entries()) {
		pages.set(heatmapPageName(rank), filePage(profile, file, total, links, mode));
	}

	return pages;
}
