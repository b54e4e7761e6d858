// What makes a mapped file a CPython runtime, in one place for the attach (target.ts) and the
// picker's process list (process-list.ts): which mapped files may hold one, and what a
// file's ELF says of it (where `_PyRuntime` is, the `Py_Version` word, `.bss` where 3.8–3.10
// keep their version text, whether it is a debug build).
import path from 'node:path';
import type {ElfInfo} from './elf.js';

/** A mapped file that may hold the runtime: `python` in its name, and not an extension module (foo.cpython-311-x86_64.so). */
export function mayHoldRuntime(file: string): boolean {
	const name = path.basename(file);
	return file.startsWith('/') && /python/i.test(name) && !name.includes('cpython-3');
}

/** Where a shared build maps both the executable and libpython, the runtime lives in the library: look there first. */
export function isLibpython(file: string): boolean {
	return path.basename(file).includes('libpython');
}

/** The runtime's facts in a file, as link-time addresses (add the load bias for the process's). */
export type RuntimeSymbols = {
	readonly runtime: bigint;
	readonly codeType: bigint | undefined;
	readonly none: bigint | undefined;
	/** Py_Version (3.11+); 3.8–3.10 have none. */
	readonly versionWord: number | undefined;
	readonly bss: {readonly addr: bigint; readonly size: bigint} | undefined;
	/** Py_DEBUG builds (Debian's python3.X-dbg) count references: Py_REF_DEBUG's symbols. */
	readonly debugBuild: boolean;
};

/** The runtime in this ELF file, or undefined when it holds none. */
export function runtimeSymbols(elf: ElfInfo): RuntimeSymbols | undefined {
	const runtime = elf.sections.get('.PyRuntime')?.addr ?? elf.symbols.get('_PyRuntime');
	if (runtime === undefined) {
		return undefined;
	}

	const versionAt = elf.symbols.get('Py_Version');
	const bss = elf.sections.get('.bss');
	return {
		runtime,
		codeType: elf.symbols.get('PyCode_Type'),
		none: elf.symbols.get('_Py_NoneStruct'),
		versionWord: versionAt === undefined ? undefined : elf.readAt(versionAt, 4)?.readUInt32LE(0),
		bss: bss ? {addr: bss.addr, size: bss.size} : undefined,
		debugBuild: elf.symbols.has('_Py_RefTotal') || elf.symbols.has('_Py_GetGlobalRefTotal'),
	};
}

/** The minor version a file's name tells (`python3.9`, `libpython3.10.so.1.0`), for when the runtime does not say. */
export function versionFromFileName(file: string): {major: number; minor: number} | undefined {
	const match = /python(\d)\.(\d+)/.exec(path.basename(file));
	return match ? {major: Number(match[1]), minor: Number(match[2])} : undefined;
}
