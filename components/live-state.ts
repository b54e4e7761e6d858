// The live view's own state (what is on screen, where the cursor is), apart from the store's
// (what was sampled, how it is aggregated). A pure reducer: the key handler dispatches actions
// and reads the state back through a ref, so several keys of one input event compose.
import {useCallback, useRef, useState} from 'react';
import type {Exporter} from '../exporters/index.js';
import type {Screen} from '../live/key-bindings.js';
import type {LiveDump} from '../live/dump.js';

/** Screens drawn over the current one, which take every key while open. */
export type Overlay = 'help' | 'export' | 'dump' | 'details' | 'quit';

export type Message = {readonly text: string; readonly error: boolean; readonly id: number};

export type LiveUiState = {
	readonly screen: Screen;
	readonly overlay: Overlay | undefined;
	/** The table's cursor (clamped to the rows when drawn). */
	readonly selected: number;
	/** First line shown by a scrolling overlay (help, dump). */
	readonly scroll: number;
	/** The export menu's cursor. */
	readonly exportIndex: number;
	/** The row whose callers and callees are shown. */
	readonly detailsKey: string | undefined;
	readonly dump: LiveDump | {readonly error: string} | undefined;
	/** The format waiting for a baseline path (diff-flamegraph). */
	readonly pending: Exporter | undefined;
	readonly message: Message | undefined;
	readonly flame: FlameUiState;
	/** The function the source screen shows, and where it came from. */
	readonly source: SourceUiState | undefined;
};

export type FlameUiState = {
	/** The zoomed frames, outermost first, each as its path from the root; empty: the root. */
	readonly zooms: ReadonlyArray<readonly string[]>;
	/** The selected frame's path from the root. */
	readonly selected: readonly string[];
	/** `/`: the text whose frames are highlighted. */
	readonly search: string;
};

export type SourceUiState = {
	readonly filename: string;
	readonly funcname: string;
	/** The selected line, or undefined for the hottest. */
	readonly line: number | undefined;
	/** The screen Esc goes back to. */
	readonly from: Screen;
};

export type LiveUiAction =
	| {readonly type: 'move'; readonly by: number; readonly count: number}
	| {readonly type: 'select'; readonly index: number}
	| {readonly type: 'screen'; readonly screen: Screen}
	| {readonly type: 'open'; readonly overlay: Overlay; readonly detailsKey?: string; readonly dump?: LiveUiState['dump']}
	| {readonly type: 'close'}
	| {readonly type: 'scroll'; readonly by: number; readonly max: number}
	| {readonly type: 'exportMove'; readonly by: number; readonly count: number}
	| {readonly type: 'pending'; readonly format: Exporter | undefined}
	| {readonly type: 'message'; readonly text: string; readonly error: boolean}
	| {readonly type: 'clearMessage'; readonly id: number}
	| {readonly type: 'flameSelect'; readonly path: readonly string[]}
	| {readonly type: 'flameZoom'}
	| {readonly type: 'flameUnzoom'}
	| {readonly type: 'flameSearch'; readonly search: string}
	| {readonly type: 'source'; readonly filename: string; readonly funcname: string; readonly from: Screen}
	| {readonly type: 'sourceLine'; readonly line: number};

export const initialUiState: LiveUiState = {
	screen: 'table', overlay: undefined, selected: 0, scroll: 0, exportIndex: 0, detailsKey: undefined, dump: undefined, pending: undefined, message: undefined,
	flame: {zooms: [], selected: [], search: ''}, source: undefined,
};

const clamp = (value: number, low: number, high: number) => Math.max(low, Math.min(high, value));
let messageIds = 0;

export function liveUiReducer(state: LiveUiState, action: LiveUiAction): LiveUiState {
	switch (action.type) {
		case 'move': {
			const last = Math.max(0, action.count - 1);
			return {...state, selected: clamp(Math.min(state.selected, last) + action.by, 0, last)};
		}

		case 'select': {
			return {...state, selected: Math.max(0, action.index)};
		}

		case 'screen': {
			return {...state, screen: action.screen, overlay: undefined};
		}

		case 'open': {
			return {...state, overlay: action.overlay, scroll: 0, exportIndex: 0, detailsKey: action.detailsKey ?? state.detailsKey, dump: action.dump ?? state.dump};
		}

		case 'close': {
			return {...state, overlay: undefined};
		}

		case 'scroll': {
			return {...state, scroll: clamp(state.scroll + action.by, 0, Math.max(0, action.max))};
		}

		case 'exportMove': {
			return {...state, exportIndex: clamp(state.exportIndex + action.by, 0, Math.max(0, action.count - 1))};
		}

		case 'pending': {
			return {...state, pending: action.format};
		}

		case 'message': {
			return {...state, message: {text: action.text, error: action.error, id: ++messageIds}};
		}

		case 'clearMessage': {
			return state.message?.id === action.id ? {...state, message: undefined} : state;
		}

		case 'flameSelect': {
			return {...state, flame: {...state.flame, selected: action.path}};
		}

		case 'flameZoom': {
			const top = state.flame.zooms.at(-1) ?? [];
			const same = top.length === state.flame.selected.length && top.every((key, index) => key === state.flame.selected[index]);
			return same ? state : {...state, flame: {...state.flame, zooms: [...state.flame.zooms, state.flame.selected]}};
		}

		case 'flameUnzoom': {
			return {...state, flame: {...state.flame, zooms: state.flame.zooms.slice(0, -1)}};
		}

		case 'flameSearch': {
			return {...state, flame: {...state.flame, search: action.search}};
		}

		case 'source': {
			return {...state, screen: 'source', overlay: undefined, source: {filename: action.filename, funcname: action.funcname, line: undefined, from: action.from}};
		}

		case 'sourceLine': {
			return state.source ? {...state, source: {...state.source, line: action.line}} : state;
		}
	}
}

/** A reducer whose latest state is readable at once (ref) as well as rendered (state). */
export function useLiveUiState(screen: Screen = 'table'): [LiveUiState, (action: LiveUiAction) => void, {readonly current: LiveUiState}] {
	const initial = screen === 'table' ? initialUiState : {...initialUiState, screen};
	const ref = useRef(initial);
	const [state, setState] = useState(initial);
	const dispatch = useCallback((action: LiveUiAction) => {
		ref.current = liveUiReducer(ref.current, action);
		setState(ref.current);
	}, []);
	return [state, dispatch, ref];
}
