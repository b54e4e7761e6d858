// A minimal ELF64 reader: just enough to find where CPython's runtime lives in a mapped
// file (the `.PyRuntime` section or the `_PyRuntime` symbol), the `Py_Version` word and
// the address of `PyCode_Type`, which tells a real code object from a torn read.
import fs from 'node:fs';

export type ElfInfo = {
	/** Lowest p_vaddr of the PT_LOAD segments, aligned down: subtract from addresses to get the load bias. */
	readonly loadVaddr: bigint;
	readonly sections: ReadonlyMap<string, {addr: bigint; offset: bigint; size: bigint}>;
	readonly symbols: ReadonlyMap<string, bigint>;
	/** File bytes at a virtual address, for constants like Py_Version. */
	readonly readAt: (vaddr: bigint, length: number) => Buffer | undefined;
};

const wantedSymbols = new Set(['_PyRuntime', 'Py_Version', 'PyCode_Type', '_Py_NoneStruct', 'PyGen_Type', 'PyCoro_Type']);

/**
 * Files already read, by identity (device, inode, size, mtime): interpreters are tens of MB,
 * read whole, and every process of the same Python maps the same file (a --subprocesses child
 * opened in 20 ms instead of 120-150 at load 40). Few distinct Pythons run at once.
 */
const cache = new Map<string, ElfInfo | undefined>();
const cacheSize = 8;

/** The ELF facts of a file, or undefined if it cannot be read or is no little-endian ELF64. */
export function readElf(path: string): ElfInfo | undefined {
	let key: string;
	try {
		const stat = fs.statSync(path);
		key = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
	} catch {
		return undefined;
	}

	if (cache.has(key)) {
		return cache.get(key);
	}

	const info = parseElf(path);
	if (cache.size >= cacheSize) {
		cache.delete(cache.keys().next().value!);
	}

	cache.set(key, info);
	return info;
}

function parseElf(path: string): ElfInfo | undefined {
	let data: Buffer;
	try {
		data = fs.readFileSync(path);
	} catch {
		return undefined;
	}

	if (data.length < 64 || data.readUInt32BE(0) !== 0x7F_45_4C_46 || data[4] !== 2 || data[5] !== 1) {
		return undefined; // Not a little-endian ELF64 file.
	}

	const phoff = Number(data.readBigUInt64LE(32));
	const shoff = Number(data.readBigUInt64LE(40));
	const phentsize = data.readUInt16LE(54);
	const phnum = data.readUInt16LE(56);
	const shentsize = data.readUInt16LE(58);
	const shnum = data.readUInt16LE(60);
	const shstrndx = data.readUInt16LE(62);

	let loadVaddr: bigint | undefined;
	const loads: Array<{vaddr: bigint; offset: bigint; filesz: bigint}> = [];
	for (let i = 0; i < phnum; i++) {
		const base = phoff + (i * phentsize);
		if (data.readUInt32LE(base) !== 1) {
			continue; // Not PT_LOAD.
		}

		const offset = data.readBigUInt64LE(base + 8);
		const vaddr = data.readBigUInt64LE(base + 16);
		const filesz = data.readBigUInt64LE(base + 32);
		const align = data.readBigUInt64LE(base + 48);
		loads.push({vaddr, offset, filesz});
		const aligned = align > 0n ? vaddr - (vaddr % align) : vaddr;
		if (loadVaddr === undefined || aligned < loadVaddr) {
			loadVaddr = aligned;
		}
	}

	const sections = new Map<string, {addr: bigint; offset: bigint; size: bigint}>();
	const symbols = new Map<string, bigint>();
	const sectionHeader = (index: number) => shoff + (index * shentsize);
	if (shoff > 0 && shnum > 0 && sectionHeader(shnum) <= data.length) {
		const strtabOffset = Number(data.readBigUInt64LE(sectionHeader(shstrndx) + 24));
		const nameAt = (table: number, offset: number) => {
			const end = data.indexOf(0, table + offset);
			return data.toString('latin1', table + offset, end < 0 ? data.length : end);
		};

		const symbolTables: number[] = [];
		for (let i = 0; i < shnum; i++) {
			const header = sectionHeader(i);
			const type = data.readUInt32LE(header + 4);
			sections.set(nameAt(strtabOffset, data.readUInt32LE(header)), {
				addr: data.readBigUInt64LE(header + 16),
				offset: data.readBigUInt64LE(header + 24),
				size: data.readBigUInt64LE(header + 32),
			});
			if (type === 2 || type === 11) { // SHT_SYMTAB, SHT_DYNSYM
				symbolTables.push(i);
			}
		}

		for (const index of symbolTables) {
			const header = sectionHeader(index);
			const offset = Number(data.readBigUInt64LE(header + 24));
			const size = Number(data.readBigUInt64LE(header + 32));
			const entsize = Number(data.readBigUInt64LE(header + 56)) || 24;
			const link = data.readUInt32LE(header + 40);
			const names = Number(data.readBigUInt64LE(sectionHeader(link) + 24));
			for (let entry = offset; entry + entsize <= offset + size && entry + entsize <= data.length; entry += entsize) {
				const value = data.readBigUInt64LE(entry + 8);
				if (value === 0n) {
					continue;
				}

				const name = nameAt(names, data.readUInt32LE(entry));
				if (wantedSymbols.has(name) && !symbols.has(name)) {
					symbols.set(name, value);
				}
			}
		}
	}

	return {
		loadVaddr: loadVaddr ?? 0n,
		sections,
		symbols,
		readAt(vaddr, length) {
			for (const load of loads) {
				if (vaddr >= load.vaddr && vaddr + BigInt(length) <= load.vaddr + load.filesz) {
					const start = Number(load.offset + (vaddr - load.vaddr));
					return data.subarray(start, start + length);
				}
			}

			return undefined;
		},
	};
}
