// A stopped thread's registers, in DWARF register numbering, for the unwinder. The machine
// specifics live here: which request reads them, where each one sits in the kernel's struct,
// which DWARF columns are the stack pointer, the frame pointer and the return address.
//
// x86-64: PTRACE_GETREGS fills struct user_regs_struct (27 × u64). aarch64 would follow with
// PTRACE_GETREGSET (NT_PRSTATUS, struct user_pt_regs: x0–x30, sp, pc, pstate), DWARF columns
// 0–30 = x0–x30, 31 = sp, return address in x30: only `archFor` and a reader need adding.
import {libc} from '../libc.js';

export type Arch = {
	readonly name: string;
	/** DWARF register columns the unwinder tracks (0 … count − 1). */
	readonly registerCount: number;
	readonly stackPointer: number;
	readonly framePointer: number;
	/** The column holding the return address in CFI rows (x86-64: 16, the "RIP" column). */
	readonly returnAddress: number;
	/** Reads `tid`'s registers into `into` (DWARF order) and its program counter; false if it cannot. */
	read(tid: number, into: Float64Array): number | undefined;
};

const ptraceGetregs = 12;
const twoTo32 = 4_294_967_296;

/**
 * user_regs_struct word index of each DWARF register 0–16 on x86-64: rax, rdx, rcx, rbx, rsi,
 * rdi, rbp, rsp, r8–r15, and (16) rip.
 */
const x86DwarfToUserRegs = [10, 12, 11, 5, 13, 14, 4, 19, 9, 8, 7, 6, 3, 2, 1, 0, 16];

function x86_64(): Arch {
	// Its own ArrayBuffer: never a small on-heap array that the GC could move under the call.
	const words = new Uint32Array(new ArrayBuffer(27 * 8));
	return {
		name: 'x86-64',
		registerCount: 17,
		stackPointer: 7,
		framePointer: 6,
		returnAddress: 16,
		read(tid, into) {
			if (libc().ptrace(ptraceGetregs, tid, 0, libc().address(words)) !== 0) {
				return undefined;
			}

			for (let column = 0; column < 17; column++) {
				const word = x86DwarfToUserRegs[column]! * 2;
				into[column] = words[word]! + (words[word + 1]! * twoTo32);
			}

			return into[16];
		},
	};
}

let cached: Arch | undefined;

/** The machine this process (and so the target: same kernel, same machine) runs on. */
export function archFor(machine = process.arch): Arch {
	if (machine === 'x64') {
		return cached ??= x86_64();
	}

	throw new Error(`--native-stacks reads x86-64 registers only, this machine is \`${machine}\``);
}
