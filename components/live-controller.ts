// The live view's controller: what each key and mouse report does, given the view's state
// (components/live-state.ts), the store and the screen. One key at a time: an open prompt takes
// it first, then an open overlay (help, export menu, dump, details, the quit question), then
// the screen's command from the key table (live/key-bindings.ts).
import type {Key} from 'ink';
import type {Exporter} from '../exporters/index.js';
import {liveDump} from '../live/live-dump.js';
import {pathOf} from '../live/flame-data.js';
import {commandFor, type LiveCommand} from '../live/key-bindings.js';
import type {LiveSnapshot, LiveStore} from '../live/live-store.js';
import {dumpViewLines, dumpVisible} from './dump-view.js';
import {exportMenuKey} from './export-menu.js';
import {columnAt, columnSort, layoutColumns} from './function-table/columns.js';
import {windowStart} from './function-table/function-table.js';
import {headerHeight} from './header.js';
import {helpLines, helpVisible} from './help.js';
import type {LiveUiAction, LiveUiState} from './live-state.js';
import type {LiveViewProps} from './live-view.js';
import {shownName} from './names.js';
import {flameLayout} from './screens/flame-screen.js';
import {selectedLine, sourceLayout, sourceRows} from './screens/source-screen.js';
import type {MouseEvent} from './use-keys.js';
import type {Prompt} from './use-prompt.js';

/** Lines around the screen: header, message line, footer, and one spare (Ink redraws everything once output reaches the terminal's height). */
export const chromeHeight = headerHeight + 3;
/** `q` asks first when more than this much sampling was never exported. */
const unsavedLimitS = 60;

/** Everything a key handler needs, read fresh for each key. */
export type KeyContext = {
	readonly store: LiveStore;
	readonly snapshot: LiveSnapshot;
	readonly state: LiveUiState;
	readonly dispatch: (action: LiveUiAction) => void;
	readonly prompt: Prompt;
	readonly props: LiveViewProps;
	readonly formats: readonly Exporter[];
	readonly tableRows: number;
	readonly bodyHeight: number;
	readonly columns: number;
	readonly runExport: (format: Exporter, baselinePath?: string) => void;
};

export function rowKey(row: {filename: string; line: number; funcname: string}): string {
	return `${row.filename}\0${row.line}\0${row.funcname}`;
}

/** One key: the open prompt takes it first, then the open overlay, then the screen's commands. */
export function handleKey(context: KeyContext, input: string, key: Key): void {
	if (context.prompt.current() !== undefined) {
		promptKey(context, input, key);
		return;
	}

	if (context.state.overlay !== undefined) {
		overlayKey(context, input, key);
		return;
	}

	const command = commandFor(context.state.screen, input, key);
	if (command !== undefined) {
		runCommand(context, command);
	}
}

function promptKey({prompt, store, dispatch, state, runExport}: KeyContext, input: string, key: Key): void {
	const kind = prompt.current()?.kind;
	const outcome = prompt.key(input, key);
	if (kind === 'filter') {
		if (outcome.type === 'edit') {
			store.setFilter(outcome.draft);
			dispatch({type: 'select', index: 0});
		} else if (outcome.type === 'cancel') {
			store.setFilter('');
		}
	} else if (kind === 'search') {
		if (outcome.type === 'edit') {
			dispatch({type: 'flameSearch', search: outcome.draft});
		} else if (outcome.type === 'cancel') {
			dispatch({type: 'flameSearch', search: ''});
		}
	} else if (kind === 'baseline' && state.pending) {
		if (outcome.type === 'submit') {
			runExport(state.pending, outcome.draft);
		}

		if (outcome.type === 'submit' || outcome.type === 'cancel') {
			dispatch({type: 'pending', format: undefined});
		}
	}
}

const scrollBy = (key: Key, page: number): number | undefined => {
	if (key.upArrow) {
		return -1;
	}

	if (key.downArrow) {
		return 1;
	}

	if (key.pageUp) {
		return -page;
	}

	if (key.pageDown) {
		return page;
	}

	return undefined;
};

function overlayKey(context: KeyContext, input: string, key: Key): void {
	const {state, dispatch, bodyHeight, props} = context;
	const closes = key.escape || input === 'q';
	switch (state.overlay) {
		case 'help': {
			const visible = helpVisible(bodyHeight);
			const by = scrollBy(key, visible) ?? (input === 'j' ? 1 : input === 'k' ? -1 : undefined);
			if (by === undefined) {
				// Any other key closes it.
				dispatch({type: 'close'});
			} else {
				dispatch({type: 'scroll', by, max: helpLines(props.processes !== undefined).length - visible});
			}

			break;
		}

		case 'dump': {
			const visible = dumpVisible(bodyHeight + chromeHeight - 1);
			const by = scrollBy(key, visible) ?? (input === 'j' ? 1 : input === 'k' ? -1 : undefined);
			if (by === undefined) {
				if (closes || input === 'd') {
					dispatch({type: 'close'});
				}
			} else if (state.dump) {
				const lines = 'error' in state.dump ? 1 : dumpViewLines(state.dump.threads, state.dump.tasks).length;
				dispatch({type: 'scroll', by, max: lines - visible});
			}

			break;
		}

		case 'details': {
			if (closes || key.return) {
				dispatch({type: 'close'});
			}

			break;
		}

		case 'quit': {
			if (input === 'q') {
				props.onQuit();
			} else if (input === 'e') {
				dispatch({type: 'open', overlay: 'export'});
			} else {
				dispatch({type: 'close'});
			}

			break;
		}

		case 'export': {
			const outcome = exportMenuKey(context.formats, state.exportIndex, input, key);
			if (outcome?.type === 'move') {
				dispatch({type: 'exportMove', by: outcome.by, count: context.formats.length});
			} else if (outcome?.type === 'cancel') {
				dispatch({type: 'close'});
			} else if (outcome?.type === 'pick') {
				dispatch({type: 'close'});
				if (outcome.format.id === 'diff-flamegraph') {
					dispatch({type: 'pending', format: outcome.format});
					context.prompt.open('baseline');
				} else {
					context.runExport(outcome.format);
				}
			}

			break;
		}

		case undefined: {
			break;
		}
	}
}

function runCommand(context: KeyContext, command: LiveCommand): void {
	if (context.state.screen === 'flame' && flameCommand(context, command)) {
		return;
	}

	if (context.state.screen === 'source' && sourceCommand(context, command)) {
		return;
	}

	const {store, snapshot, state, dispatch, props, tableRows} = context;
	const count = snapshot.rows.length;
	switch (command) {
		case 'up':
		case 'down':
		case 'pageUp':
		case 'pageDown': {
			const step = command === 'pageUp' || command === 'pageDown' ? tableRows : 1;
			dispatch({type: 'move', by: command === 'up' || command === 'pageUp' ? -step : step, count});
			break;
		}

		case 'details': {
			const row = snapshot.rows[Math.min(state.selected, count - 1)];
			if (row) {
				dispatch({type: 'open', overlay: 'details', detailsKey: rowKey(row)});
			}

			break;
		}

		case 'sortNext':
		case 'sortPrevious': {
			store.cycleSort(command === 'sortNext' ? 1 : -1);
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

		case 'previousThread':
		case 'nextThread': {
			store.cycleThread(command === 'nextThread' ? 1 : -1);
			break;
		}

		case 'previousProcess':
		case 'nextProcess': {
			props.processes?.cycle(command === 'nextProcess' ? 1 : -1);
			break;
		}

		case 'filter': {
			context.prompt.open('filter', snapshot.filter);
			break;
		}

		case 'lines': {
			store.toggleLines();
			break;
		}

		case 'window': {
			store.toggleWindow();
			break;
		}

		case 'windowLength': {
			store.cycleWindowLength();
			break;
		}

		case 'flame': {
			dispatch({type: 'screen', screen: 'flame'});
			break;
		}

		case 'source': {
			const row = snapshot.rows[Math.min(state.selected, count - 1)];
			if (row && !row.synthetic) {
				dispatch({type: 'source', filename: row.filename, funcname: row.funcname, from: 'table'});
			}

			break;
		}

		case 'zoom':
		case 'back': {
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

		case 'nativeStacks': {
			const {text, error} = store.toggleNativeStacks();
			dispatch({type: 'message', text, error});
			break;
		}

		case 'reset': {
			store.reset();
			dispatch({type: 'message', text: 'Statistics reset', error: false});
			break;
		}

		case 'export': {
			dispatch({type: 'open', overlay: 'export'});
			break;
		}

		case 'dump': {
			let dump: LiveUiState['dump'];
			try {
				dump = (props.takeDump ?? liveDump)(snapshot.pid);
			} catch (error) {
				dump = {error: error instanceof Error ? error.message : String(error)};
			}

			dispatch({type: 'open', overlay: 'dump', dump});
			break;
		}

		case 'help': {
			dispatch({type: 'open', overlay: 'help'});
			break;
		}

		case 'quit': {
			// Asks once before losing more than a minute of sampling nobody exported.
			if (snapshot.unsavedS > unsavedLimitS && snapshot.totalSamples > 0) {
				dispatch({type: 'open', overlay: 'quit'});
			} else {
				props.onQuit();
			}

			break;
		}
	}
}

/** The flame screen's own meaning of a command; false when it means what it means on the table. */
function flameCommand(context: KeyContext, command: LiveCommand): boolean {
	const {store, state, dispatch, columns, bodyHeight} = context;
	const layout = flameLayout(store.flame(), state.flame, columns, bodyHeight);
	const {selected, top, rows} = layout;
	const select = (frame: typeof selected | undefined) => {
		if (frame) {
			dispatch({type: 'flameSelect', path: pathOf(frame)});
		}
	};

	const depth = rows.findIndex(row => row.some(bar => bar.frame === selected));
	switch (command) {
		case 'up': {
			select(selected === top ? undefined : selected.parent);
			return true;
		}

		case 'down': {
			select(rows[depth + 1]?.find(bar => bar.frame.parent === selected)?.frame);
			return true;
		}

		case 'previousThread':
		case 'nextThread': {
			const row = rows[depth] ?? [];
			const index = row.findIndex(bar => bar.frame === selected);
			select(row[index + (command === 'nextThread' ? 1 : -1)]?.frame);
			return true;
		}

		case 'zoom': {
			dispatch({type: 'flameZoom'});
			return true;
		}

		case 'back': {
			if (state.flame.zooms.length > 0) {
				dispatch({type: 'flameUnzoom'});
			} else {
				dispatch({type: 'screen', screen: 'table'});
			}

			return true;
		}

		case 'filter': {
			context.prompt.open('search', state.flame.search);
			return true;
		}

		case 'clearFilter': {
			dispatch({type: 'flameSearch', search: ''});
			return true;
		}

		case 'source': {
			if (selected.parent && !selected.synthetic) {
				dispatch({type: 'source', filename: shownName(selected.filename), funcname: shownName(selected.funcname), from: 'flame'});
			}

			return true;
		}

		default: {
			return false;
		}
	}
}

/** The source screen's own meaning of a command; false when it means what it means on the table. */
function sourceCommand(context: KeyContext, command: LiveCommand): boolean {
	const {store, snapshot, state, dispatch, bodyHeight} = context;
	const source = state.source;
	if (!source) {
		return false;
	}

	const heat = store.heat(source.filename, source.funcname);
	const rows = sourceRows(heat, store.sourceLines(source.filename));
	const index = Math.max(0, rows.findIndex(row => row.line === selectedLine(heat, source)));
	const page = sourceLayout(snapshot, bodyHeight).codeRows;
	const moveTo = (target: number) => {
		const row = rows[Math.max(0, Math.min(rows.length - 1, target))];
		if (row) {
			dispatch({type: 'sourceLine', line: row.line});
		}
	};

	switch (command) {
		case 'up':
		case 'down':
		case 'pageUp':
		case 'pageDown': {
			const step = command === 'pageUp' || command === 'pageDown' ? page : 1;
			moveTo(index + (command === 'up' || command === 'pageUp' ? -step : step));
			return true;
		}

		case 'back': {
			dispatch({type: 'screen', screen: source.from});
			return true;
		}

		default: {
			return false;
		}
	}
}

/** Wheel steps move the selection this many rows. */
const wheelRows = 3;

/**
 * The mouse, where the terminal reports it: on the table a click on a heading sorts by that
 * column, a click on a row selects it, the wheel moves the selection; on the source screen the
 * wheel scrolls. The keyboard does all of this too.
 */
export function handleMouse(context: KeyContext, event: MouseEvent): void {
	const {state, snapshot, dispatch, columns, tableRows, store} = context;
	if (!event.press || state.overlay !== undefined || context.prompt.current() !== undefined) {
		return;
	}

	const wheel = event.button === 64 ? -1 : event.button === 65 ? 1 : 0;
	if (state.screen === 'source') {
		if (wheel !== 0) {
			sourceCommand(context, wheel < 0 ? 'up' : 'down');
		}

		return;
	}

	if (state.screen !== 'table') {
		return;
	}

	const count = snapshot.rows.length;
	if (wheel !== 0) {
		dispatch({type: 'move', by: wheel * wheelRows, count});
		return;
	}

	if (event.button !== 0) {
		return;
	}

	// Lines: the header, the table's heading, then its rows (y is 1-based).
	const line = event.y - 1 - headerHeight;
	if (line === 0) {
		const column = columnAt(layoutColumns(columns), event.x - 1);
		if (column) {
			store.setSort(columnSort[column.id]);
		}
	} else if (line > 0 && line <= tableRows) {
		const cursor = Math.min(state.selected, Math.max(0, count - 1));
		const index = windowStart(cursor, tableRows, count) + line - 1;
		if (index < count) {
			dispatch({type: 'select', index});
		}
	}
}
