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

/**
 * A file read a page at a time, as far as it is looked at, behind the few Buffer methods the
 * parser uses: the parser needs the headers and the symbol tables, a few MB of an
 * interpreter of 9-23 MB (reading all of libpython3.11 whole cost a sampler 17 ms of its
 * start-up, and as much again in garbage collection).
 */
class PagedFile {
	readonly length: number;
	private readonly fd: number;
	private readonly pages = new Map<number, Buffer>();

	constructor(fd: number) {
		this.fd = fd;
		this.length = fs.fstatSync(fd).size;
	}

	byte(offset: number): number {
		return this.bytes(offset, 1)[0]!;
	}

	readUInt16LE(offset: number): number {
		return this.bytes(offset, 2).readUInt16LE(0);
	}

	readUInt32LE(offset: number): number {
		return this.bytes(offset, 4).readUInt32LE(0);
	}

	readUInt32BE(offset: number): number {
		return this.bytes(offset, 4).readUInt32BE(0);
	}

	readBigUInt64LE(offset: number): bigint {
		return this.bytes(offset, 8).readBigUInt64LE(0);
	}

	/** [offset, offset + length) as one Buffer of its own, read at once (a symbol table, its names). */
	range(offset: number, length: number): Buffer {
		const end = Math.min(offset + length, this.length);
		const bytes = Buffer.alloc(Math.max(end - offset, 0));
		if (bytes.length > 0) {
			fs.readSync(this.fd, bytes, 0, bytes.length, offset);
		}

		return bytes;
	}

	/** Where the next `value` byte is from `from` on, or -1. */
	indexOf(value: number, from: number): number {
		for (let at = from; at < this.length; at = (Math.floor(at / pageSize) + 1) * pageSize) {
			const page = this.page(Math.floor(at / pageSize));
			const found = page.indexOf(value, at % pageSize);
			if (found >= 0) {
				return (Math.floor(at / pageSize) * pageSize) + found;
			}
		}

		return -1;
	}

	toString(encoding: 'latin1', start: number, end: number): string {
		return this.bytes(start, end - start).toString(encoding);
	}

	private bytes(offset: number, length: number): Buffer {
		if (offset < 0 || offset + length > this.length) {
			throw new RangeError(`ELF read of ${length} bytes at ${offset} is outside the file`);
		}

		const first = Math.floor(offset / pageSize);
		const last = Math.floor((offset + length - 1) / pageSize);
		if (first === last || length === 0) {
			return this.page(first).subarray(offset % pageSize, (offset % pageSize) + length);
		}

		const joined = Buffer.alloc(length);
		for (let copied = 0; copied < length;) {
			const at = offset + copied;
			const piece = this.page(Math.floor(at / pageSize)).subarray(at % pageSize);
			copied += piece.copy(joined, copied, 0, Math.min(piece.length, length - copied));
		}

		return joined;
	}

	private page(index: number): Buffer {
		let page = this.pages.get(index);
		if (!page) {
			page = Buffer.alloc(Math.min(pageSize, this.length - (index * pageSize)));
			fs.readSync(this.fd, page, 0, page.length, index * pageSize);
			this.pages.set(index, page);
		}

		return page;
	}
}

const pageSize = 1 << 16;

function parseElf(path: string): ElfInfo | undefined {
	let fd: number;
	try {
		fd = fs.openSync(path, 'r');
	} catch {
		return undefined;
	}

	try {
		const info = parseElfFile(new PagedFile(fd));
		return info && {
			...info,
			readAt(vaddr: bigint, length: number) {
				const start = info.fileOffset(vaddr, length);
				return start === undefined ? undefined : readRange(path, start, length);
			},
		};
	} catch {
		return undefined; // Truncated or corrupt: not a file we can read the runtime's place from.
	} finally {
		fs.closeSync(fd);
	}
}

/** `length` bytes of a file at `start`, or undefined if it cannot be read. */
function readRange(path: string, start: number, length: number): Buffer | undefined {
	try {
		const fd = fs.openSync(path, 'r');
		try {
			const bytes = Buffer.alloc(length);
			return fs.readSync(fd, bytes, 0, length, start) === length ? bytes : undefined;
		} finally {
			fs.closeSync(fd);
		}
	} catch {
		return undefined;
	}
}

function parseElfFile(data: PagedFile): (Omit<ElfInfo, 'readAt'> & {fileOffset(vaddr: bigint, length: number): number | undefined}) | undefined {

	if (data.length < 64 || data.readUInt32BE(0) !== 0x7F_45_4C_46 || data.byte(4) !== 2 || data.byte(5) !== 1) {
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
			const entsize = Number(data.readBigUInt64LE(header + 56)) || 24;
			const link = data.readUInt32LE(header + 40);
			// Each table and its names are read whole, once: most of what the parse reads.
			const table = data.range(Number(data.readBigUInt64LE(header + 24)), Number(data.readBigUInt64LE(header + 32)));
			const names = data.range(Number(data.readBigUInt64LE(sectionHeader(link) + 24)), Number(data.readBigUInt64LE(sectionHeader(link) + 32)));
			for (let entry = 0; entry + entsize <= table.length; entry += entsize) {
				const value = table.readBigUInt64LE(entry + 8);
				if (value === 0n) {
					continue;
				}

				const start = table.readUInt32LE(entry);
				const end = names.indexOf(0, start);
				const name = names.toString('latin1', start, end < 0 ? names.length : end);
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
		/** Where a virtual address's bytes are in the file, if a loaded segment holds them. */
		fileOffset(vaddr, length) {
			for (const load of loads) {
				if (vaddr >= load.vaddr && vaddr + BigInt(length) <= load.vaddr + load.filesz) {
					return Number(load.offset + (vaddr - load.vaddr));
				}
			}

			return undefined;
		},
	};
}
