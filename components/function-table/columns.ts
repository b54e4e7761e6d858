// The live table's columns: which fit the terminal, their widths, and each row's cell strings.
import path from 'node:path';
import type {FunctionRow} from '../../exporters/function-stats.js';
import type {LiveSortKey} from '../../live/live-store.js';
import {fit, fitEnd, formatCount, formatPercent, formatSeconds} from '../format.js';

export type ColumnId = 'direct' | 'cumul' | 'pct' | 'tottime' | 'cumpct' | 'cumtime' | 'function' | 'file';

export type Column = {
	readonly id: ColumnId;
	readonly title: string;
	readonly width: number;
	readonly align: 'left' | 'right';
};

/** Which column each sort order marks. */
export const sortColumn: Record<LiveSortKey, ColumnId> = {
	nsamples: 'direct',
	'sample-pct': 'pct',
	tottime: 'tottime',
	'cumul-pct': 'cumpct',
	cumtime: 'cumtime',
};

export const sortNames: Record<LiveSortKey, string> = {
	nsamples: 'direct samples',
	'sample-pct': 'sample %',
	tottime: 'total time',
	'cumul-pct': 'cumulative %',
	cumtime: 'cumulative time',
};

/** Width of the cursor column (`›` and a space). */
export const cursorWidth = 2;

/** Columns for a terminal `width` wide; low-priority ones drop out first, as in Tachyon. */
export function layoutColumns(width: number): Column[] {
	const fixed: Column[] = [
		{id: 'direct', title: 'direct', width: 7, align: 'right'},
		{id: 'cumul', title: 'cumul', width: 7, align: 'right'},
		{id: 'pct', title: '%', width: 6, align: 'right'},
		{id: 'tottime', title: 'tottime', width: 9, align: 'right'},
	];
	if (width >= 120) {
		fixed.push({id: 'cumpct', title: 'cum%', width: 6, align: 'right'});
	}

	fixed.push({id: 'cumtime', title: 'cumtime', width: 9, align: 'right'});
	// Each cell is followed by a one-column gutter.
	const used = cursorWidth + fixed.reduce((sum, column) => sum + column.width + 1, 0);
	const left = Math.max(20, width - used - 1);
	const functionWidth = Math.min(40, Math.max(10, Math.floor(left / 2)));
	return [
		...fixed,
		{id: 'function', title: 'function', width: functionWidth, align: 'left'},
		// Both flexible columns have a gutter too: a row one column too wide would make Ink wrap it on every frame.
		{id: 'file', title: 'file:line', width: Math.max(8, left - functionWidth - 2), align: 'left'},
	];
}

export function headingCells(columns: readonly Column[], sort: LiveSortKey): string[] {
	const marked = markedColumn(columns, sort);
	return columns.map(column => fit(column.id === marked ? `▼${column.title}` : column.title, column.width, column.align));
}

/** The column that shows the sort order: cumulative % falls back to the cumulative count on narrow terminals. */
export function markedColumn(columns: readonly Column[], sort: LiveSortKey): ColumnId {
	const id = sortColumn[sort];
	return columns.some(column => column.id === id) ? id : 'cumul';
}

/** The cell strings of one row, each exactly its column's width. */
export function rowCells(row: FunctionRow, columns: readonly Column[], totalSamples: number): string[] {
	const percent = (samples: number) => formatPercent(totalSamples > 0 ? (samples / totalSamples) * 100 : 0);
	return columns.map(column => {
		switch (column.id) {
			case 'direct': {
				return fit(formatCount(row.directSamples), column.width, 'right');
			}

			case 'cumul': {
				return fit(formatCount(row.cumulativeSamples), column.width, 'right');
			}

			case 'pct': {
				return fit(percent(row.directSamples), column.width, 'right');
			}

			case 'tottime': {
				return fit(formatSeconds(row.directTimeUs / 1e6), column.width, 'right');
			}

			case 'cumpct': {
				return fit(percent(row.cumulativeSamples), column.width, 'right');
			}

			case 'cumtime': {
				return fit(formatSeconds(row.cumulativeTimeUs / 1e6), column.width, 'right');
			}

			case 'function': {
				return fit(row.funcname, column.width);
			}

			case 'file': {
				return fitEnd(row.synthetic ? row.filename || '' : `${shortPath(row.filename)}:${row.line}`, column.width);
			}
		}

		return '';
	});
}

/** Paths are shown from the last two parts: enough to tell files apart, short enough to fit. */
export function shortPath(filename: string): string {
	if (filename.startsWith('<')) {
		return filename;
	}

	const parts = filename.split(path.sep).filter(Boolean);
	return parts.slice(-2).join('/');
}
