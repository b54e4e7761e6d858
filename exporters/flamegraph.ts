// --flamegraph: one self-contained HTML page (d3-flame-graph inline, no network) of the call
// tree keyed by (file, line, function), pruned at 0.1%, with a thread selector, search with
// the matching share of samples, click to zoom and a tooltip with samples, % and file:line.
import {buildFlameTree, pageThreads, SourceLines, StringTable, treeToJson} from './flame-tree.js';
import {flamePage, pageStats} from './html.js';
import type {Profile} from './model.js';

export function flamegraphHtml(profile: Profile): string {
	const tree = buildFlameTree(profile);
	const strings = new StringTable();
	const {threads, index} = pageThreads(profile, tree.threadTotals);
	const source = new SourceLines();
	const root = treeToJson(tree, {
		strings,
		threadIndex: index,
		decorate(node, json) {
			// The sampled line's code, for the tooltip.
			const text = source.line(node.frame.filename, node.frame.line);
			if (text !== undefined) {
				json['src'] = strings.intern(text);
			}
		},
	});
	return flamePage({
		title: 'tachyon-top flame graph',
		data: {kind: 'flamegraph', strings: strings.strings, threads, tree: root, stats: pageStats(profile)},
	});
}
