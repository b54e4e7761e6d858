// `f`: the flame graph of the view shown, drawn in the terminal. The root (or the zoomed frame)
// is the top row, callees below their callers, each frame a bar as wide as its share of the
// samples with its name clipped inside; the selected bar is inverted, `/` matches highlighted.
// Rows are styled strings drawn through RawLines, as the table's are (one layout node).
import type {FlameBar, FlameFrame} from '../../live/flame-data.js';
import {flameRows, frameAt, hottestLine, matchingFrames} from '../../live/flame-data.js';
import type {LiveSnapshot} from '../../live/live-store.js';
import {fit, formatCount, formatPercent} from '../format.js';
import type {FlameUiState} from '../live-state.js';
import {shortenPath, shownName} from '../names.js';
import {paint} from '../paint.js';
import {RawLines} from '../raw-lines.js';
import {colorEnabled, theme} from '../theme.js';

/** Lines that are not bar rows: the zoom line above, the status line below. */
export const flameChrome = 2;

/** Bar colours, picked by function name so a function keeps its colour across redraws. */
const palette = ['red', 'yellow', 'magenta', 'redBright', 'yellowBright'] as const;

function colourOf(frame: FlameFrame): typeof palette[number] {
	let hash = 0;
	for (let index = 0; index < frame.funcname.length; index++) {
		hash = ((hash * 31) + frame.funcname.charCodeAt(index)) >>> 0;
	}

	return palette[hash % palette.length]!;
}

/** What the flame screen shows: the zoomed frame, the selected one, the rows that fit. */
export type FlameLayout = {
	readonly root: FlameFrame;
	readonly top: FlameFrame;
	readonly selected: FlameFrame;
	readonly rows: FlameBar[][];
	/** First row shown (the rows scroll to keep the selection in sight). */
	readonly offset: number;
	readonly visible: number;
};

export function flameLayout(root: FlameFrame, state: FlameUiState, width: number, height: number): FlameLayout {
	const top = frameAt(root, state.zooms.at(-1) ?? []);
	const selectedFrame = frameAt(root, state.selected);
	// A selection outside the zoomed frame (zoomed out past it, or gone) falls back to the zoomed frame.
	const selected = isWithin(selectedFrame, top) ? selectedFrame : top;
	const visible = Math.max(1, height - flameChrome);
	const rows = flameRows(top, Math.max(1, width - 1), 256);
	const depth = depthBelow(selected, top);
	const offset = Math.max(0, depth - visible + 1);
	return {root, top, selected, rows, offset, visible};
}

function isWithin(frame: FlameFrame, top: FlameFrame): boolean {
	for (let node: FlameFrame | undefined = frame; node; node = node.parent) {
		if (node === top) {
			return true;
		}
	}

	return false;
}

function depthBelow(frame: FlameFrame, top: FlameFrame): number {
	let depth = 0;
	for (let node: FlameFrame | undefined = frame; node && node !== top; node = node.parent) {
		depth++;
	}

	return depth;
}

/** A bar as text: a left edge, then the name clipped inside. */
function barText(bar: FlameBar): string {
	return bar.width <= 1 ? '▏' : `▏${fit(bar.frame === undefined ? '' : frameName(bar.frame), bar.width - 1)}`;
}

export function frameName(frame: FlameFrame): string {
	return frame.parent ? shownName(frame.funcname) : 'all';
}

function barLine(row: readonly FlameBar[], selected: FlameFrame, matches: ReadonlySet<FlameFrame>): string {
	let line = '';
	let cursor = 0;
	for (const bar of row) {
		line += ' '.repeat(Math.max(0, bar.x - cursor));
		const text = barText(bar);
		let style;
		if (bar.frame === selected) {
			style = theme.selectedRow();
		} else if (matches.has(bar.frame)) {
			style = colorEnabled() ? {backgroundColor: 'green', color: 'black', bold: true} as const : {underline: true, bold: true} as const;
		} else {
			style = colorEnabled() ? {backgroundColor: colourOf(bar.frame), color: 'black'} as const : {};
		}

		line += paint(text, style);
		cursor = bar.x + bar.width;
	}

	return line;
}

export type FlameScreenProps = {
	readonly root: FlameFrame;
	readonly snapshot: LiveSnapshot;
	readonly state: FlameUiState;
	readonly width: number;
	readonly height: number;
};

export function FlameScreen({root, snapshot, state, width, height}: FlameScreenProps) {
	const layout = flameLayout(root, state, width, height);
	const {top, selected, rows, offset, visible} = layout;
	const needle = state.search.toLowerCase();
	const {frames: matches, samples: matched} = matchingFrames(top, needle);
	const lines = rows.slice(offset, offset + visible).map(row => barLine(row, selected, matches));
	const callers = top.parent ? callerChain(top) : '';
	const share = (samples: number) => `${formatPercent(root.samples > 0 ? (samples / root.samples) * 100 : 0)}%`;
	const found = needle ? `"${shownName(state.search)}": ${share(matched)} in ${matches.size} frames (c clears) │ ` : '';
	const above = found + (top.parent
		? `zoomed: ${callers} › ${frameName(top)} (Esc zooms out)`
		: `${formatCount(root.samples)} samples${snapshot.filter ? `, stacks matching "${shownName(snapshot.filter)}"` : ''} · Enter zooms · ←→↑↓ move · / highlights · v source · Esc back`);
	return (
		<>
			<RawLines lines={[paint(fit(above, width - 1), theme.dim())]} width={width - 1} />
			{root.samples === 0
				? <RawLines lines={[paint(fit('  (no samples in this view yet)', width - 1), theme.dim())]} width={width - 1} />
				: <RawLines lines={lines} width={width - 1} />}
			<RawLines lines={[...Array.from({length: Math.max(0, visible - lines.length)}, () => ''), statusLine(selected, root, width)]} width={width - 1} />
		</>
	);
}

function callerChain(top: FlameFrame): string {
	const names: string[] = [];
	for (let node = top.parent; node?.parent; node = node.parent) {
		names.unshift(frameName(node));
	}

	return names.length === 0 ? 'all' : names.join(' › ');
}

/** The selected frame in full: name, file:line (its hottest), samples, self and total %. */
export function statusLine(selected: FlameFrame, root: FlameFrame, width: number): string {
	const share = (samples: number) => `${formatPercent(root.samples > 0 ? (samples / root.samples) * 100 : 0)}%`;
	const line = hottestLine(selected);
	const where = selected.parent && selected.filename ? shortenPath(line > 0 ? `${selected.filename}:${line}` : selected.filename, Math.max(12, Math.floor(width / 3))) : '';
	const text = `${frameName(selected)}${where ? `  ${where}` : ''} │ ${formatCount(selected.samples)} samples │ self ${share(selected.self)} │ total ${share(selected.samples)}`;
	return paint(fit(text, width - 1), theme.value());
}
