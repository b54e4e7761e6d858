// Decodes a code object's line table into the source position of an instruction: CPython
// 3.11+'s location table (co_linetable, PEP 626/657, the same format in 3.11–3.15), 3.10's
// line table (co_linetable: byte ranges and line deltas) and 3.8/3.9's co_lnotab. The older
// two know lines only, no columns.

export type Location = {
	line: number;
	endLine: number;
	/** Columns are UTF-8 byte offsets, as CPython stores them; -1 when unknown. */
	col: number;
	endCol: number;
};

export const noLocation: Readonly<Location> = {line: -1, endLine: -1, col: -1, endCol: -1};

/**
 * The location of the instruction at code-unit index `addrq`. `firstLine` is co_firstlineno.
 * Returns noLocation where the table says the instruction has none, or ends before it.
 *
 * A negative index is a frame that has not started: 3.11 and 3.12 push a frame with its
 * prev_instr one unit before the first instruction, and a sample can catch it there (a call
 * just made, a thread about to run its first line). CPython itself gives such a frame the
 * line of its `def` (PyCode_Addr2Line returns co_firstlineno for addrq < 0; f_lineno says
 * the same), and so do we, rather than no line at all (rows at line 0).
 */
export function locationOf(table: Uint8Array, firstLine: number, addrq: number): Location {
	if (addrq < 0) {
		return {line: firstLine, endLine: firstLine, col: -1, endCol: -1};
	}

	let index = 0;
	let line = firstLine;
	let address = 0;
	const varint = () => {
		let byte = table[index++] ?? 0;
		let value = byte & 63;
		let shift = 0;
		while (byte & 64) {
			byte = table[index++] ?? 0;
			shift += 6;
			value |= (byte & 63) << shift;
		}

		return value;
	};

	const signedVarint = () => {
		const value = varint();
		return value & 1 ? -(value >>> 1) : value >>> 1;
	};

	while (index < table.length) {
		const head = table[index++]!;
		const code = (head >> 3) & 15;
		const length = (head & 7) + 1;
		let result: Location | undefined;
		switch (code) {
			case 15: { // No location.
				result = noLocation;
				break;
			}

			case 14: { // Long form.
				line += signedVarint();
				const endLine = line + varint();
				const col = varint() - 1;
				const endCol = varint() - 1;
				result = {line, endLine, col, endCol};
				break;
			}

			case 13: { // Line only.
				line += signedVarint();
				result = {line, endLine: line, col: -1, endCol: -1};
				break;
			}

			case 10:
			case 11:
			case 12: { // One line, with columns.
				line += code - 10;
				const col = table[index++] ?? 0;
				const endCol = table[index++] ?? 0;
				result = {line, endLine: line, col, endCol};
				break;
			}

			default: { // Short form: same line, columns packed.
				const second = table[index++] ?? 0;
				const col = (code * 8) + (second >> 4);
				result = {line, endLine: line, col, endCol: col + (second & 15)};
			}
		}

		if (addrq >= address && addrq < address + length) {
			return result;
		}

		address += length;
	}

	return noLocation;
}

function lineOnly(line: number): Location {
	return line < 0 ? noLocation : {line, endLine: line, col: -1, endCol: -1};
}

/**
 * 3.8/3.9's co_lnotab: (bytecode offset increment, signed line increment) pairs, as
 * PyCode_Addr2Line reads them. `offset` is in bytes; before the first instruction the line is
 * co_firstlineno.
 */
export function lineFromLnotab(table: Uint8Array, firstLine: number, offset: number): Location {
	let line = firstLine;
	let address = 0;
	for (let index = 0; index + 1 < table.length; index += 2) {
		address += table[index]!;
		if (address > offset) {
			break;
		}

		line += (table[index + 1]! << 24) >> 24;
	}

	return lineOnly(line);
}

/**
 * 3.10's co_linetable: (byte range length, signed line delta) pairs, a delta of -128 meaning
 * "no line", read as _PyCode_CheckLineNumber does. `offset` is in bytes; before the first
 * instruction the line is co_firstlineno.
 */
export function lineFrom310Table(table: Uint8Array, firstLine: number, offset: number): Location {
	if (offset < 0) {
		return lineOnly(firstLine);
	}

	let line = firstLine;
	let end = 0;
	for (let index = 0; index + 1 < table.length; index += 2) {
		end += table[index]!;
		const delta = (table[index + 1]! << 24) >> 24;
		let rangeLine = -1;
		if (delta !== -128) {
			line += delta;
			rangeLine = line;
		}

		if (offset < end) {
			return lineOnly(rangeLine);
		}
	}

	return noLocation;
}
