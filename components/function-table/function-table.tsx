// The dense live table: one line per row, one <Text> per pre-fitted cell, only the rows that
// fit the given height, the selected row highlighted and marked with `›`.
import {Box, Text} from 'ink';
import {memo} from 'react';
import type {FunctionRow} from '../../exporters/function-stats.js';
import type {LiveSortKey} from '../../source/live-store.js';
import {theme} from '../theme.js';
import {headingCells, layoutColumns, markedColumn, rowCells, type Column} from './columns.js';

export type FunctionTableProps = {
	readonly rows: readonly FunctionRow[];
	readonly totalSamples: number;
	readonly sort: LiveSortKey;
	readonly selected: number;
	/** Lines for the rows, heading not included. */
	readonly height: number;
	readonly width: number;
};

/** First row shown so that `selected` stays in a window of `height` rows. */
export function windowStart(selected: number, height: number, count: number): number {
	return Math.max(0, Math.min(selected - Math.floor(height / 2), count - height));
}

export function FunctionTable({rows, totalSamples, sort, selected, height, width}: FunctionTableProps) {
	const columns = layoutColumns(width);
	const start = windowStart(selected, height, rows.length);
	const shown = rows.slice(start, start + Math.max(0, height));
	const marked = markedColumn(columns, sort);
	return (
		<Box flexDirection='column'>
			<Box>
				<Text>{'  '}</Text>
				{headingCells(columns, sort).map((cell, index) => (
					<Text key={columns[index]!.id} {...theme.heading(columns[index]!.id === marked)}>{cell + ' '}</Text>
				))}
			</Box>
			{shown.length === 0 ? <Text {...theme.dim()}>  (no samples in this view yet)</Text> : undefined}
			{shown.map((row, index) => (
				<TableRow
					key={row.id}
					cells={rowCells(row, columns, totalSamples).join('\u0000')}
					columns={columns}
					selected={start + index === selected}
				/>
			))}
		</Box>
	);
}

type TableRowProps = {
	/** The cells joined with NUL, so memo compares one primitive. */
	readonly cells: string;
	readonly columns: readonly Column[];
	readonly selected: boolean;
};

const TableRow = memo(({cells, columns, selected}: TableRowProps) => {
	const style = selected ? theme.selectedRow() : {};
	return (
		<Box>
			<Text {...style}>{selected ? '› ' : '  '}</Text>
			{cells.split('\u0000').map((cell, index) => (
				// Ink tokenizes every character of every frame: the last cell's padding is left out
				// unless the row is highlighted across its width.
				<Text key={columns[index]!.id} {...style} {...(columns[index]!.id === 'file' && !selected ? theme.file() : {})}>{index === columns.length - 1 && !selected ? cell.trimEnd() : cell + ' '}</Text>
			))}
		</Box>
	);
}, (before, after) => before.cells === after.cells && before.selected === after.selected && before.columns.length === after.columns.length && before.columns[before.columns.length - 1]!.width === after.columns[after.columns.length - 1]!.width);
