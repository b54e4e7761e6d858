// The picker's columns and the cell strings of one process.
import type {ProcessEntry} from '../../sampler/process-list.js';
import {fit, formatBytes, formatDuration, formatPercent} from '../format.js';

export const pickerColumns = [
	{id: 'pid', title: 'PID', width: 8, align: 'right'},
	{id: 'user', title: 'USER', width: 9, align: 'left'},
	{id: 'version', title: 'PYTHON', width: 8, align: 'left'},
	{id: 'cpu', title: 'CPU%', width: 6, align: 'right'},
	{id: 'rss', title: 'RSS', width: 6, align: 'right'},
	{id: 'uptime', title: 'UPTIME', width: 10, align: 'right'},
] as const;

/** Columns before the command, with their one-column gutters, plus the cursor column. */
export const fixedWidth = 2 + pickerColumns.reduce((sum, column) => sum + column.width + 1, 0);

export function processCells(entry: ProcessEntry): string[] {
	const values = [
		String(entry.pid),
		entry.user,
		entry.version,
		formatPercent(entry.cpuPercent),
		formatBytes(entry.rssBytes),
		formatDuration(entry.uptimeS),
	];
	return pickerColumns.map((column, index) => fit(values[index]!, column.width, column.align) + ' ');
}

/** What fuzzy matching looks at; the command is last so its match positions are easy to map. */
export function searchText(entry: ProcessEntry): string {
	return `${entry.pid} ${entry.user} ${entry.command}`;
}

/** Splits the command cell into runs of matched and unmatched characters, fitted to `width`. */
export function highlightRuns(entry: ProcessEntry, positions: ReadonlySet<number>, width: number): Array<{text: string; matched: boolean}> {
	const command = fit(entry.command, width);
	const offset = searchText(entry).length - entry.command.length;
	const runs: Array<{text: string; matched: boolean}> = [];
	let index = 0;
	for (const char of command) {
		const matched = positions.has(offset + index);
		const last = runs.at(-1);
		if (last && last.matched === matched) {
			last.text += char;
		} else {
			runs.push({text: char, matched});
		}

		index += char.length;
	}

	return runs;
}
