// --opcodes: under the table, the selected function's opcode mix (all its lines): which
// instructions its samples stood on, specialised ones marked, as Tachyon's live view shows.
// Every cell is a pre-fitted string from a bounded set (bars of 21 shapes, percentages with
// one decimal), because Ink caches every text it measures and never evicts.
import path from 'node:path';
import {Box, Text} from 'ink';
import {formatOpcode, isSpecialized} from '../sampler/opcodes.js';
import type {OpcodeMix} from '../live/live-store.js';
import {fit, formatCount, formatPercent} from './format.js';
import {theme} from './theme.js';

/** Opcode rows shown at most. */
export const maxOpcodeRows = 8;
const barWidth = 20;
/** NAME (BASE) at most this wide, so the share stays next to the name on a wide terminal. */
const maxNameWidth = 48;

/** Lines the panel takes with `rows` opcode rows: a title, the rows, and the "… and N more" line. */
export function opcodePanelHeight(rows: number): number {
	return rows + 2;
}

export type OpcodePanelProps = {
	/** The selected function, or undefined when the table is empty. */
	readonly func: {readonly filename: string; readonly funcname: string} | undefined;
	readonly mix: OpcodeMix | undefined;
	/** Opcode rows that fit (at most maxOpcodeRows). */
	readonly rows: number;
	readonly width: number;
};

/** A share as a bar of whole cells, `██████░░░░…` (21 shapes). */
function bar(share: number): string {
	const filled = Math.round(Math.min(1, Math.max(0, share)) * barWidth);
	return '█'.repeat(filled) + '░'.repeat(barWidth - filled);
}

export function OpcodePanel({func, mix, rows, width}: OpcodePanelProps) {
	const name = func ? `${func.funcname}() (${path.basename(func.filename)})` : '(no function selected)';
	const title = `─── Opcodes for ${name} ───`;
	const counted = mix && mix.total > 0 ? ` │ ${formatCount(mix.total)} samples │ * specialised` : '';
	const shown = mix ? mix.counts.slice(0, rows) : [];
	const more = mix ? mix.counts.length - shown.length : 0;
	// NAME (BASE) gets what the bar, the percentage, the count and the gaps leave.
	const nameWidth = Math.min(maxNameWidth, Math.max(10, width - 1 - (1 + barWidth + 1 + 2 + 1 + 6 + 1 + 10)));
	return (
		<Box flexDirection='column'>
			<Box>
				<Text {...theme.title()}>{fit(title, Math.min(title.length, Math.max(0, width - 1 - counted.length)))}</Text>
				<Text {...theme.dim()}>{counted}</Text>
			</Box>
			{shown.length === 0
				? <Text {...theme.dim()}>{fit(mix && mix.version !== '?' ? ' (no opcode samples for this function in this view yet)' : ' (waiting for samples)', width - 1)}</Text>
				: undefined}
			{shown.map(entry => {
				const share = entry.samples / mix!.total;
				const specialised = isSpecialized(mix!.version, entry.opcode);
				return (
					<Box key={entry.opcode}>
						<Text>{' '}</Text>
						<Text {...(specialised ? theme.match() : theme.dim())}>{bar(share)}</Text>
						<Text>{' '}</Text>
						<Text {...(specialised ? theme.match() : {})}>{specialised ? '* ' : '  '}</Text>
						<Text>{fit(formatOpcode(mix!.version, entry.opcode), nameWidth)}</Text>
						<Text>{fit(`${formatPercent(share * 100)}%`, 7, 'right')}</Text>
						<Text {...theme.dim()}>{fit(`(${formatCount(entry.samples)})`, 11, 'right')}</Text>
					</Box>
				);
			})}
			{more > 0 ? <Text {...theme.dim()}>{fit(` … and ${more} more opcodes`, width - 1)}</Text> : undefined}
		</Box>
	);
}
