// The process picker: every Python process this user may see, refreshed every second; typing
// filters with fzf's extended syntax (space-separated terms must all match, each fuzzily, over
// every column: PID, user, version, command; matched characters highlighted), ↑/↓ select,
// Enter attaches to the highlighted process. While the user filters or has moved the
// selection, refreshes keep the rows in the order shown (new processes go last), so nothing
// moves under the cursor; keys are handled one at a time against what was last drawn, so a
// refresh between a key and Enter never changes which process Enter takes.
import * as fzf from 'fzf';
import {Box, Text, type Key} from 'ink';
import {useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState} from 'react';
import {permissionFacts, shortPermissionAdvice} from '../../sampler/permission-advice.js';
import type {ProcessEntry, ProcessLister} from '../../sampler/process-list.js';
import {fit} from '../format.js';
import {windowStart} from '../function-table/function-table.js';
import {textWidth} from '../text-width.js';
import {theme} from '../theme.js';
import {minimumSize, TooSmall} from '../too-small.js';
import {useKeys} from '../use-keys.js';
import {editLine} from '../use-prompt.js';
import {useWindowSize} from '../use-window-size.js';
import {fixedWidth, highlightRuns, processCells, searchText, shownColumns} from './picker-columns.js';

export type PickerProps = {
	readonly lister: Pick<ProcessLister, 'list'>;
	readonly onPick: (entry: ProcessEntry) => void;
	readonly onQuit: () => void;
	/** Default 1000 ms. */
	readonly refreshMs?: number;
	/** What to tell about a process we may not read, in a few words (tests give the facts by hand). */
	readonly advice?: (entry: ProcessEntry) => string;
};

/** Title, filter line, heading, message, footer, and one spare line. */
const chromeHeight = 6;

/**
 * One process that matches the filter, with the matched characters' positions and fzf's score.
 * fzf's bundled .d.ts files import one another without extensions, which Node's ESM resolution
 * cannot follow, so its own types are lost: this names the part we use, and the one call.
 */
type Match = {readonly item: ProcessEntry; readonly positions: ReadonlySet<number>; readonly score: number};
type Finder = new (items: readonly ProcessEntry[], options: {selector: (entry: ProcessEntry) => string; match: unknown}) => {find: (query: string) => Match[]};
const {Fzf, extendedMatch} = fzf as unknown as {readonly Fzf: Finder; readonly extendedMatch: unknown};

/** The picker's key line in `width` columns: the filter syntax gives way first, Enter and Esc never. */
export function pickerFooter(width: number): string {
	const keys = '↑/↓ select · Enter attach · Esc clear/quit';
	const syntax = ['type to filter (terms AND, fzf syntax: \'exact ^start end$ !not)', 'type to filter (fzf syntax)', 'type to filter'];
	return `${syntax.find(text => textWidth(`${text} · ${keys}`) <= width) ?? syntax.at(-1)!} · ${keys}`;
}

/** Matches of `query` (fzf extended syntax) in `processes`, best first, ties in the given order. */
export function pickerMatches(processes: readonly ProcessEntry[], query: string): Match[] {
	if (query.trim() === '') {
		return processes.map(item => ({item, positions: new Set<number>(), score: 0, start: 0, end: 0}));
	}

	const order = new Map(processes.map((entry, index) => [entry.pid, index]));
	return new Fzf(processes, {selector: searchText, match: extendedMatch}).find(query)
		.sort((a, b) => b.score - a.score || order.get(a.item.pid)! - order.get(b.item.pid)!);
}

/** A refreshed list in the order of `shown`: known processes where they were, new ones after. */
export function keepOrder(fresh: readonly ProcessEntry[], shown: readonly ProcessEntry[]): ProcessEntry[] {
	const place = new Map(shown.map((entry, index) => [entry.pid, index]));
	const known = fresh.filter(entry => place.has(entry.pid)).sort((a, b) => place.get(a.pid)! - place.get(b.pid)!);
	return [...known, ...fresh.filter(entry => !place.has(entry.pid))];
}

/** The rule that keeps us from reading a process, and what lifts it, from what this machine shows now. */
function permissionAdviceNow(entry: ProcessEntry): string {
	return shortPermissionAdvice(permissionFacts(entry.pid));
}

/** What Enter on a process we may not read says: why, and what to do, in one line. */
function unreadableMessage(entry: ProcessEntry, advice: (entry: ProcessEntry) => string): string {
	return `PID ${entry.pid} (${entry.user}): ${advice(entry)}`;
}

export function Picker({lister, onPick, onQuit, refreshMs = 1000, advice = permissionAdviceNow}: PickerProps) {
	const {columns, rows} = useWindowSize();
	const [processes, setProcesses] = useState<ProcessEntry[]>(() => lister.list());
	const [query, setQuery] = useState('');
	// The selection follows a process, not a row; undefined: the first row.
	const [selectedPid, setSelectedPid] = useState<number | undefined>(undefined);
	const [message, setMessage] = useState<string | undefined>(undefined);
	// What keys act on: the query and selection as the last key left them, the rows as last drawn.
	const latest = useRef({query: '', selectedPid: undefined as number | undefined, matches: [] as Match[], tableHeight: 1});
	const tableHeight = Math.max(1, rows - chromeHeight);
	const matches = useMemo(() => pickerMatches(processes, query), [processes, query]);
	const found = selectedPid === undefined ? -1 : matches.findIndex(match => match.item.pid === selectedPid);
	const cursor = Math.max(0, found);
	// Every process the picker holds, for re-matching within one input event.
	const all = useRef(processes);
	useLayoutEffect(() => {
		latest.current.matches = matches;
		latest.current.tableHeight = tableHeight;
		all.current = processes;
	}, [matches, tableHeight, processes]);

	useEffect(() => {
		const timer = setInterval(() => {
			const fresh = lister.list();
			// Still while the user filters or has chosen a row; sorted by CPU otherwise.
			const steady = latest.current.query !== '' || latest.current.selectedPid !== undefined;
			setProcesses(shown => (steady ? keepOrder(fresh, shown) : fresh));
		}, refreshMs);
		return () => {
			clearInterval(timer);
		};
	}, [lister, refreshMs]);

	const onKey = useCallback((input: string, key: Key) => {
		const state = latest.current;
		const shown = state.matches;
		const at = Math.max(0, state.selectedPid === undefined ? 0 : shown.findIndex(match => match.item.pid === state.selectedPid));
		const select = (index: number) => {
			state.selectedPid = shown[Math.min(Math.max(0, index), shown.length - 1)]?.item.pid;
			setSelectedPid(state.selectedPid);
		};

		const setFilter = (next: string) => {
			state.query = next;
			state.selectedPid = undefined;
			setQuery(next);
			setSelectedPid(undefined);
			// The next keys of this event act on the rows the new query will draw.
			state.matches = pickerMatches(all.current, next);
		};

		setMessage(undefined);
		if (key.upArrow || key.downArrow || key.pageUp || key.pageDown) {
			const page = state.tableHeight;
			select(at + (key.upArrow ? -1 : key.downArrow ? 1 : key.pageUp ? -page : page));
		} else if (key.return) {
			const entry = shown[at]?.item;
			if (entry?.unreadable !== undefined) {
				setMessage(unreadableMessage(entry, advice));
			} else if (entry) {
				onPick(entry);
			}
		} else if (key.escape && state.query === '') {
			onQuit();
		} else {
			const outcome = editLine(state.query, input, key);
			if (outcome.type === 'edit') {
				setFilter(outcome.draft);
			} else if (outcome.type === 'cancel') {
				setFilter('');
			}
		}
	}, [onPick, onQuit, advice]);
	useKeys(onKey);

	if (columns < minimumSize.columns || rows < minimumSize.rows) {
		return <TooSmall columns={columns} rows={rows} />;
	}

	const visible = shownColumns(columns);
	const commandWidth = Math.max(10, columns - fixedWidth(visible) - 1);
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
				{visible.map(column => <Text key={column.id} bold>{fit(column.title, column.width, column.align) + ' '}</Text>)}
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
							{processCells(entry, match.positions, visible).map((cell, cellIndex) => (
								<Text key={visible[cellIndex]!.id} {...style} {...(cell.matched && !isSelected ? theme.match() : {})}>{cell.text}</Text>
							))}
							{highlightRuns(command, match.positions, commandWidth).map((run, runIndex) => (
								// Runs have no identity beyond their place in the cell.
								<Text key={String(runIndex)} {...style} {...(run.matched ? theme.match() : {})}>{run.text}</Text>
							))}
						</Box>
					);
				})}
			</Box>
			<Text {...theme.warning()}>{fit(message ?? '', columns - 1)}</Text>
			<Text {...theme.dim()}>{fit(pickerFooter(columns - 1), columns - 1)}</Text>
		</Box>
	);
}
