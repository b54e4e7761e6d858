// Unwinds a stopped thread's native stack: from its registers, frame by frame, each caller's
// registers are recovered with the CFI row of the function the frame is in (DWARF CFA rules),
// reading the stack through one process_vm_readv of its hot part. Where no CFI covers an
// address (JIT code, a file we cannot read) it falls back to the frame-pointer chain.
//
// Per frame it records the program counter, the stack pointer in that frame and the frame's
// CFA, so [sp, cfa) is the frame's own stack: merge.ts finds the interpreter's eval calls by
// what lives there.
import {RemoteMemory, TornReadError} from '../remote-memory.js';
import {RuleKind, type UnwindRow} from './cfi.js';
import {DwarfError} from './dwarf-cursor.js';
import {evaluate, type ExpressionContext} from './dwarf-expression.js';
import type {AddressSpace, MappedModule} from './address-space.js';
import type {Arch} from './registers.js';

export const maxNativeFrames = 1024;
/** The stack read at first and then in steps of this much, up to the end of its mapping. */
const windowStep = 32 << 10;
/** The most stack read per thread and sample. */
const maxWindow = 4 << 20;
const twoTo32 = 4_294_967_296;

export class StackUnwinder {
	readonly space: AddressSpace;
	readonly arch: Arch;
	private readonly memory: RemoteMemory;
	/** Per frame, innermost first: program counter, stack pointer, CFA (Infinity if unknown). */
	readonly pcs = new Float64Array(maxNativeFrames);
	readonly sps = new Float64Array(maxNativeFrames);
	readonly cfas = new Float64Array(maxNativeFrames);
	/** The address looked up for the frame (pc, or pc − 1 after a call), as a file address, and its module. */
	readonly lookups = new Float64Array(maxNativeFrames);
	readonly modules: Array<MappedModule | undefined> = [];
	/** The start of the frame's function where CFI tells it (file address), else -1. */
	readonly functionStarts = new Float64Array(maxNativeFrames);
	count = 0;
	/** Frames found by the frame-pointer fallback, and walks cut short by an unreadable stack or bad CFI. */
	framePointerFrames = 0;
	truncated = 0;
	private readonly registers: Float64Array;
	private readonly next: Float64Array;
	private readonly known: Uint8Array;
	private readonly nextKnown: Uint8Array;
	// The stack copy: [windowStart, windowEnd) of the target is at scratch[0, …).
	private windowStart = 0;
	private windowEnd = 0;
	private stackEnd = 0;
	/** Per thread: its stack mapping and how much of it the last walk needed. */
	private readonly stacks = new Map<number, {start: number; end: number; used: number}>();
	private readonly context: ExpressionContext;

	constructor(space: AddressSpace, arch: Arch) {
		this.space = space;
		this.arch = arch;
		this.memory = new RemoteMemory(space.pid, maxWindow + 4096);
		this.registers = new Float64Array(arch.registerCount);
		this.next = new Float64Array(arch.registerCount);
		this.known = new Uint8Array(arch.registerCount);
		this.nextKnown = new Uint8Array(arch.registerCount);
		this.context = {
			register: register => {
				if (register >= this.arch.registerCount || this.known[register] === 0) {
					throw new DwarfError(`register ${register} is not known here`);
				}

				return this.registers[register]!;
			},
			read: (address, size) => this.read(address, size),
		};
	}

	/** Stops tracking a thread that ended. */
	forget(tid: number): void {
		this.stacks.delete(tid);
	}

	/** Reads the registers of stopped thread `tid` and unwinds its stack; returns the frame count (0 if unreadable). */
	unwind(tid: number): number {
		this.count = 0;
		this.windowStart = 0;
		this.windowEnd = 0;
		this.stackEnd = 0;
		if (this.arch.read(tid, this.registers) === undefined) {
			return 0;
		}

		this.known.fill(1);
		return this.walk(tid);
	}

	/** Unwinds from registers already in place (tests drive this with registers they read). */
	unwindFrom(tid: number, registers: Float64Array): number {
		this.registers.set(registers);
		this.known.fill(1);
		return this.walk(tid);
	}

	private walk(tid: number): number {
		const {arch} = this;
		const sp = this.registers[arch.stackPointer]!;
		this.count = 0;
		if (!this.loadStack(tid, sp)) {
			this.truncated++;
			return 0;
		}

		let pc = this.registers[arch.returnAddress]!;
		let afterCall = false;
		let deepest = sp;
		try {
			while (this.count < maxNativeFrames && pc >= 4096) {
				const index = this.count++;
				const currentSp = this.registers[arch.stackPointer]!;
				const lookup: number = afterCall ? pc - 1 : pc;
				const mapped = this.space.find(lookup);
				this.pcs[index] = pc;
				this.sps[index] = currentSp;
				this.cfas[index] = Number.POSITIVE_INFINITY;
				this.modules[index] = mapped;
				this.lookups[index] = mapped ? lookup - mapped.bias : lookup;
				this.functionStarts[index] = -1;
				const row: UnwindRow | undefined = mapped?.module.row(lookup - mapped.bias);
				let cfa: number | undefined;
				let signal = false;
				if (row) {
					this.functionStarts[index] = row.functionStart;
					cfa = this.applyRow(row);
					signal = row.signalFrame;
				} else {
					cfa = this.framePointerStep();
					if (cfa !== undefined) {
						this.framePointerFrames++;
					}
				}

				if (cfa === undefined) {
					break; // The outermost frame, or nothing more can be recovered.
				}

				this.cfas[index] = cfa;
				const nextSp = this.next[arch.stackPointer]!;
				// Each caller's frame lies above its callee's; only a signal frame may jump (to the
				// stack that was interrupted, from an alternate signal stack).
				if (!signal && nextSp <= currentSp) {
					this.truncated++;
					break;
				}

				deepest = Math.max(deepest, nextSp);
				pc = this.next[arch.returnAddress]!;
				this.registers.set(this.next);
				this.known.set(this.nextKnown);
				afterCall = !signal;
			}
		} catch (error) {
			if (!(error instanceof TornReadError) && !(error instanceof DwarfError)) {
				throw error;
			}

			this.truncated++;
		}

		const stack = this.stacks.get(tid);
		if (stack) {
			stack.used = Math.max(deepest - sp, 0);
		}

		return this.count;
	}

	/**
	 * Applies a CFI row to the current registers, filling `next` with the caller's. Returns the
	 * CFA, or undefined when the return address is undefined (the outermost frame).
	 */
	private applyRow(row: UnwindRow): number | undefined {
		const {arch, registers, next, known, nextKnown} = this;
		let cfa: number;
		if (row.cfa.kind === 'register') {
			if (row.cfa.register >= arch.registerCount || known[row.cfa.register] === 0) {
				return undefined;
			}

			cfa = registers[row.cfa.register]! + row.cfa.offset;
		} else {
			cfa = evaluate(row.cfa.expression, this.context);
		}

		if (row.kinds[row.returnAddressColumn] === RuleKind.undefined) {
			return undefined;
		}

		for (let column = 0; column < arch.registerCount; column++) {
			const value = row.values[column]!;
			nextKnown[column] = 1;
			switch (row.kinds[column]) {
				case RuleKind.undefined: {
					nextKnown[column] = 0;
					next[column] = 0;
					break;
				}

				case RuleKind.offset: {
					next[column] = this.read(cfa + value, 8);
					break;
				}

				case RuleKind.valOffset: {
					next[column] = cfa + value;
					break;
				}

				case RuleKind.register: {
					next[column] = registers[value]!;
					nextKnown[column] = value < arch.registerCount ? known[value]! : 0;
					break;
				}

				case RuleKind.expression: {
					next[column] = this.read(evaluate(row.expressions.get(column)!, this.context, cfa), 8);
					break;
				}

				case RuleKind.valExpression: {
					next[column] = evaluate(row.expressions.get(column)!, this.context, cfa);
					break;
				}

				default: { // sameValue
					next[column] = registers[column]!;
					nextKnown[column] = known[column]!;
				}
			}
		}

		// The caller's stack pointer is the CFA unless a rule says otherwise (x86-64 and aarch64 ABIs).
		if (row.kinds[arch.stackPointer] === RuleKind.sameValue) {
			next[arch.stackPointer] = cfa;
			nextKnown[arch.stackPointer] = 1;
		}

		return cfa;
	}

	/** No CFI here: trust the frame pointer if it points into the stack above us. */
	private framePointerStep(): number | undefined {
		const {arch, registers, next, known, nextKnown} = this;
		const fp = registers[arch.framePointer]!;
		const sp = registers[arch.stackPointer]!;
		if (known[arch.framePointer] === 0 || fp < sp || fp >= this.stackEnd || fp % 8 !== 0) {
			return undefined;
		}

		next.set(registers);
		nextKnown.set(known);
		next[arch.returnAddress] = this.read(fp + 8, 8);
		next[arch.framePointer] = this.read(fp, 8);
		next[arch.stackPointer] = fp + 16;
		return fp + 16;
	}

	/** Copies the top of `tid`'s stack (from `sp` up) into the window. */
	private loadStack(tid: number, sp: number): boolean {
		let stack = this.stacks.get(tid);
		if (!stack || sp < stack.start || sp >= stack.end) {
			const mapping = this.space.mappingOf(sp);
			if (!mapping) {
				return false;
			}

			stack = {start: mapping.start, end: mapping.end, used: windowStep};
			this.stacks.set(tid, stack);
		}

		this.stackEnd = stack.end;
		this.windowStart = sp;
		// Last walk's depth plus a step: one read covers the whole walk nearly always.
		const want = Math.min(stack.used + windowStep, maxWindow, stack.end - sp);
		try {
			this.memory.read(sp, want, 0);
		} catch (error) {
			if (error instanceof TornReadError) {
				return false;
			}

			throw error;
		}

		this.windowEnd = sp + want;
		return true;
	}

	/** The 8-byte word at `address` in the target: from the stack copy of the last walk when it holds it. */
	readWord(address: number): number {
		return this.read(address, 8);
	}

	/** Reads `size` bytes (1, 2, 4 or 8) at `address`: from the window, growing it along the stack, else directly. */
	private read(address: number, size: number): number {
		if (address < this.windowStart || address + size > this.windowEnd) {
			if (address >= this.windowEnd && address + size <= this.stackEnd && address + size - this.windowStart <= maxWindow) {
				const end = Math.min(this.stackEnd, Math.max(address + size, this.windowEnd + windowStep), this.windowStart + maxWindow);
				this.memory.read(this.windowEnd, end - this.windowEnd, this.windowEnd - this.windowStart);
				this.windowEnd = end;
			} else {
				const at = maxWindow;
				this.memory.read(address, size, at);
				return this.decode(at, size);
			}
		}

		return this.decode(address - this.windowStart, size);
	}

	private decode(at: number, size: number): number {
		const scratch = this.memory.scratch;
		switch (size) {
			case 1: {
				return scratch[at]!;
			}

			case 2: {
				return scratch.readUInt16LE(at);
			}

			case 4: {
				return scratch.readUInt32LE(at);
			}

			default: {
				return scratch.readUInt32LE(at) + (scratch.readUInt32LE(at + 4) * twoTo32);
			}
		}
	}
}
