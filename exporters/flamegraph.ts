// --flamegraph: one self-contained HTML page (d3-flame-graph inline, no network) of the call
// tree keyed by (file, line, function), pruned at 0.1%, with a thread selector, search with
// the matching share of samples, click to zoom and a tooltip with samples, % and file:line.
import type {ProfilingMode} from '../common/profile-types.js';
import {formatOpcode, isSpecialized} from '../sampler/opcodes.js';
import {buildFlameTree, pageThreads, StringTable, tooltipSource, treeToJson} from './flame-tree.js';
import {flamePage, pageStats} from './html.js';
import type {Profile} from './model.js';

/** Opcodes a node shows in its tooltip; the rest are summed as "N more". */
const tooltipOpcodes = 5;

/**
 * A node's busiest instructions for the tooltip, flattened: [name, samples, specialised 0/1]
 * per instruction (name a string index, `SPECIALIZED (BASE)` as Tachyon shows it), then the
 * count and samples of those left out.
 */
function topOpcodes(version: string, opcodes: Map<number, number>, strings: StringTable): number[] {
	const ranked = [...opcodes].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
	const flat: number[] = [];
	for (const [opcode, samples] of ranked.slice(0, tooltipOpcodes)) {
		flat.push(strings.intern(formatOpcode(version, opcode)), samples, isSpecialized(version, opcode) ? 1 : 0);
	}

	const rest = ranked.slice(tooltipOpcodes);
	flat.push(rest.length, rest.reduce((sum, [, samples]) => sum + samples, 0));
	return flat;
}

export function flamegraphHtml(profile: Profile, mode: ProfilingMode = profile.meta.mode): string {
	const tree = buildFlameTree(profile, {mode});
	const strings = new StringTable();
	const {threads, index} = pageThreads(profile, tree.threadTotals);
	const root = treeToJson(tree, {
		strings,
		threadIndex: index,
		decorate(node, json) {
			// The sampled line's code, for the tooltip.
			const text = tooltipSource(profile, node.frame);
			if (text !== undefined) {
				json['src'] = strings.intern(text);
			}

			if (node.opcodes !== undefined) {
				json['op'] = topOpcodes(profile.meta.pythonVersion, node.opcodes, strings);
			}
		},
	});
	return flamePage({
		title: 'tachyon-top flame graph',
		data: {kind: 'flamegraph', strings: strings.strings, threads, tree: root, stats: pageStats(profile, mode)},
	});
}
