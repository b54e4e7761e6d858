// DWARF call-frame information (.eh_frame, .debug_frame): finds the FDE that covers an
// address and runs its CIE's and its own instructions up to that address, giving the row of
// the unwind table there: how to compute the canonical frame address (CFA) and where each
// register of the caller was saved. Written from the DWARF 5 specification (§6.4) and the
// LSB's .eh_frame description; rows are cached by the unwinder, so this runs once per address.
import {DwarfCursor, DwarfError, PointerEncoding} from './dwarf-cursor.js';

/** How a register of the caller is recovered (DWARF §6.4.1 register rules). */
export const RuleKind = {
	/** Not recoverable (DW_CFA_undefined): on the return address column, the outermost frame. */
	undefined: 0,
	/** Unchanged by the callee: also the rule of every column no instruction mentions. */
	sameValue: 1,
	/** Saved at CFA + value. */
	offset: 2,
	/** Is CFA + value. */
	valOffset: 3,
	/** Held in register number `value`. */
	register: 4,
	/** Saved at the address a DWARF expression computes (pushing the CFA first). */
	expression: 5,
	/** Is the value a DWARF expression computes. */
	valExpression: 6,
} as const;

/** Register columns tracked: x86-64 uses 0–16 (16 is the return address), aarch64 0–32. */
export const maxColumns = 33;

export type CfaRule =
	| {readonly kind: 'register'; readonly register: number; readonly offset: number}
	| {readonly kind: 'expression'; readonly expression: Buffer};

/** One row of the unwind table: the rules in force at an address. */
export type UnwindRow = {
	readonly cfa: CfaRule;
	readonly kinds: Int8Array;
	readonly values: Float64Array;
	/** Expression bytes for the columns whose rule is an expression. */
	readonly expressions: ReadonlyMap<number, Buffer>;
	readonly returnAddressColumn: number;
	/** A signal trampoline's frame ('S' augmentation): its return address is not after a call. */
	readonly signalFrame: boolean;
	/** Start of the function (FDE's initial location), file virtual address. */
	readonly functionStart: number;
};

type Cie = {
	readonly codeAlign: number;
	readonly dataAlign: number;
	readonly returnAddressColumn: number;
	readonly fdeEncoding: number;
	readonly signalFrame: boolean;
	readonly addressSize: number;
	readonly instructionsStart: number;
	readonly instructionsEnd: number;
};

export type Fde = {
	readonly cie: Cie;
	readonly start: number;
	readonly end: number;
	readonly instructionsStart: number;
	readonly instructionsEnd: number;
};

/** One section of call-frame information: .eh_frame (GNU form) or .debug_frame (DWARF form). */
export class CfiSection {
	readonly data: Buffer;
	/** Where the section's first byte is loaded (0 for .debug_frame from a debug file). */
	readonly address: number;
	readonly isEhFrame: boolean;
	private readonly cies = new Map<number, Cie>();
	/** Sorted FDE start addresses and the offsets of those FDEs, built on first need. */
	private index: {starts: Float64Array; offsets: Float64Array} | undefined;

	constructor(data: Buffer, address: number, isEhFrame: boolean) {
		this.data = data;
		this.address = address;
		this.isEhFrame = isEhFrame;
	}

	/** The FDE that starts at section offset `offset`. */
	fdeAt(offset: number): Fde | undefined {
		const entry = this.entryAt(offset);
		return entry?.kind === 'fde' ? entry.fde : undefined;
	}

	/** The FDE covering `address`, found by scanning the whole section once (no .eh_frame_hdr). */
	findFde(address: number): Fde | undefined {
		const index = this.index ?? (this.index = this.buildIndex());
		const {starts, offsets} = index;
		let low = 0;
		let high = starts.length - 1;
		let found = -1;
		while (low <= high) {
			const middle = (low + high) >>> 1;
			if (starts[middle]! <= address) {
				found = middle;
				low = middle + 1;
			} else {
				high = middle - 1;
			}
		}

		// Ranges may nest (rare) or leave gaps: check the candidate and a few before it.
		for (let candidate = found; candidate >= 0 && candidate > found - 4; candidate--) {
			const fde = this.fdeAt(offsets[candidate]!);
			if (fde && address >= fde.start && address < fde.end) {
				return fde;
			}
		}

		return undefined;
	}

	private buildIndex(): {starts: Float64Array; offsets: Float64Array} {
		const found: Array<{start: number; offset: number}> = [];
		let offset = 0;
		while (offset + 4 <= this.data.length) {
			let entry: ReturnType<CfiSection['entryAt']>;
			try {
				entry = this.entryAt(offset);
			} catch (error) {
				if (error instanceof DwarfError) {
					break;
				}

				throw error;
			}

			if (!entry) {
				break;
			}

			if (entry.kind === 'fde' && entry.fde.end > entry.fde.start) {
				found.push({start: entry.fde.start, offset});
			}

			offset = entry.next;
		}

		found.sort((a, b) => a.start - b.start);
		return {starts: Float64Array.from(found, entry => entry.start), offsets: Float64Array.from(found, entry => entry.offset)};
	}

	/** Parses the entry (CIE or FDE) at `offset`; undefined at a zero terminator. */
	private entryAt(offset: number): {kind: 'cie'; next: number} | {kind: 'fde'; fde: Fde; next: number} | undefined {
		const cursor = new DwarfCursor(this.data, offset, this.address);
		let length = cursor.u32();
		if (length === 0) {
			return undefined;
		}

		const is64 = length === 0xFF_FF_FF_FF;
		if (is64) {
			length = cursor.u64();
		}

		const contentStart = cursor.offset;
		const next = contentStart + length;
		if (next > this.data.length) {
			throw new DwarfError('call-frame entry runs past its section');
		}

		const idAt = cursor.offset;
		const id = is64 ? cursor.u64() : cursor.u32();
		// A CIE's id is 0 in .eh_frame, all ones in .debug_frame (2^64 − 1 rounds to 2^64 as a number).
		const isCie = this.isEhFrame ? id === 0 : (is64 ? id === 2 ** 64 : id === 0xFF_FF_FF_FF);
		if (isCie) {
			return {kind: 'cie', next};
		}

		const cieOffset = this.isEhFrame ? idAt - id : id;
		const cie = this.cieAt(cieOffset);
		cursor.dataBase = 0;
		const start = this.isEhFrame ? cursor.pointer(cie.fdeEncoding) : readAddress(cursor, cie.addressSize);
		// The range is an unsigned value of the same format, never relative to anything.
		const range = this.isEhFrame ? cursor.pointer(cie.fdeEncoding & 0x0F) : readAddress(cursor, cie.addressSize);
		if (this.isEhFrame && cieHasAugmentationData(this.data, cieOffset)) {
			const skip = cursor.uleb();
			cursor.offset += skip;
		}

		return {kind: 'fde', next, fde: {cie, start, end: start + range, instructionsStart: cursor.offset, instructionsEnd: next}};
	}

	private cieAt(offset: number): Cie {
		let cie = this.cies.get(offset);
		if (cie) {
			return cie;
		}

		const cursor = new DwarfCursor(this.data, offset, this.address);
		let length = cursor.u32();
		if (length === 0xFF_FF_FF_FF) {
			length = cursor.u64();
			cursor.u64();
		} else {
			cursor.u32();
		}

		const entryEnd = offset + 4 + length + (this.data.readUInt32LE(offset) === 0xFF_FF_FF_FF ? 8 : 0);
		const version = cursor.u8();
		const augmentation = cursor.string();
		let addressSize = 8;
		if (!this.isEhFrame && version >= 4) {
			addressSize = cursor.u8();
			cursor.u8(); // segment selector size
		}

		if (augmentation.includes('eh')) {
			cursor.offset += 8; // A pre-2.0 GCC's eh_ptr: not seen on modern systems.
		}

		const codeAlign = cursor.uleb();
		const dataAlign = cursor.sleb();
		const returnAddressColumn = version === 1 ? cursor.u8() : cursor.uleb();
		let fdeEncoding: number = PointerEncoding.absptr;
		let signalFrame = false;
		if (augmentation.startsWith('z')) {
			const dataLength = cursor.uleb();
			const dataEnd = cursor.offset + dataLength;
			for (const letter of augmentation.slice(1)) {
				if (letter === 'R') {
					fdeEncoding = cursor.u8();
				} else if (letter === 'P') {
					const encoding = cursor.u8();
					cursor.pointer(encoding & 0x7F);
				} else if (letter === 'L') {
					cursor.u8();
				} else if (letter === 'S') {
					signalFrame = true;
				}
				// 'B' (aarch64 BTI) and 'G' (MTE) carry no data.
			}

			cursor.offset = dataEnd;
		}

		cie = {codeAlign, dataAlign, returnAddressColumn, fdeEncoding, signalFrame, addressSize, instructionsStart: cursor.offset, instructionsEnd: entryEnd};
		this.cies.set(offset, cie);
		return cie;
	}
}

function readAddress(cursor: DwarfCursor, size: number): number {
	return size === 4 ? cursor.u32() : cursor.u64();
}

/** Whether the CIE at `offset` has a 'z' augmentation (its FDEs then carry augmentation data). */
function cieHasAugmentationData(data: Buffer, offset: number): boolean {
	const idSize = data.readUInt32LE(offset) === 0xFF_FF_FF_FF ? 20 : 8;
	return data[offset + idSize + 1] === 0x7A; // version byte, then the augmentation string: 'z'
}

/** Mutable row state while running instructions. */
class RowState {
	cfaRegister = 0;
	cfaOffset = 0;
	cfaExpression: Buffer | undefined;
	readonly kinds = new Int8Array(maxColumns).fill(RuleKind.sameValue);
	readonly values = new Float64Array(maxColumns);
	readonly expressions = new Map<number, Buffer>();

	copyFrom(other: RowState): void {
		this.cfaRegister = other.cfaRegister;
		this.cfaOffset = other.cfaOffset;
		this.cfaExpression = other.cfaExpression;
		this.kinds.set(other.kinds);
		this.values.set(other.values);
		this.expressions.clear();
		for (const [column, expression] of other.expressions) {
			this.expressions.set(column, expression);
		}
	}

	clone(): RowState {
		const copy = new RowState();
		copy.copyFrom(this);
		return copy;
	}

	set(column: number, kind: number, value: number, expression?: Buffer): void {
		if (column >= maxColumns) {
			return; // Vector registers and the like: never needed to find a caller.
		}

		this.kinds[column] = kind;
		this.values[column] = value;
		if (expression) {
			this.expressions.set(column, expression);
		} else {
			this.expressions.delete(column);
		}
	}
}

/** The unwind row of `fde` in force at `address` (a file virtual address inside the FDE). */
export function rowAt(section: CfiSection, fde: Fde, address: number): UnwindRow {
	const {cie} = fde;
	const state = new RowState();
	run(section, cie, cie.instructionsStart, cie.instructionsEnd, state, undefined, Number.POSITIVE_INFINITY, fde.start);
	const initial = state.clone();
	run(section, cie, fde.instructionsStart, fde.instructionsEnd, state, initial, address, fde.start);
	return {
		cfa: state.cfaExpression ? {kind: 'expression', expression: state.cfaExpression} : {kind: 'register', register: state.cfaRegister, offset: state.cfaOffset},
		kinds: state.kinds,
		values: state.values,
		expressions: state.expressions,
		returnAddressColumn: cie.returnAddressColumn,
		signalFrame: cie.signalFrame,
		functionStart: fde.start,
	};
}

function run(section: CfiSection, cie: Cie, start: number, end: number, state: RowState, initial: RowState | undefined, target: number, functionStart: number): void {
	const cursor = new DwarfCursor(section.data.subarray(0, end), start, section.address);
	const stack: RowState[] = [];
	let location = functionStart;
	const {codeAlign, dataAlign} = cie;
	const restore = (column: number) => {
		if (column < maxColumns) {
			state.set(column, initial ? initial.kinds[column]! : RuleKind.sameValue, initial ? initial.values[column]! : 0, initial?.expressions.get(column));
		}
	};

	const block = () => {
		const length = cursor.uleb();
		const bytes = section.data.subarray(cursor.offset, cursor.offset + length);
		cursor.offset += length;
		return bytes;
	};

	while (cursor.offset < end) {
		const opcode = cursor.u8();
		const high = opcode & 0xC0;
		const low = opcode & 0x3F;
		if (high === 0x40) { // DW_CFA_advance_loc
			location += low * codeAlign;
			if (location > target) {
				return;
			}

			continue;
		}

		if (high === 0x80) { // DW_CFA_offset
			state.set(low, RuleKind.offset, cursor.uleb() * dataAlign);
			continue;
		}

		if (high === 0xC0) { // DW_CFA_restore
			restore(low);
			continue;
		}

		switch (opcode) {
			case 0x00: { // nop
				break;
			}

			case 0x01: { // set_loc
				location = section.isEhFrame ? cursor.pointer(cie.fdeEncoding) : readAddress(cursor, cie.addressSize);
				if (location > target) {
					return;
				}

				break;
			}

			case 0x02:
			case 0x03:
			case 0x04: { // advance_loc1/2/4
				const delta = opcode === 0x02 ? cursor.u8() : (opcode === 0x03 ? cursor.u16() : cursor.u32());
				location += delta * codeAlign;
				if (location > target) {
					return;
				}

				break;
			}

			case 0x05: { // offset_extended
				const column = cursor.uleb();
				state.set(column, RuleKind.offset, cursor.uleb() * dataAlign);
				break;
			}

			case 0x06: { // restore_extended
				restore(cursor.uleb());
				break;
			}

			case 0x07: { // undefined
				state.set(cursor.uleb(), RuleKind.undefined, 0);
				break;
			}

			case 0x08: { // same_value
				state.set(cursor.uleb(), RuleKind.sameValue, 0);
				break;
			}

			case 0x09: { // register
				const column = cursor.uleb();
				state.set(column, RuleKind.register, cursor.uleb());
				break;
			}

			case 0x0A: { // remember_state
				stack.push(state.clone());
				break;
			}

			case 0x0B: { // restore_state
				const saved = stack.pop();
				if (saved) {
					// The CFA rule comes back with the register rules, as GCC's epilogues expect.
					state.copyFrom(saved);
				}

				break;
			}

			case 0x0C: { // def_cfa
				state.cfaRegister = cursor.uleb();
				state.cfaOffset = cursor.uleb();
				state.cfaExpression = undefined;
				break;
			}

			case 0x0D: { // def_cfa_register
				state.cfaRegister = cursor.uleb();
				state.cfaExpression = undefined;
				break;
			}

			case 0x0E: { // def_cfa_offset
				state.cfaOffset = cursor.uleb();
				break;
			}

			case 0x0F: { // def_cfa_expression
				state.cfaExpression = block();
				break;
			}

			case 0x10: { // expression
				const column = cursor.uleb();
				state.set(column, RuleKind.expression, 0, block());
				break;
			}

			case 0x11: { // offset_extended_sf
				const column = cursor.uleb();
				state.set(column, RuleKind.offset, cursor.sleb() * dataAlign);
				break;
			}

			case 0x12: { // def_cfa_sf
				state.cfaRegister = cursor.uleb();
				state.cfaOffset = cursor.sleb() * dataAlign;
				state.cfaExpression = undefined;
				break;
			}

			case 0x13: { // def_cfa_offset_sf
				state.cfaOffset = cursor.sleb() * dataAlign;
				break;
			}

			case 0x14: { // val_offset
				const column = cursor.uleb();
				state.set(column, RuleKind.valOffset, cursor.uleb() * dataAlign);
				break;
			}

			case 0x15: { // val_offset_sf
				const column = cursor.uleb();
				state.set(column, RuleKind.valOffset, cursor.sleb() * dataAlign);
				break;
			}

			case 0x16: { // val_expression
				const column = cursor.uleb();
				state.set(column, RuleKind.valExpression, 0, block());
				break;
			}

			case 0x2D: { // GNU_window_save / AARCH64_negate_ra_state: no rule change we track
				break;
			}

			case 0x2E: { // GNU_args_size
				cursor.uleb();
				break;
			}

			case 0x2F: { // GNU_negative_offset_extended
				const column = cursor.uleb();
				state.set(column, RuleKind.offset, -cursor.uleb() * dataAlign);
				break;
			}

			default: {
				throw new DwarfError(`unknown call-frame instruction 0x${opcode.toString(16)}`);
			}
		}
	}
}
