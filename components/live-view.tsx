// The live view: header, one screen (the function table, the flame graph or a function's
// source), a message or prompt line and the keys. Keys and mouse reports go, one at a time
// (use-keys.ts), to the controller (live-controller.ts), which reads the state through refs.
import {Box, Text, type Key} from 'ink';
import {useCallback, useEffect, useLayoutEffect, useMemo, useRef, useSyncExternalStore} from 'react';
import {exporters, type Exporter} from '../exporters/index.js';
import {loadBaseline} from '../live/capture-file.js';
import type {LiveDump} from '../live/dump.js';
import type {LiveProcesses, ProcessesSnapshot} from '../live/live-processes.js';
import type {LiveStore} from '../live/live-store.js';
import {DetailsView} from './details-view.js';
import {DumpView} from './dump-view.js';
import {ExportMenu} from './export-menu.js';
import {Footer} from './footer.js';
import {fit, formatDuration} from './format.js';
import {Header} from './header.js';
import {Help} from './help.js';
import {chromeHeight, handleKey, handleMouse, rowKey, type KeyContext} from './live-controller.js';
import {useLiveUiState} from './live-state.js';
import {FlameScreen} from './screens/flame-screen.js';
import {SourceScreen} from './screens/source-screen.js';
import {TableScreen, tableLayout} from './screens/table-screen.js';
import {theme} from './theme.js';
import {minimumSize, TooSmall} from './too-small.js';
import {useKeys, type MouseEvent} from './use-keys.js';
import {promptText, usePrompt} from './use-prompt.js';
import {useWindowSize} from './use-window-size.js';

export type LiveViewProps = {
	readonly store: LiveStore;
	/** --subprocesses: the target and its Python children; the view shows the one chosen with [ and ]. */
	readonly processes?: LiveProcesses;
	readonly onQuit: () => void;
	/** Formats offered by `e` (default: the whole registry). */
	readonly formats?: readonly Exporter[];
	/** Takes the stack dump for `d` (default: a read of the target now, with its asyncio tasks). */
	readonly takeDump?: (pid: number) => LiveDump;
	/** The screen shown first (the bench measures the flame graph's redraws); default the table. */
	readonly initialScreen?: 'table' | 'flame';
};

/** An error message stays this long, then clears (others stay until the next one). */
const errorMessageMs = 6000;
const noProcesses = () => () => undefined;
const noProcessesSnapshot = (): ProcessesSnapshot | undefined => undefined;

export function LiveView(props: LiveViewProps) {
	const {store: rootStore, processes, onQuit, formats = Object.values(exporters)} = props;
	const shownProcess = useSyncExternalStore(processes?.subscribe ?? noProcesses, processes?.getSnapshot ?? noProcessesSnapshot);
	const store = shownProcess?.store ?? rootStore;
	const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
	const {columns, rows} = useWindowSize();
	const [state, dispatch, stateRef] = useLiveUiState(props.initialScreen);
	const prompt = usePrompt();
	const height = rows - 1;
	const bodyHeight = Math.max(1, rows - chromeHeight);
	const {tableRows} = tableLayout(snapshot, bodyHeight);
	const cursor = Math.min(state.selected, Math.max(0, snapshot.rows.length - 1));
	const tooSmall = columns < minimumSize.columns || rows < minimumSize.rows;

	const runExport = useCallback((format: Exporter, baselinePath?: string) => {
		try {
			// A baseline of another mode would compare nothing: loadBaseline refuses it, as the CLI does.
			const baseline = baselinePath === undefined ? undefined : loadBaseline(baselinePath.trim(), store.getSnapshot().mode);
			const started = performance.now();
			const written = store.exportTo(format, baseline ? {baseline} : {});
			const ms = Math.round(performance.now() - started);
			// Where it went comes first: the line is cut at the screen's width.
			const {failed} = written;
			dispatch(failed ? {type: 'message', text: `Wrote ${format.id} to ${written.path} (${ms} ms), not to ${failed.path}: ${failed.reason}`, error: true} : {type: 'message', text: `Wrote ${format.id} to ${written.path} (${ms} ms)`, error: false});
		} catch (error) {
			dispatch({type: 'message', text: `Export failed: ${error instanceof Error ? error.message : String(error)}`, error: true});
		}
	}, [store, dispatch]);

	// The handler reads everything through this ref: the keys of one input event share a render.
	const context = useRef<Omit<KeyContext, 'snapshot' | 'state'>>({store, dispatch, prompt, props, formats, tableRows, bodyHeight, columns, runExport});
	useLayoutEffect(() => {
		context.current = {store, dispatch, prompt, props, formats, tableRows, bodyHeight, columns, runExport};
	});
	const onKey = useCallback((input: string, key: Key) => {
		const current = context.current;
		handleKey({...current, snapshot: current.store.getSnapshot(), state: stateRef.current}, input, key);
	}, [stateRef]);
	const onTooSmallKey = useCallback((input: string) => {
		if (input === 'q') {
			onQuit();
		}
	}, [onQuit]);
	const onMouse = useCallback((event: MouseEvent) => {
		const current = context.current;
		handleMouse({...current, snapshot: current.store.getSnapshot(), state: stateRef.current}, event);
	}, [stateRef]);
	useKeys(onKey, {isActive: !tooSmall, onMouse});
	useKeys(onTooSmallKey, {isActive: tooSmall});

	// A folder `e` cannot write into is said at once, not at the first export.
	const exportProblem = store.exportFolderProblem;
	useEffect(() => {
		if (exportProblem) {
			dispatch({type: 'message', text: `Exports go elsewhere (e says where): ${exportProblem}`, error: true});
		}
	}, [exportProblem, dispatch]);

	// Native stacks the sampler could not turn on (`n` where the threads may not be stopped): said once.
	const nativeError = snapshot.nativeStacks.error;
	useEffect(() => {
		if (nativeError) {
			dispatch({type: 'message', text: `Native stacks stay off: ${nativeError.text}`, error: true});
		}
	}, [nativeError, dispatch]);

	// Errors clear after a while; a later message replaces them anyway.
	const message = state.message;
	useEffect(() => {
		if (!message?.error) {
			return;
		}

		const timer = setTimeout(() => {
			dispatch({type: 'clearMessage', id: message.id});
		}, errorMessageMs);
		return () => {
			clearTimeout(timer);
		};
	}, [message, dispatch]);

	const detailsRow = useMemo(() => (state.detailsKey === undefined ? undefined : [...snapshot.rowsById.values()].find(row => rowKey(row) === state.detailsKey)), [state.detailsKey, snapshot]);

	if (tooSmall) {
		return <TooSmall columns={columns} rows={rows} />;
	}

	let body: React.JSX.Element;
	switch (state.overlay) {
		case 'help': {
			body = <Help height={bodyHeight} width={columns} top={state.scroll} subprocesses={processes !== undefined} />;
			break;
		}

		case 'export': {
			body = <ExportMenu formats={formats} selected={state.exportIndex} width={columns} />;
			break;
		}

		case 'dump': {
			const dump = state.dump ?? {error: 'no dump'};
			return <DumpView dump={'error' in dump ? dump : dump.threads} tasks={'error' in dump ? undefined : dump.tasks} width={columns} height={height} top={state.scroll} />;
		}

		case 'details': {
			body = <DetailsView row={detailsRow} rowsById={snapshot.rowsById} width={columns} height={bodyHeight} />;
			break;
		}

		case 'quit':
		case undefined: {
			if (state.screen === 'flame') {
				body = <FlameScreen root={store.flame()} snapshot={snapshot} state={state.flame} width={columns} height={bodyHeight} />;
			} else if (state.screen === 'source' && state.source) {
				body = <SourceScreen store={store} snapshot={snapshot} state={state.source} width={columns} height={bodyHeight} />;
			} else {
				body = <TableScreen store={store} snapshot={snapshot} selected={cursor} width={columns} height={bodyHeight} />;
			}
		}
	}

	const line = prompt.prompt
		? <Text>{fit(promptText(prompt.prompt), columns - 1)}</Text>
		: state.overlay === 'quit'
			? <Text {...theme.warning()}>{fit(`Quit? ${formatDuration(snapshot.unsavedS)} of sampling not exported: e export / q quit / any key back`, columns - 1)}</Text>
			: <Text {...(message?.error ? theme.warning() : theme.notice())}>{fit(message?.text ?? '', columns - 1)}</Text>;

	return (
		<Box flexDirection='column' height={height}>
			<Header snapshot={snapshot} width={columns} {...(shownProcess ? {process: {number: shownProcess.index + 1, count: shownProcess.stores.length}} : {})} />
			<Box flexDirection='column' flexGrow={1}>{body}</Box>
			{line}
			<Footer width={columns} subprocesses={processes !== undefined} />
		</Box>
	);
}
