// --diff-flamegraph BASELINE: the current profile's flame graph (width = current samples),
// each frame coloured by how its samples changed against the baseline (red slower, blue
// faster, purple only in this run), with before/after in the tooltip and a table of the
// call paths that only the baseline has. The page compares each frame's share of its run's
// samples by default (a shorter run is not "faster" everywhere), raw counts on request.
//
// Frames are matched by their call path of (file, function) from the root, ignoring line
// numbers (lines move when code is edited), as Tachyon does. When several current nodes share
// a path (same function, different lines) they split the baseline in proportion to their
// own samples. Baseline counts are scaled by the ratio of sampling intervals, not by duration,
// for the absolute view (a run-to-completion workload that got slower simply has more samples);
// the default share view then scales them once more, to this run's total.
import {thousands} from '../common/thousands.js';
import type {ProfilingMode} from '../common/profile-types.js';
import {buildFlameTree, type FlameNode, type FlameTree, nodeName, pageThreads, StringTable, tooltipSource, treeToJson} from './flame-tree.js';
import {escapeHtml, flamePage, pageStats, percent} from './html.js';
import type {Profile} from './model.js';
import {UserError} from '../common/errors.js';

type PathTotals = {samples: number; self: number};

function pathStep(node: FlameNode): string {
	return `${node.frame.filename}\0${node.frame.funcname}\0${node.frame.kind}`;
}

/** Totals per (file, function) path, over a whole tree. */
function totalsByPath(tree: FlameTree): Map<string, PathTotals> {
	const totals = new Map<string, PathTotals>();
	const stack: Array<{node: FlameNode; path: string}> = [...tree.root.children.values()].map(node => ({node, path: pathStep(node)}));
	while (stack.length > 0) {
		const {node, path} = stack.pop()!;
		const entry = totals.get(path) ?? {samples: 0, self: 0};
		entry.samples += node.samples;
		entry.self += node.self;
		totals.set(path, entry);
		for (const child of node.children.values()) {
			stack.push({node: child, path: `${path}\u0001${pathStep(child)}`});
		}
	}

	return totals;
}

export type RemovedPath = {readonly frames: string[]; readonly samples: number};

/** Baseline paths absent from the current run, largest first, outermost only. */
function removedPaths(baseline: FlameTree, current: Map<string, PathTotals>, scale: number, limit: number): RemovedPath[] {
	const removed: RemovedPath[] = [];
	const stack: Array<{node: FlameNode; path: string; names: string[]}> = [...baseline.root.children.values()]
		.map(node => ({node, path: pathStep(node), names: [nodeName(node.frame)]}));
	const minimum = Math.max(1, Math.floor(baseline.root.samples * 0.001));
	while (stack.length > 0) {
		const {node, path, names} = stack.pop()!;
		if (node.samples < minimum) {
			continue;
		}

		if (!current.has(path)) {
			removed.push({frames: names, samples: node.samples * scale});
			continue;
		}

		for (const child of node.children.values()) {
			stack.push({node: child, path: `${path}\u0001${pathStep(child)}`, names: [...names, nodeName(child.frame)]});
		}
	}

	return removed.sort((a, b) => b.samples - a.samples).slice(0, limit);
}

// By default frames compare their share of each run's samples, so a shorter (or longer) run
// does not make everything look faster (or slower); absolute counts are one click away.
/**
 * The baseline's own samples per (file, function, line), interval-scaled, flattened as
 * [file, function, line, samples] with string indexes: the "before" of the hot spots and of
 * the inverted view's root children, which must count the paths this run no longer takes too.
 */
function baselineSelfByLine(baseline: FlameTree, scale: number, strings: StringTable): number[] {
	const totals = new Map<string, {file: string; funcname: string; line: number; self: number}>();
	const stack = [...baseline.root.children.values()];
	while (stack.length > 0) {
		const node = stack.pop()!;
		if (node.self > 0) {
			const line = Math.max(node.frame.line, 0);
			const key = `${node.frame.filename}\0${node.frame.funcname}\0${line}`;
			const entry = totals.get(key) ?? {file: node.frame.filename, funcname: node.frame.funcname, line, self: 0};
			entry.self += node.self;
			totals.set(key, entry);
		}

		stack.push(...node.children.values());
	}

	return [...totals.values()].flatMap(entry => [strings.intern(entry.file), strings.intern(entry.funcname), entry.line, entry.self * scale]);
}

function legend(): string {
	return `<span class="legend" id="legend">
<span><span class="gradient"></span> faster ← same → slower</span>
<span><span class="swatch" style="background:#8e24aa"></span>only in this run</span>
<span>width = samples in this run</span>
<span id="colour-meaning">colour = change in share of samples</span>
</span>
<label title="Compare raw sample counts (scaled by the sampling intervals) instead of shares of each run"><input type="checkbox" id="absolute"> absolute counts</label>`;
}

function removedTable(removed: RemovedPath[], baselineTotal: number): string {
	if (removed.length === 0) {
		return '<section id="removed"><h2>Only in the baseline</h2><p>No call path of the baseline is missing from this run.</p></section>';
	}

	const rows = removed.map(path => `<tr><td class="number">${thousands(Math.round(path.samples))}</td><td class="number">${percent(path.samples, baselineTotal)}</td><td>${path.frames.map(frame => escapeHtml(frame)).join(' → ')}</td></tr>`).join('\n');
	return `<section id="removed"><h2>Only in the baseline</h2>
<p>Call paths the baseline sampled that this run never reached (not drawn: the width is this run's samples).</p>
<table><thead><tr><th class="number">Baseline samples</th><th class="number">Share</th><th>Call path</th></tr></thead><tbody>
${rows}
</tbody></table></section>`;
}

export function diffFlamegraphHtml(profile: Profile, baseline: Profile | undefined, mode: ProfilingMode = profile.meta.mode): string {
	if (baseline === undefined) {
		throw new UserError('--diff-flamegraph needs a baseline profile (a .bin file)', 2);
	}

	const tree = buildFlameTree(profile, {mode});
	const baselineTree = buildFlameTree(baseline, {mode: baseline.meta.mode});
	const scale = profile.meta.intervalUs > 0 ? baseline.meta.intervalUs / profile.meta.intervalUs : 1;
	const before = totalsByPath(baselineTree);
	const after = totalsByPath(tree);
	const strings = new StringTable();
	const {threads, index: threadIndex} = pageThreads(profile, tree.threadTotals);
	const root = treeToJson<string>(tree, {
		strings,
		threadIndex,
		decorate(node, json, parentPath) {
			const text = tooltipSource(profile, node.frame);
			if (text !== undefined) {
				json['src'] = strings.intern(text);
			}

			if (parentPath === undefined) {
				json['b'] = baselineTree.root.samples * scale;
				json['bs'] = baselineTree.root.self * scale;
				return '';
			}

			const path = parentPath === '' ? pathStep(node) : `${parentPath}\u0001${pathStep(node)}`;
			const old = before.get(path);
			if (old === undefined) {
				json['nw'] = 1;
				json['b'] = 0;
				json['bs'] = 0;
			} else {
				// This node's part of the path's baseline, by its part of the path's current samples.
				const shared = after.get(path)!;
				const share = shared.samples > 0 ? node.samples / shared.samples : 1;
				const selfShare = shared.self > 0 ? node.self / shared.self : share;
				json['b'] = old.samples * scale * share;
				json['bs'] = old.self * scale * selfShare;
			}

			return path;
		},
	});
	const removed = removedPaths(baselineTree, after, scale, 200);
	return flamePage({
		title: 'tachyon-top differential flame graph',
		toolbarExtra: legend(),
		after: removedTable(removed, baselineTree.root.samples * scale),
		data: {
			kind: 'diff',
			strings: strings.strings,
			threads,
			tree: root,
			stats: pageStats(profile, mode),
			diff: {baselineSamples: baseline.samples, currentSamples: profile.samples, scale, removedCount: removed.length, baselineSelf: baselineSelfByLine(baselineTree, scale, strings)},
		},
	});
}
