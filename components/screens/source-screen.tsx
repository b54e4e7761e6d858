// `v`: one function's source, read from the target's own file (through /proc/PID/root), each
// line with its samples in the view shown (self: executing it; total: on the stack) and a bar,
// the hottest line selected at first; with --opcodes, the selected line's instruction mix.
import {Box} from 'ink';
import type {LiveSnapshot, LiveStore} from '../../live/live-store.js';
import type {FunctionHeat} from '../../live/source-data.js';
import {fit, formatCount, formatPercent} from '../format.js';
import type {SourceUiState} from '../live-state.js';
import {shortenPath, shownName} from '../names.js';
import {maxOpcodeRows, OpcodePanel, opcodePanelHeight} from '../opcode-panel.js';
import {paint} from '../paint.js';
import {RawLines} from '../raw-lines.js';
import {theme} from '../theme.js';

const barWidth = 10;
const numberWidth = 6;
const countWidth = 7;

/** The lines the screen can show: the file's, or (unreadable file) the sampled line numbers alone. */
export function sourceRows(heat: FunctionHeat, text: readonly string[] | undefined): Array<{readonly line: number; readonly code: string}> {
	if (text) {
		return text.map((code, index) => ({line: index + 1, code}));
	}

	return [...heat.lines.keys()].filter(line => line > 0).sort((a, b) => a - b).map(line => ({line, code: ''}));
}

/** The selected line: the one asked for, else the hottest, else the first. */
export function selectedLine(heat: FunctionHeat, state: SourceUiState): number {
	return state.line ?? (heat.hottest > 0 ? heat.hottest : 1);
}

/** Lines of code shown in `height` lines, with the opcode panel's rows if it fits. */
export function sourceLayout(snapshot: LiveSnapshot, height: number): {codeRows: number; opcodeRows: number} {
	const opcodeRows = snapshot.opcodes ? Math.min(maxOpcodeRows, height - 2 - opcodePanelHeight(0) - 5) : 0;
	const panel = opcodeRows > 0 ? opcodePanelHeight(opcodeRows) : 0;
	return {codeRows: Math.max(1, height - 2 - panel), opcodeRows: Math.max(0, opcodeRows)};
}

function bar(share: number): string {
	const filled = Math.round(Math.min(1, Math.max(0, share)) * barWidth);
	return '█'.repeat(filled) + '░'.repeat(barWidth - filled);
}

export type SourceScreenProps = {
	readonly store: LiveStore;
	readonly snapshot: LiveSnapshot;
	readonly state: SourceUiState;
	readonly width: number;
	readonly height: number;
};

export function SourceScreen({store, snapshot, state, width, height}: SourceScreenProps) {
	const heat = store.heat(state.filename, state.funcname);
	const text = store.sourceLines(state.filename);
	const rows = sourceRows(heat, text);
	const selected = selectedLine(heat, state);
	const {codeRows, opcodeRows} = sourceLayout(snapshot, height);
	const index = Math.max(0, rows.findIndex(row => row.line === selected));
	const start = Math.max(0, Math.min(index - Math.floor(codeRows / 2), rows.length - codeRows));
	let most = 1;
	for (const line of heat.lines.values()) {
		most = Math.max(most, line.total);
	}

	const codeWidth = Math.max(1, width - 1 - (2 + numberWidth + 1 + ((countWidth + 1) * 2) + barWidth + 2));
	const lines = rows.slice(start, start + codeRows).map(row => {
		const counts = heat.lines.get(row.line);
		const cells = `${fit(String(row.line), numberWidth, 'right')} ${fit(counts ? formatCount(counts.self) : '', countWidth, 'right')} ${fit(counts ? formatCount(counts.total) : '', countWidth, 'right')} ${counts ? bar(counts.total / most) : ' '.repeat(barWidth)}  ${fit(shownName(row.code.replaceAll('\t', '    ')), codeWidth)}`;
		return row.line === selected ? paint(`› ${cells}`, theme.selectedRow()) : (counts ? `  ${cells}` : paint(`  ${cells}`, theme.dim())).trimEnd();
	});
	const share = heat.viewSamples > 0 ? (heat.samples / heat.viewSamples) * 100 : 0;
	const where = shortenPath(state.filename, Math.max(20, Math.floor(width / 2)));
	const title = `${shownName(state.funcname)}  ${where} │ ${formatCount(heat.samples)} samples (${formatPercent(share)}%)${text ? '' : ' │ source not readable: line numbers only'} · Esc back`;
	const heading = `  ${fit('line', numberWidth, 'right')} ${fit('self', countWidth, 'right')} ${fit('total', countWidth, 'right')} ${fit('', barWidth)}  code`;
	const body = (
		<Box flexDirection='column'>
			<RawLines lines={[paint(fit(title, width - 1), theme.title()), paint(fit(heading, width - 1), theme.heading(false))]} width={width - 1} />
			{lines.length === 0
				? <RawLines lines={[paint(fit('  (no samples of this function in this view)', width - 1), theme.dim())]} width={width - 1} />
				: <RawLines lines={lines} width={width - 1} />}
		</Box>
	);
	if (opcodeRows === 0) {
		return body;
	}

	return (
		<>
			<Box flexDirection='column' flexGrow={1}>{body}</Box>
			<OpcodePanel func={{filename: state.filename, funcname: `${state.funcname} line ${selected}`}} mix={store.lineOpcodes(state.filename, state.funcname, selected)} rows={opcodeRows} width={width} />
		</>
	);
}
