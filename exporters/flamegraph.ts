// --flamegraph: one self-contained HTML page (d3-flame-graph inline, no network) of the call
// tree keyed by (file, line, function), pruned at 0.1%, with a thread selector, search with
// the matching share of samples, click to zoom and a tooltip with samples, % and file:line.
import {buildFlameTree, pageThreads, StringTable, treeToJson} from './flame-tree.js';
import {flamePage, pageStats} from './html.js';
import type {Profile} from './model.js';

export function flamegraphHtml(profile: Profile): string {
	const tree = buildFlameTree(profile);
	const strings = new StringTable();
	const {threads, index} = pageThreads(profile, tree.threadTotals);
	const root = treeToJson(tree, {strings, threadIndex: index});
	return flamePage({
		title: 'tachyon-top flame graph',
		data: {kind: 'flamegraph', strings: strings.strings, threads, tree: root, stats: pageStats(profile)},
	});
}
