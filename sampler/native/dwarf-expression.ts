// The DWARF expression stack machine (DWARF 5 §2.5), as far as call-frame information uses it:
// glibc's PLT entries compute their CFA from rsp and rip, signal trampolines find the saved
// context through rsp. BigInt arithmetic: these run only on such rows, and bitwise operators
// on numbers would cut values to 32 bits.
import {DwarfCursor, DwarfError} from './dwarf-cursor.js';

export type ExpressionContext = {
	/** The value of DWARF register `register` in the frame being unwound. */
	register(register: number): number;
	/** The 8 bytes at `address` in the target (size 1, 2, 4 or 8 for deref_size). */
	read(address: number, size: number): number;
};

const mask64 = (1n << 64n) - 1n;

function signed(value: bigint): bigint {
	return BigInt.asIntN(64, value);
}

/** Evaluates `expression` with `initial` pushed first (the CFA, for register rules); returns the top of the stack. */
export function evaluate(expression: Buffer, context: ExpressionContext, initial?: number): number {
	const stack: bigint[] = initial === undefined ? [] : [BigInt(initial)];
	const cursor = new DwarfCursor(expression);
	const pop = (): bigint => {
		const value = stack.pop();
		if (value === undefined) {
			throw new DwarfError('DWARF expression popped an empty stack');
		}

		return value;
	};

	const push = (value: bigint) => {
		stack.push(value & mask64);
	};

	let steps = 0;
	while (!cursor.atEnd) {
		if (++steps > 1000) {
			throw new DwarfError('DWARF expression does not end');
		}

		const op = cursor.u8();
		if (op >= 0x30 && op <= 0x4F) { // lit0..lit31
			push(BigInt(op - 0x30));
			continue;
		}

		if (op >= 0x70 && op <= 0x8F) { // breg0..breg31
			push(BigInt(context.register(op - 0x70)) + BigInt(cursor.sleb()));
			continue;
		}

		if (op >= 0x50 && op <= 0x6F) { // reg0..reg31: the register's value itself
			push(BigInt(context.register(op - 0x50)));
			continue;
		}

		switch (op) {
			case 0x03: { // addr
				push(BigInt(cursor.u64()));
				break;
			}

			case 0x06: { // deref
				push(BigInt(context.read(Number(pop()), 8)));
				break;
			}

			case 0x08: {
				push(BigInt(cursor.u8()));
				break;
			}

			case 0x09: {
				push(BigInt(cursor.i8()));
				break;
			}

			case 0x0A: {
				push(BigInt(cursor.u16()));
				break;
			}

			case 0x0B: {
				push(BigInt(cursor.i16()));
				break;
			}

			case 0x0C: {
				push(BigInt(cursor.u32()));
				break;
			}

			case 0x0D: {
				push(BigInt(cursor.i32()));
				break;
			}

			case 0x0E: {
				push(BigInt(cursor.u64()));
				break;
			}

			case 0x0F: {
				push(BigInt(cursor.i64()));
				break;
			}

			case 0x10: { // constu
				push(BigInt(cursor.uleb()));
				break;
			}

			case 0x11: { // consts
				push(BigInt(cursor.sleb()));
				break;
			}

			case 0x12: { // dup
				const top = pop();
				stack.push(top, top);
				break;
			}

			case 0x13: { // drop
				pop();
				break;
			}

			case 0x14: { // over
				const value = stack.at(-2);
				if (value === undefined) {
					throw new DwarfError('DWARF expression: over on a short stack');
				}

				stack.push(value);
				break;
			}

			case 0x15: { // pick
				const value = stack.at(-1 - cursor.u8());
				if (value === undefined) {
					throw new DwarfError('DWARF expression: pick past the stack');
				}

				stack.push(value);
				break;
			}

			case 0x16: { // swap
				const a = pop();
				const b = pop();
				stack.push(a, b);
				break;
			}

			case 0x17: { // rot
				const a = pop();
				const b = pop();
				const c = pop();
				stack.push(a, c, b);
				break;
			}

			case 0x19: { // abs
				const value = signed(pop());
				push(value < 0n ? -value : value);
				break;
			}

			case 0x1F: { // neg
				push(-signed(pop()));
				break;
			}

			case 0x20: { // not
				push(~pop());
				break;
			}

			case 0x23: { // plus_uconst
				push(pop() + BigInt(cursor.uleb()));
				break;
			}

			case 0x28: { // bra
				const offset = cursor.i16();
				if (pop() !== 0n) {
					cursor.offset += offset;
				}

				break;
			}

			case 0x2F: { // skip
				const offset = cursor.i16();
				cursor.offset += offset;
				break;
			}

			case 0x90: { // regx
				push(BigInt(context.register(cursor.uleb())));
				break;
			}

			case 0x92: { // bregx
				const register = cursor.uleb();
				push(BigInt(context.register(register)) + BigInt(cursor.sleb()));
				break;
			}

			case 0x94: { // deref_size
				const size = cursor.u8();
				push(BigInt(context.read(Number(pop()), size)));
				break;
			}

			case 0x96: { // nop
				break;
			}

			default: {
				if (op >= 0x1A && op <= 0x2E) {
					binary(op, stack, pop, push);
					break;
				}

				throw new DwarfError(`unsupported DWARF expression operation 0x${op.toString(16)}`);
			}
		}
	}

	const result = stack.pop();
	if (result === undefined) {
		throw new DwarfError('DWARF expression left nothing on the stack');
	}

	return Number(result & mask64);
}

/** The two-operand operations: and, div, minus, mod, mul, or, plus, shl, shr, shra, xor, and the comparisons. */
function binary(op: number, stack: bigint[], pop: () => bigint, push: (value: bigint) => void): void {
	void stack;
	const b = pop();
	const a = pop();
	switch (op) {
		case 0x1A: {
			push(a & b);
			break;
		}

		case 0x1B: {
			if (b === 0n) {
				throw new DwarfError('DWARF expression divides by zero');
			}

			push(signed(a) / signed(b));
			break;
		}

		case 0x1C: {
			push(a - b);
			break;
		}

		case 0x1D: {
			if (b === 0n) {
				throw new DwarfError('DWARF expression divides by zero');
			}

			push(a % b);
			break;
		}

		case 0x1E: {
			push(a * b);
			break;
		}

		case 0x21: {
			push(a | b);
			break;
		}

		case 0x22: {
			push(a + b);
			break;
		}

		case 0x24: {
			push(a << (b & 63n));
			break;
		}

		case 0x25: {
			push(a >> (b & 63n));
			break;
		}

		case 0x26: {
			push(signed(a) >> (b & 63n));
			break;
		}

		case 0x27: {
			push(a ^ b);
			break;
		}

		default: {
			// eq, ge, gt, le, lt, ne (0x29–0x2e) compare as signed values.
			const x = signed(a);
			const y = signed(b);
			const result = [x === y, x >= y, x > y, x <= y, x < y, x !== y][op - 0x29];
			if (result === undefined) {
				throw new DwarfError(`unsupported DWARF expression operation 0x${op.toString(16)}`);
			}

			push(result ? 1n : 0n);
		}
	}
}
