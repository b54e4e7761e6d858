// The live table's columns: which fit the terminal, their widths, which sort order each one
// stands for (a click on its heading sorts by it), and each row's cell strings.
import type {FunctionRow} from '../../exporters/function-stats.js';
import type {LiveSortKey} from '../../live/live-rows.js';
import {fit, formatCount, formatPercent, formatSeconds} from '../format.js';
import {shortenPath, shownName} from '../names.js';

export type ColumnId = 'direct' | 'cumul' | 'pct' | 'tottime' | 'cumpct' | 'cumtime' | 'function' | 'file';

export type Column = {
	readonly id: ColumnId;
	readonly title: string;
	readonly width: number;
	readonly align: 'left' | 'right';
};

/** The order each column sorts by: times and percentages order as their sample counts. */
export const columnSort: Record<ColumnId, LiveSortKey> = {
	direct: 'direct', pct: 'direct', tottime: 'direct',
	cumul: 'cumulative', cumpct: 'cumulative', cumtime: 'cumulative',
	function: 'function', file: 'file',
};

/** The column marked ▼ for each order. */
export const sortColumn: Record<LiveSortKey, ColumnId> = {direct: 'direct', cumulative: 'cumul', function: 'function', file: 'file'};

export const sortNames: Record<LiveSortKey, string> = {
	direct: 'direct',
	cumulative: 'cumulative',
	function: 'function',
	file: 'file',
};

/** Width of the cursor column (`›` and a space). */
export const cursorWidth = 2;

/** Columns for a terminal `width` wide; low-priority ones drop out first, as in Tachyon. */
export function layoutColumns(width: number): Column[] {
	const fixed: Column[] = [
		{id: 'direct', title: 'direct', width: 7, align: 'right'},
		{id: 'cumul', title: 'cumul', width: 7, align: 'right'},
		{id: 'pct', title: '%', width: 6, align: 'right'},
	];
	// Times are shares of the time sampled (they order as the counts): below 100 columns the
	// function and file columns need the room more.
	if (width >= 100) {
		fixed.push({id: 'tottime', title: 'tottime', width: 9, align: 'right'});
	}

	if (width >= 120) {
		fixed.push({id: 'cumpct', title: 'cum%', width: 6, align: 'right'});
	}

	if (width >= 100) {
		fixed.push({id: 'cumtime', title: 'cumtime', width: 9, align: 'right'});
	}
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

export function headingCells(columns: readonly Column[], sort: LiveSortKey, lines = true): string[] {
	const marked = markedColumn(columns, sort);
	return columns.map(column => {
		const title = column.id === 'file' && !lines ? 'file' : column.title;
		return fit(column.id === marked ? `▼${title}` : title, column.width, column.align);
	});
}

/** The column that shows the sort order. */
export function markedColumn(_columns: readonly Column[], sort: LiveSortKey): ColumnId {
	return sortColumn[sort];
}

/** The column under terminal column `x` (0-based) of a table row or heading, if any. */
export function columnAt(columns: readonly Column[], x: number): Column | undefined {
	let start = cursorWidth;
	for (const column of columns) {
		if (x >= start && x < start + column.width + 1) {
			return column;
		}

		start += column.width + 1;
	}

	return undefined;
}

/** What the file column shows of a row: the path (its middle abbreviated to fit), with the line when rows are per line. */
export function fileLabel(row: FunctionRow, width: number): string {
	if (row.synthetic) {
		return fit(shownName(row.filename || ''), width);
	}

	if (row.line <= 0) {
		return fit(shortenPath(row.filename, width), width);
	}

	return fit(shortenPath(`${row.filename}:${row.line}`, width), width);
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
				return fit(shownName(row.funcname), column.width);
			}

			case 'file': {
				return fileLabel(row, column.width);
			}
		}

		return '';
	});
}
