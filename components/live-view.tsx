// The live view: header, the dense function table, a message line and the keys. One mode at
// a time owns the keyboard (table, filter prompt, help, export menu, baseline prompt, dump,
// details), so a key never means two things.
import {Box, Text, useInput, type Key} from 'ink';
import {useCallback, useMemo, useState, useSyncExternalStore} from 'react';
import {exporters, type Exporter} from '../exporters/index.js';
import {loadBaseline} from '../live/capture-file.js';
import {liveDump, type LiveDump} from '../live/dump.js';
import {commandFor} from '../live/key-bindings.js';
import type {LiveProcesses, ProcessesSnapshot} from '../live/live-processes.js';
import type {LiveStore} from '../live/live-store.js';
import {DetailsView} from './details-view.js';
import {DumpView} from './dump-view.js';
import {ExportMenu} from './export-menu.js';
import {Footer} from './footer.js';
import {fit} from './format.js';
import {FunctionTable} from './function-table/function-table.js';
import {Header, headerHeight} from './header.js';
import {Help} from './help.js';
import {maxOpcodeRows, OpcodePanel, opcodePanelHeight} from './opcode-panel.js';
import {theme} from './theme.js';
import {minimumSize, TooSmall} from './too-small.js';
import {useWindowSize} from './use-window-size.js';
// Ink's frame assembly, made cheaper for frames like ours (see the module).
import './fast-output.js';

export type LiveViewProps = {
	readonly store: LiveStore;
	/** --subprocesses: the target and its Python children; the view shows the one chosen with [ and ]. */
	readonly processes?: LiveProcesses;
	readonly onQuit: () => void;
	/** Formats offered by `e` (default: the whole registry). */
	readonly formats?: readonly Exporter[];
	/** Takes the stack dump for `d` (default: a read of the target now, with its asyncio tasks). */
	readonly takeDump?: (pid: number) => LiveDump;
};

type Mode = 'table' | 'filter' | 'help' | 'export' | 'baseline' | 'dump' | 'details';

/** Lines that are not table rows: header, table heading, message line, footer, and one spare (Ink redraws everything once output reaches the terminal's height). */
const chromeHeight = headerHeight + 4;
/** The opcode panel (--opcodes) is left out rather than squeeze the table below this many rows. */
const minTableRows = 5;
const noProcesses = () => () => undefined;
const noProcessesSnapshot = (): ProcessesSnapshot | undefined => undefined;

export function LiveView({store: rootStore, processes, onQuit, formats = Object.values(exporters), takeDump = liveDump}: LiveViewProps) {
	const shownProcess = useSyncExternalStore(processes?.subscribe ?? noProcesses, processes?.getSnapshot ?? noProcessesSnapshot);
	const store = shownProcess?.store ?? rootStore;
	const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
	const {columns, rows} = useWindowSize();
	const [mode, setMode] = useState<Mode>('table');
	const [selected, setSelected] = useState(0);
	const [draft, setDraft] = useState('');
	const [message, setMessage] = useState<{text: string; error: boolean} | undefined>();
	const [dump, setDump] = useState<LiveDump | {error: string} | undefined>();
	const [detailsKey, setDetailsKey] = useState<string | undefined>();
	const [pending, setPending] = useState<Exporter | undefined>();
	const opcodeRows = snapshot.opcodes ? Math.min(maxOpcodeRows, rows - chromeHeight - opcodePanelHeight(0) - minTableRows) : 0;
	const panelHeight = opcodeRows > 0 ? opcodePanelHeight(opcodeRows) : 0;
	const tableHeight = Math.max(1, rows - chromeHeight - panelHeight);
	const count = snapshot.rows.length;
	const cursor = Math.min(selected, Math.max(0, count - 1));

	const runExport = useCallback((format: Exporter, baselinePath?: string) => {
		try {
			// A baseline of another mode would compare nothing: loadBaseline refuses it, as the CLI does.
			const baseline = baselinePath === undefined ? undefined : loadBaseline(baselinePath.trim(), store.getSnapshot().mode);
			const started = performance.now();
			const written = store.exportTo(format, baseline ? {baseline} : {});
			setMessage({text: `Wrote ${format.id} to ${written} (${Math.round(performance.now() - started)} ms)`, error: false});
		} catch (error) {
			setMessage({text: `Export failed: ${error instanceof Error ? error.message : String(error)}`, error: true});
		}

		setMode('table');
	}, [store]);

	const onTableKey = useCallback((input: string, key: Key) => {
		switch (commandFor(input, key)) {
			case 'up': {
				setSelected(value => Math.max(0, Math.min(value, count - 1) - 1));
				break;
			}

			case 'down': {
				setSelected(value => Math.min(Math.max(0, count - 1), Math.min(value, count - 1) + 1));
				break;
			}

			case 'pageUp': {
				setSelected(value => Math.max(0, Math.min(value, count - 1) - tableHeight));
				break;
			}

			case 'pageDown': {
				setSelected(value => Math.min(Math.max(0, count - 1), Math.min(value, count - 1) + tableHeight));
				break;
			}

			case 'details': {
				const row = snapshot.rows[cursor];
				if (row) {
					setDetailsKey(rowKey(row));
					setMode('details');
				}

				break;
			}

			case 'sortNext': {
				store.cycleSort(1);
				break;
			}

			case 'sortPrevious': {
				store.cycleSort(-1);
				break;
			}

			case 'mode': {
				store.cycleMode();
				break;
			}

			case 'thread': {
				store.toggleThread();
				break;
			}

			case 'previousThread': {
				store.cycleThread(-1);
				break;
			}

			case 'nextThread': {
				store.cycleThread(1);
				break;
			}

			case 'previousProcess': {
				processes?.cycle(-1);
				break;
			}

			case 'nextProcess': {
				processes?.cycle(1);
				break;
			}

			case 'filter': {
				setDraft(snapshot.filter);
				setMode('filter');
				break;
			}

			case 'clearFilter': {
				store.setFilter('');
				break;
			}

			case 'pause': {
				store.togglePause();
				break;
			}

			case 'reset': {
				store.reset();
				setMessage({text: 'Statistics reset', error: false});
				break;
			}

			case 'export': {
				setMode('export');
				break;
			}

			case 'dump': {
				try {
					setDump(takeDump(snapshot.pid));
				} catch (error) {
					setDump({error: error instanceof Error ? error.message : String(error)});
				}

				setMode('dump');
				break;
			}

			case 'help': {
				setMode('help');
				break;
			}

			case 'quit': {
				onQuit();
				break;
			}

			case undefined: {
				break;
			}
		}
	}, [cursor, count, tableHeight, snapshot, store, processes, takeDump, onQuit]);

	const onFilterKey = useCallback((input: string, key: Key) => {
		if (key.escape) {
			store.setFilter('');
			setMode('table');
		} else if (key.return) {
			setMode('table');
		} else if (key.backspace || key.delete) {
			const next = draft.slice(0, -1);
			setDraft(next);
			store.setFilter(next);
		} else if (input && !key.ctrl && !key.meta) {
			const next = draft + input;
			setDraft(next);
			store.setFilter(next);
			setSelected(0);
		}
	}, [draft, store]);

	const onBaselineKey = useCallback((input: string, key: Key) => {
		if (key.escape) {
			setMode('table');
		} else if (key.return && pending) {
			runExport(pending, draft);
		} else if (key.backspace || key.delete) {
			setDraft(value => value.slice(0, -1));
		} else if (input && !key.ctrl && !key.meta) {
			setDraft(value => value + input);
		}
	}, [draft, pending, runExport]);

	const onHelpKey = useCallback(() => {
		setMode('table');
	}, []);

	const tooSmall = columns < minimumSize.columns || rows < minimumSize.rows;
	const onTooSmallKey = useCallback((input: string) => {
		if (input === 'q') {
			onQuit();
		}
	}, [onQuit]);

	useInput(onTableKey, {isActive: mode === 'table' && !tooSmall});
	useInput(onFilterKey, {isActive: mode === 'filter' && !tooSmall});
	useInput(onBaselineKey, {isActive: mode === 'baseline' && !tooSmall});
	useInput(onHelpKey, {isActive: mode === 'help' && !tooSmall});
	useInput(onTooSmallKey, {isActive: tooSmall});

	const onPick = useCallback((format: Exporter) => {
		if (format.id === 'diff-flamegraph') {
			setPending(format);
			setDraft('');
			setMode('baseline');
		} else {
			runExport(format);
		}
	}, [runExport]);
	const backToTable = useCallback(() => {
		setMode('table');
	}, []);

	const detailsRow = useMemo(() => (detailsKey === undefined ? undefined : [...snapshot.rowsById.values()].find(row => rowKey(row) === detailsKey)), [detailsKey, snapshot]);

	if (tooSmall) {
		return <TooSmall columns={columns} rows={rows} />;
	}

	const height = rows - 1;
	let body;
	switch (mode) {
		case 'help': {
			body = <Help height={height - headerHeight} subprocesses={processes !== undefined} />;
			break;
		}

		case 'export': {
			body = <ExportMenu formats={formats} width={columns} onPick={onPick} onCancel={backToTable} />;
			break;
		}

		case 'dump': {
			return <DumpView dump={dump === undefined ? {error: 'no dump'} : ('error' in dump ? dump : dump.threads)} tasks={dump && !('error' in dump) ? dump.tasks : undefined} width={columns} height={height} onClose={backToTable} />;
		}

		case 'details': {
			body = <DetailsView row={detailsRow} rowsById={snapshot.rowsById} width={columns} height={height - headerHeight} onClose={backToTable} />;
			break;
		}

		default: {
			const table = <FunctionTable rows={snapshot.rows} totalSamples={snapshot.totalSamples} sort={snapshot.sort} selected={cursor} height={tableHeight} width={columns} />;
			const row = snapshot.rows[cursor];
			body = panelHeight === 0 ? table : (
				<>
					<Box flexDirection='column' flexGrow={1}>{table}</Box>
					<OpcodePanel func={row} mix={row ? store.opcodeMix(row.filename, row.funcname) : undefined} rows={opcodeRows} width={columns} />
				</>
			);
		}
	}

	let line: React.JSX.Element;
	if (mode === 'filter') {
		line = <Text>{fit(`Function filter: ${draft}_   (Enter keeps, Esc clears)`, columns - 1)}</Text>;
	} else if (mode === 'baseline') {
		line = <Text>{fit(`Baseline binary profile for the diff: ${draft}_   (Enter exports, Esc cancels)`, columns - 1)}</Text>;
	} else {
		line = <Text {...(message?.error ? theme.warning() : theme.notice())}>{fit(message?.text ?? '', columns - 1)}</Text>;
	}

	return (
		<Box flexDirection='column' height={height}>
			<Header snapshot={snapshot} width={columns} {...(shownProcess ? {process: {number: shownProcess.index + 1, count: shownProcess.stores.length}} : {})} />
			<Box flexDirection='column' flexGrow={1}>{body}</Box>
			{line}
			<Footer width={columns} subprocesses={processes !== undefined} />
		</Box>
	);
}

function rowKey(row: {filename: string; line: number; funcname: string}): string {
	return `${row.filename}\0${row.line}\0${row.funcname}`;
}
