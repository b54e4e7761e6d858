// The process picker: every Python process this user may read, refreshed every second; typing
// filters with fzf's fuzzy matching (matched characters highlighted), ↑/↓ select, Enter attaches.
import {Fzf} from 'fzf';
import {Box, Text, useInput, type Key} from 'ink';
import {useCallback, useEffect, useMemo, useState} from 'react';
import type {ProcessEntry, ProcessLister} from '../../sampler/process-list.js';
import {fit} from '../format.js';
import {windowStart} from '../function-table/function-table.js';
import {theme} from '../theme.js';
import {minimumSize, TooSmall} from '../too-small.js';
import {useWindowSize} from '../use-window-size.js';
import {fixedWidth, highlightRuns, pickerColumns, processCells, searchText} from './picker-columns.js';

/**
 * One process that matches the filter, with the matched characters' positions. fzf's bundled
 * .d.ts files import one another without extensions, which Node's ESM resolution cannot
 * follow, so its own result type is lost: this names the part we use.
 */
type PickerMatch = {readonly item: ProcessEntry; readonly positions: ReadonlySet<number>};

export type PickerProps = {
	readonly lister: Pick<ProcessLister, 'list'>;
	readonly onPick: (entry: ProcessEntry) => void;
	readonly onQuit: () => void;
	/** Default 1000 ms. */
	readonly refreshMs?: number;
};

/** Title, filter line, heading, footer, and one spare line. */
const chromeHeight = 5;

export function Picker({lister, onPick, onQuit, refreshMs = 1000}: PickerProps) {
	const {columns, rows} = useWindowSize();
	const [processes, setProcesses] = useState<ProcessEntry[]>(() => lister.list());
	const [query, setQuery] = useState('');
	// The selection follows a process, not a row: a refresh may reorder rows under the cursor.
	const [selectedPid, setSelectedPid] = useState<number | undefined>(undefined);
	useEffect(() => {
		const timer = setInterval(() => {
			setProcesses(lister.list());
		}, refreshMs);
		return () => {
			clearInterval(timer);
		};
	}, [lister, refreshMs]);

	const matches: PickerMatch[] = useMemo(() => {
		if (query === '') {
			return processes.map(item => ({item, positions: new Set<number>(), score: 0, start: 0, end: 0}));
		}

		// eslint-disable-next-line @typescript-eslint/no-unsafe-call
		return new Fzf(processes, {selector: searchText}).find(query) as PickerMatch[];
	}, [processes, query]);
	const found = selectedPid === undefined ? -1 : matches.findIndex(match => match.item.pid === selectedPid);
	const cursor = Math.max(0, found);
	const tableHeight = Math.max(1, rows - chromeHeight);
	const selectRow = useCallback((index: number) => {
		setSelectedPid(matches[Math.min(Math.max(0, index), matches.length - 1)]?.item.pid);
	}, [matches]);

	const onKey = useCallback((input: string, key: Key) => {
		if (key.upArrow) {
			selectRow(cursor - 1);
		} else if (key.downArrow) {
			selectRow(cursor + 1);
		} else if (key.pageUp) {
			selectRow(cursor - tableHeight);
		} else if (key.pageDown) {
			selectRow(cursor + tableHeight);
		} else if (key.return) {
			const entry = matches[cursor]?.item;
			if (entry && entry.unreadable === undefined) {
				onPick(entry);
			}
		} else if (key.escape) {
			if (query === '') {
				onQuit();
			} else {
				setQuery('');
			}
		} else if (key.backspace || key.delete) {
			setQuery(value => value.slice(0, -1));
		} else if (input && !key.ctrl && !key.meta && !key.tab) {
			setQuery(value => value + input);
			setSelectedPid(undefined);
		}
	}, [cursor, matches, tableHeight, query, onPick, onQuit, selectRow]);
	useInput(onKey);

	if (columns < minimumSize.columns || rows < minimumSize.rows) {
		return <TooSmall columns={columns} rows={rows} />;
	}

	const commandWidth = Math.max(10, columns - fixedWidth - 1);
	const start = windowStart(cursor, tableHeight, matches.length);
	return (
		<Box flexDirection='column' height={rows - 1}>
			<Box>
				<Text {...theme.title()}>tachyon-top</Text>
				<Text>{` — pick a Python process (${matches.length} of ${processes.length})`}</Text>
			</Box>
			<Text>{fit(`> ${query}_`, columns - 1)}</Text>
			<Box>
				<Text>{'  '}</Text>
				{pickerColumns.map(column => <Text key={column.id} bold>{fit(column.title, column.width, column.align) + ' '}</Text>)}
				<Text bold>COMMAND</Text>
			</Box>
			<Box flexDirection='column' flexGrow={1}>
				{matches.length === 0 ? <Text {...theme.dim()}>{processes.length === 0 ? '  No Python processes found that this user can see.' : '  No process matches the filter.'}</Text> : undefined}
				{matches.slice(start, start + tableHeight).map((match, index) => {
					const isSelected = start + index === cursor;
					const entry = match.item;
					const style = isSelected ? theme.selectedRow() : entry.unreadable ? theme.dim() : {};
					const command = entry.unreadable ? {...entry, command: `${entry.command} (${entry.unreadable})`} : entry;
					return (
						<Box key={entry.pid}>
							<Text {...style}>{isSelected ? '› ' : '  '}</Text>
							{processCells(entry).map((cell, cellIndex) => <Text key={pickerColumns[cellIndex]!.id} {...style}>{cell}</Text>)}
							{highlightRuns(command, match.positions, commandWidth).map((run, runIndex) => (
								// Runs have no identity beyond their place in the cell.
								<Text key={String(runIndex)} {...style} {...(run.matched ? theme.match() : {})}>{run.text}</Text>
							))}
						</Box>
					);
				})}
			</Box>
			<Text {...theme.dim()}>{fit('type to filter · ↑/↓ select · Enter attach · Esc clear/quit · Ctrl-C quit', columns - 1)}</Text>
		</Box>
	);
}
