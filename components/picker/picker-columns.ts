// The picker's columns and the cell strings of one process.
import type {ProcessEntry} from '../../sampler/process-list.js';
import {fit, formatBytes, formatDuration, formatPercent} from '../format.js';
import {shownName} from '../names.js';
import {textWidth} from '../text-width.js';

export const pickerColumns = [
	{id: 'pid', title: 'PID', width: 8, align: 'right'},
	{id: 'user', title: 'USER', width: 9, align: 'left'},
	{id: 'version', title: 'PYTHON', width: 8, align: 'left'},
	{id: 'cpu', title: 'CPU%', width: 6, align: 'right'},
	{id: 'rss', title: 'RSS', width: 6, align: 'right'},
	{id: 'uptime', title: 'UPTIME', width: 10, align: 'right'},
] as const;

type PickerColumn = (typeof pickerColumns)[number];

/** The columns shown at `width`: below 100 columns RSS gives its room to the command, whose script name matters more. */
export function shownColumns(width: number): readonly PickerColumn[] {
	return width < 100 ? pickerColumns.filter(column => column.id !== 'rss') : pickerColumns;
}

/** Columns before the command, with their one-column gutters, plus the cursor column. */
export function fixedWidth(columns: readonly PickerColumn[]): number {
	return 2 + columns.reduce((sum, column) => sum + column.width + 1, 0);
}

/** Each cell's text, and whether the filter matched a character of it (PID, user and version are searched). */
export function processCells(entry: ProcessEntry, positions: ReadonlySet<number> = new Set(), columns: readonly PickerColumn[] = pickerColumns): Array<{text: string; matched: boolean}> {
	const values: Record<PickerColumn['id'], string> = {
		pid: String(entry.pid),
		user: entry.user,
		version: entry.version,
		cpu: formatPercent(entry.cpuPercent),
		rss: formatBytes(entry.rssBytes),
		uptime: formatDuration(entry.uptimeS),
	};
	const searched = searchedFields(entry);
	return columns.map(column => {
		const field = searched[pickerColumns.indexOf(column)];
		const matched = field !== undefined && [...positions].some(position => position >= field.start && position < field.start + field.length);
		return {text: fit(values[column.id], column.width, column.align) + ' ', matched};
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
	const command = shownName(entry.command.replaceAll(/[\n\r\t]/g, ' '));
	const offset = searchText(entry).length - entry.command.length;
	const runs: Array<{text: string; matched: boolean}> = [];
	const shown = fitCommand(command, width);
	const used = shown.reduce((sum, {char}) => sum + textWidth(char), 0);
	for (const {char, at} of [...shown, {char: ' '.repeat(Math.max(0, width - used)), at: -1}]) {
		const matched = at >= 0 && positions.has(offset + at);
		const last = runs.at(-1);
		if (last && last.matched === matched) {
			last.text += char;
		} else if (char !== '') {
			runs.push({text: char, matched});
		}
	}

	return runs;
}

/** One character of the command cell, and its index in the command (-1: added by the shortening). */
type ShownChar = {char: string; at: number};

/**
 * The command in at most `width` columns: whole when it fits; else its paths lose their folders,
 * longest first (`python3 /srv/app/examples/workload.py 900` → `python3 …/workload.py 900`), so
 * the script's name stays in sight at 80 columns; whatever is still too long is cut at the end.
 */
function fitCommand(command: string, width: number): ShownChar[] {
	const tokens = [...command.matchAll(/\S+/g)].map(match => ({start: match.index, text: match[0], short: false}));
	const chars = () => {
		const out: ShownChar[] = [];
		let index = 0;
		for (const token of tokens) {
			pushText(out, command.slice(index, token.start), index);
			const name = token.text.slice(token.text.lastIndexOf('/') + 1);
			if (token.short) {
				out.push({char: '…', at: -1}, {char: '/', at: -1});
				pushText(out, name, token.start + token.text.length - name.length);
			} else {
				pushText(out, token.text, token.start);
			}

			index = token.start + token.text.length;
		}

		pushText(out, command.slice(index), index);
		return out;
	};

	let shown = chars();
	const widthOf = (list: ShownChar[]) => list.reduce((sum, {char}) => sum + textWidth(char), 0);
	while (widthOf(shown) > width) {
		// A path whose folders take more than the `…/` standing for them, ending in a name.
		const folders = tokens.filter(token => !token.short && !token.text.endsWith('/') && token.text.lastIndexOf('/') > 1);
		const longest = folders.sort((a, b) => b.text.length - a.text.length)[0];
		if (!longest) {
			break;
		}

		longest.short = true;
		shown = chars();
	}

	if (widthOf(shown) <= width) {
		return shown;
	}

	const cut: ShownChar[] = [];
	for (const entry of shown) {
		if (widthOf(cut) + textWidth(entry.char) > width - 1) {
			break;
		}

		cut.push(entry);
	}

	return [...cut, {char: '…', at: -1}];
}

function pushText(out: ShownChar[], text: string, start: number): void {
	let at = start;
	for (const char of text) {
		out.push({char, at});
		at += char.length;
	}
}
