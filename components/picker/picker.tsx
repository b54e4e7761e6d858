// The process picker: every Python process this user may read, refreshed every second; typing
// filters with fzf's fuzzy matching (matched characters highlighted), ↑/↓ select, Enter attaches.
import {Fzf, type FzfResultItem} from 'fzf';
import {Box, Text, useInput, type Key} from 'ink';
import {useCallback, useEffect, useMemo, useState} from 'react';
import type {ProcessEntry, ProcessLister} from '../../source/process-list.js';
import {fit} from '../format.js';
import {windowStart} from '../function-table/function-table.js';
import {theme} from '../theme.js';
import {minimumSize, TooSmall} from '../too-small.js';
import {useWindowSize} from '../use-window-size.js';
import {fixedWidth, highlightRuns, pickerColumns, processCells, searchText} from './picker-columns.js';

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
	const [selected, setSelected] = useState(0);
	useEffect(() => {
		const timer = setInterval(() => {
			setProcesses(lister.list());
		}, refreshMs);
		return () => {
			clearInterval(timer);
		};
	}, [lister, refreshMs]);

	const matches: Array<FzfResultItem<ProcessEntry>> = useMemo(() => {
		if (query === '') {
			return processes.map(item => ({item, positions: new Set<number>(), score: 0, start: 0, end: 0}));
		}

		return new Fzf(processes, {selector: searchText}).find(query);
	}, [processes, query]);
	const cursor = Math.min(selected, Math.max(0, matches.length - 1));
	const tableHeight = Math.max(1, rows - chromeHeight);

	const onKey = useCallback((input: string, key: Key) => {
		if (key.upArrow) {
			setSelected(value => Math.max(0, Math.min(value, matches.length - 1) - 1));
		} else if (key.downArrow) {
			setSelected(value => Math.min(Math.max(0, matches.length - 1), Math.min(value, matches.length - 1) + 1));
		} else if (key.pageUp) {
			setSelected(Math.max(0, cursor - tableHeight));
		} else if (key.pageDown) {
			setSelected(Math.min(Math.max(0, matches.length - 1), cursor + tableHeight));
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
			setSelected(0);
		}
	}, [cursor, matches, tableHeight, query, onPick, onQuit]);
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
