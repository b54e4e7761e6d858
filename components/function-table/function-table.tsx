// The dense live table: one line per row, only the rows that fit the given height, the
// selected row highlighted and marked with `›`.
// Rows are styled strings drawn through RawLines: one layout node for the whole table instead of
// one per cell, and nothing measured per frame (bench: `--only ui`).
import {Box, Text} from 'ink';
import type {FunctionRow} from '../../exporters/function-stats.js';
import type {LiveSortKey} from '../../live/live-rows.js';
import {paint} from '../paint.js';
import {RawLines} from '../raw-lines.js';
import {theme} from '../theme.js';
import {cursorWidth, headingCells, layoutColumns, markedColumn, rowCells, type Column} from './columns.js';

export type FunctionTableProps = {
	readonly rows: readonly FunctionRow[];
	readonly totalSamples: number;
	readonly sort: LiveSortKey;
	readonly selected: number;
	/** Lines for the rows, heading not included. */
	readonly height: number;
	readonly width: number;
	/** Rows per line (the file column says file:line) or per function (file). */
	readonly lines?: boolean;
};

/** First row shown so that `selected` stays in a window of `height` rows. */
export function windowStart(selected: number, height: number, count: number): number {
	return Math.max(0, Math.min(selected - Math.floor(height / 2), count - height));
}

/** One row as it appears on screen: cursor, cells each followed by a gutter, styled. */
export function rowLine(cells: readonly string[], columns: readonly Column[], selected: boolean): string {
	if (selected) {
		return paint(`› ${cells.join(' ')} `, theme.selectedRow());
	}

	const fileIndex = columns.findIndex(column => column.id === 'file');
	const parts = cells.map((cell, index) => (index === fileIndex ? paint(cell, theme.file()) : cell));
	return `  ${parts.join(' ')}`.trimEnd();
}

/** Columns a full row takes: the cursor, then every cell and its gutter. */
function lineWidth(columns: readonly Column[]): number {
	return columns.reduce((sum, column) => sum + column.width + 1, cursorWidth);
}

export function FunctionTable({rows, totalSamples, sort, selected, height, width, lines: byLine = true}: FunctionTableProps) {
	const columns = layoutColumns(width);
	const start = windowStart(selected, height, rows.length);
	const shown = rows.slice(start, start + Math.max(0, height));
	const marked = markedColumn(columns, sort);
	const lines = shown.map((row, index) => rowLine(rowCells(row, columns, totalSamples), columns, start + index === selected));
	return (
		<Box flexDirection='column'>
			<Box>
				<Text>{'  '}</Text>
				{headingCells(columns, sort, byLine).map((cell, index) => (
					<Text key={columns[index]!.id} {...theme.heading(columns[index]!.id === marked)}>{cell + ' '}</Text>
				))}
			</Box>
			{shown.length === 0
				? <Text {...theme.dim()}>  (no samples in this view yet)</Text>
				: (
					<RawLines lines={lines} width={lineWidth(columns)} />
				)}
		</Box>
	);
}
