// The picker's columns and the cell strings of one process.
import type {ProcessEntry} from '../../sampler/process-list.js';
import {fit, formatBytes, formatDuration, formatPercent} from '../format.js';
import {shownName} from '../names.js';

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

/** Each cell's text, and whether the filter matched a character of it (PID, user and version are searched). */
export function processCells(entry: ProcessEntry, positions: ReadonlySet<number> = new Set()): Array<{text: string; matched: boolean}> {
	const values = [
		String(entry.pid),
		entry.user,
		entry.version,
		formatPercent(entry.cpuPercent),
		formatBytes(entry.rssBytes),
		formatDuration(entry.uptimeS),
	];
	const searched = searchedFields(entry);
	return pickerColumns.map((column, index) => {
		const field = searched[index];
		const matched = field !== undefined && [...positions].some(position => position >= field.start && position < field.start + field.length);
		return {text: fit(values[index]!, column.width, column.align) + ' ', matched};
	});
}

/** Where PID, user and version sit in the searched text. */
function searchedFields(entry: ProcessEntry): Array<{start: number; length: number}> {
	const fields = [String(entry.pid), entry.user, entry.version];
	let start = 0;
	return fields.map(text => {
		const field = {start, length: text.length};
		start += text.length + 1;
		return field;
	});
}

/** What the filter searches: every text column; the command is last so its match positions are easy to map. */
export function searchText(entry: ProcessEntry): string {
	return `${entry.pid} ${entry.user} ${entry.version} ${entry.command}`;
}

/** Splits the command cell into runs of matched and unmatched characters, fitted to `width`. */
export function highlightRuns(entry: ProcessEntry, positions: ReadonlySet<number>, width: number): Array<{text: string; matched: boolean}> {
	// One line per row: a command line with newlines or tabs (python -c "…") keeps its length, not its line breaks.
	const command = fit(shownName(entry.command.replaceAll(/[\n\r\t]/g, ' ')), width);
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
