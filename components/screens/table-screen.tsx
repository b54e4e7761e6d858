// The live view's main screen: the function table, with the opcode panel (--opcodes) under
// it when the terminal leaves room.
import {Box} from 'ink';
import type {LiveSnapshot, LiveStore} from '../../live/live-store.js';
import {FunctionTable} from '../function-table/function-table.js';
import {maxOpcodeRows, OpcodePanel, opcodePanelHeight} from '../opcode-panel.js';

/** The opcode panel is left out rather than squeeze the table below this many rows. */
const minTableRows = 5;

/** Rows of the table and of the opcode panel in `height` lines (the table's heading not counted). */
export function tableLayout(snapshot: LiveSnapshot, height: number): {tableRows: number; opcodeRows: number} {
	// The table's heading takes a line.
	const opcodeRows = snapshot.opcodes ? Math.min(maxOpcodeRows, height - 1 - opcodePanelHeight(0) - minTableRows) : 0;
	const panel = opcodeRows > 0 ? opcodePanelHeight(opcodeRows) : 0;
	return {tableRows: Math.max(1, height - 1 - panel), opcodeRows: Math.max(0, opcodeRows)};
}

export type TableScreenProps = {
	readonly store: LiveStore;
	readonly snapshot: LiveSnapshot;
	readonly selected: number;
	readonly width: number;
	/** Lines for the whole screen. */
	readonly height: number;
};

export function TableScreen({store, snapshot, selected, width, height}: TableScreenProps) {
	const {tableRows, opcodeRows} = tableLayout(snapshot, height);
	const table = <FunctionTable rows={snapshot.rows} totalSamples={snapshot.totalSamples} sort={snapshot.sort} lines={snapshot.lines} selected={selected} height={tableRows} width={width} />;
	if (opcodeRows === 0) {
		return table;
	}

	const row = snapshot.rows[selected];
	return (
		<>
			<Box flexDirection='column' flexGrow={1}>{table}</Box>
			<OpcodePanel func={row} mix={row ? store.opcodeMix(row.filename, row.funcname) : undefined} rows={opcodeRows} width={width} />
		</>
	);
}
