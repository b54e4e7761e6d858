// Renders bench rows as a plain-text table that stays readable in a CI log.
import type {BenchRow} from './section.js';

function figure(value: number | undefined): string {
	if (value === undefined || !Number.isFinite(value)) {
		return '–';
	}

	const magnitude = Math.abs(value);
	if (magnitude >= 1000) {
		return Math.round(value).toLocaleString('en-US');
	}

	return magnitude >= 100 ? value.toFixed(0) : (magnitude >= 10 ? value.toFixed(1) : value.toFixed(2));
}

function verdict(row: BenchRow): string {
	if (row.met === undefined) {
		return '';
	}

	return row.met ? 'met' : 'MISSED';
}

export function formatTable(rows: readonly BenchRow[]): string {
	const header = ['metric', 'unit', 'ours', 'tachyon', 'austin', 'ratio', 'target', ''];
	const body = rows.map(row => [
		row.metric,
		row.unit,
		figure(row.ours),
		figure(row.tachyon),
		figure(row.austin),
		row.ratio === undefined ? '' : `${figure(row.ratio)}×`,
		row.target ?? '',
		verdict(row),
	]);
	const widths = header.map((title, column) => Math.max(title.length, ...body.map(cells => cells[column]!.length)));
	const line = (cells: string[]) => cells.map((cell, column) => (column === 0 || column >= 6 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ').trimEnd();
	const notes = rows.filter(row => row.note).map(row => `  · ${row.metric}: ${row.note}`);
	return [line(header), line(widths.map(width => '─'.repeat(width))), ...body.map(cells => line(cells)), ...notes].join('\n') + '\n';
}
