// Per-function-line totals over a profile view: what pstats prints and the live table shows.
// A row is one (file, current line, function), as in Tachyon; cumulative counts a row once
// per stack however often it recurs, so recursion does not inflate it.
import {compareText} from '../common/compare-text.js';
import {isSynthetic, type Profile, type View} from './model.js';
import type {SortKey} from './sort-keys.js';

export type FunctionRow = {
	readonly id: number;
	readonly filename: string;
	readonly line: number;
	readonly funcname: string;
	readonly synthetic: boolean;
	directSamples: number;
	cumulativeSamples: number;
	/** directSamples × the time a sample stands for (Profile.sampleTimeUs). */
	directTimeUs: number;
	cumulativeTimeUs: number;
	/** Row id of a caller → samples in which it called this row. */
	readonly callers: Map<number, number>;
	/** Row id of a callee → samples in which this row called it. */
	readonly callees: Map<number, number>;
};

export type FunctionStats = {
	readonly rows: FunctionRow[];
	/** Thread samples in the view. */
	readonly totalSamples: number;
	readonly totalTimeUs: number;
};

export type StatsOptions = {
	/** One row per (file, line, function), as pstats; false: one per (file, function), line 0 (py-spy top's default). */
	readonly lines?: boolean;
};

export function functionStats(profile: Profile, view: View = {}, options: StatsOptions = {}): FunctionStats {
	const byLine = options.lines !== false;
	const rows: FunctionRow[] = [];
	const rowByKey = new Map<string, number>();
	const rowOfFrame = new Map<number, number>();
	const stackRows = new Map<number, number[]>();
	const rowFor = (frameId: number) => {
		let id = rowOfFrame.get(frameId);
		if (id === undefined) {
			const frame = profile.frames[frameId]!;
			const line = byLine ? Math.max(frame.line, 0) : 0;
			const key = `${frame.filename}\0${line}\0${frame.funcname}`;
			id = rowByKey.get(key);
			if (id === undefined) {
				id = rows.length;
				rowByKey.set(key, id);
				rows.push({
					id, filename: frame.filename, line, funcname: frame.funcname, synthetic: isSynthetic(frame),
					directSamples: 0, cumulativeSamples: 0, directTimeUs: 0, cumulativeTimeUs: 0, callers: new Map(), callees: new Map(),
				});
			}

			rowOfFrame.set(frameId, id);
		}

		return id;
	};

	let totalSamples = 0;
	const seen = new Set<number>();
	for (const cell of profile.select(view)) {
		let path = stackRows.get(cell.stack);
		if (path === undefined) {
			const frames = cell.stack < 0 ? [] : profile.stackFrames(cell.stack);
			// Rows are numbered leaf first, in the order samples first show them: Tachyon's own
			// order, which its tables keep among equal values.
			path = Array.from<number>({length: frames.length});
			for (let index = frames.length - 1; index >= 0; index--) {
				path[index] = rowFor(frames[index]!);
			}

			stackRows.set(cell.stack, path);
		}

		totalSamples += cell.count;
		if (path.length === 0) {
			continue;
		}

		const leaf = rows[path.at(-1)!]!;
		leaf.directSamples += cell.count;
		seen.clear();
		for (let index = 0; index < path.length; index++) {
			const id = path[index]!;
			if (!seen.has(id)) {
				seen.add(id);
				rows[id]!.cumulativeSamples += cell.count;
			}

			if (index > 0) {
				const caller = path[index - 1]!;
				rows[id]!.callers.set(caller, (rows[id]!.callers.get(caller) ?? 0) + cell.count);
				rows[caller]!.callees.set(id, (rows[caller]!.callees.get(id) ?? 0) + cell.count);
			}
		}
	}

	// Times are counts × one sample's share of the time sampled, so they agree with the counts.
	const sampleUs = profile.sampleTimeUs();
	for (const row of rows) {
		row.directTimeUs = row.directSamples * sampleUs;
		row.cumulativeTimeUs = row.cumulativeSamples * sampleUs;
	}

	return {rows: rows.filter(row => row.cumulativeSamples > 0), totalSamples, totalTimeUs: totalSamples * sampleUs};
}

export type {SortKey} from './sort-keys.js';

/**
 * Orders rows as Tachyon's --sort does (largest first, `name` alphabetical). Equal values:
 * `first-seen` keeps the order samples first showed the rows in, as Tachyon's table does;
 * `cumulative` puts the larger cumulative count first (the live view).
 */
export function sortRows(rows: FunctionRow[], key: SortKey, ties: 'first-seen' | 'cumulative' = 'cumulative'): FunctionRow[] {
	const by: Record<SortKey, (row: FunctionRow) => number> = {
		nsamples: row => row.directSamples,
		'sample-pct': row => row.directSamples,
		tottime: row => row.directTimeUs,
		cumtime: row => row.cumulativeTimeUs,
		'cumul-pct': row => row.cumulativeSamples,
		'nsamples-cumul': row => row.cumulativeSamples,
		name: () => 0,
	};
	if (key === 'name') {
		return rows.toSorted((a, b) => compareText(a.filename, b.filename) || a.line - b.line || compareText(a.funcname, b.funcname));
	}

	const value = by[key];
	return ties === 'first-seen'
		? rows.toSorted((a, b) => value(b) - value(a) || a.id - b.id)
		: rows.toSorted((a, b) => value(b) - value(a) || b.cumulativeSamples - a.cumulativeSamples || compareText(a.funcname, b.funcname));
}
