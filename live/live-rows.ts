// The live table's rows: the sort orders `s` cycles through and the pstats order each exports
// in, the filter's match, and the names made terminal-safe on their way to the screen.
import type {FunctionRow, SortKey} from '../exporters/function-stats.js';
import {hasUnsafeText, terminalText} from '../common/terminal-text.js';

/**
 * Sort orders `s` cycles through: one per distinct order of the table's columns. Times are
 * each row's share of the samples times the time sampled, so tottime sorts as direct samples
 * and %, and cumtime as cumulative samples and cum%.
 */
export const liveSortKeys = ['direct', 'cumulative', 'function', 'file'] as const;
export type LiveSortKey = typeof liveSortKeys[number];
/** The pstats order an export from the live view is written in. */
export const exportSort: Record<LiveSortKey, SortKey> = {direct: 'nsamples', cumulative: 'nsamples-cumul', function: 'name', file: 'name'};

/** A row as the screen shows it: its names terminal-safe (copied only when they need it). */
export function displayRow(row: FunctionRow): FunctionRow {
	return hasUnsafeText(row.funcname) || hasUnsafeText(row.filename) ? {...row, funcname: terminalText(row.funcname), filename: terminalText(row.filename)} : row;
}

/** A row matches the filter when what the table shows of it does: the function, the file, file:line. */
export function rowMatches(row: FunctionRow, needle: string): boolean {
	const file = row.filename.toLowerCase();
	return row.funcname.toLowerCase().includes(needle) || (row.line > 0 ? `${file}:${row.line}` : file).includes(needle);
}

/** The table's order: largest first (ties by the other count, then name), names and files alphabetical. */
export function sortLiveRows(rows: readonly FunctionRow[], sort: LiveSortKey): FunctionRow[] {
	switch (sort) {
		case 'direct': {
			return rows.toSorted((a, b) => b.directSamples - a.directSamples || b.cumulativeSamples - a.cumulativeSamples || a.funcname.localeCompare(b.funcname));
		}

		case 'cumulative': {
			return rows.toSorted((a, b) => b.cumulativeSamples - a.cumulativeSamples || b.directSamples - a.directSamples || a.funcname.localeCompare(b.funcname));
		}

		case 'function': {
			return rows.toSorted((a, b) => a.funcname.localeCompare(b.funcname) || a.filename.localeCompare(b.filename) || a.line - b.line);
		}

		case 'file': {
			return rows.toSorted((a, b) => a.filename.localeCompare(b.filename) || a.line - b.line || a.funcname.localeCompare(b.funcname));
		}
	}
}
