// A minimal ELF64 reader (its headers read by elf-headers.ts, shared with the native unwinder): just enough to find where CPython's runtime lives in a mapped
// file (the `.PyRuntime` section or the `_PyRuntime` symbol), the `Py_Version` word and
// the address of `PyCode_Type`, which tells a real code object from a torn read.
import fs from 'node:fs';
import {readElfHeaders, SectionType, type ElfBytes} from './elf-headers.js';

export type ElfInfo = {
	/** Lowest p_vaddr of the PT_LOAD segments, aligned down: subtract from addresses to get the load bias. */
	readonly loadVaddr: bigint;
	readonly sections: ReadonlyMap<string, {addr: bigint; offset: bigint; size: bigint}>;
	readonly symbols: ReadonlyMap<string, bigint>;
	/** File bytes at a virtual address, for constants like Py_Version. */
	readonly readAt: (vaddr: bigint, length: number) => Buffer | undefined;
};

// _Py_RefTotal / _Py_GetGlobalRefTotal exist only in builds with Py_REF_DEBUG: debug builds (target.ts).
const wantedSymbols = new Set(['_PyRuntime', 'Py_Version', 'PyCode_Type', '_Py_NoneStruct', 'PyGen_Type', 'PyCoro_Type', '_Py_RefTotal', '_Py_GetGlobalRefTotal']);

/** Each wanted symbol's name, NUL-terminated, as it is spelled in a string table. */
const wantedNames = [...wantedSymbols].map(name => ({name, bytes: Buffer.from(`${name}\0`, 'latin1')}));

/**
 * Where in a string table the wanted names start (offset → name): found by a byte search for
 * each, so that the symbol table is scanned by comparing name offsets, not by decoding each of
 * its thousands of names into a string (9 ms of every attach's start-up). Every place the name
 * occurs counts: a linker may store a name as the tail of a longer one ("X_PyRuntime").
 */
function nameOffsets(strings: Buffer): Map<number, string> {
	const offsets = new Map<number, string>();
	for (const {name, bytes} of wantedNames) {
		for (let at = strings.indexOf(bytes); at >= 0; at = strings.indexOf(bytes, at + 1)) {
			offsets.set(at, name);
		}
	}

	return offsets;
}

type ParsedElf = Omit<ElfInfo, 'readAt'> & {fileOffset(vaddr: bigint, length: number): number | undefined};

/**
 * Files already read, by identity (device, inode, size, mtime): interpreters are tens of MB,
 * read whole, and every process of the same Python maps the same file (a --subprocesses child
 * opened in 20 ms instead of 120-150 at load 40). Few distinct Pythons run at once. Kept
 * without a path: the same file is reached through each process's /proc/PID/root, which
 * ends with that process, so readAt reads through the path it was asked for this time (a
 * cached path of an exited process read nothing: --async-aware in the bench's own thread then
 * found no asyncio offsets, hence no task, after an earlier section's target had exited).
 */
const cache = new Map<string, ParsedElf | undefined>();
const cacheSize = 8;

/** The ELF facts of a file, or undefined if it cannot be read or is no little-endian ELF64. */
export function readElf(path: string): ElfInfo | undefined {
	const parsed = parsedElf(path);
	return parsed && {
		...parsed,
		readAt(vaddr: bigint, length: number) {
			const start = parsed.fileOffset(vaddr, length);
			return start === undefined ? undefined : readRange(path, start, length);
		},
	};
}

function parsedElf(path: string): ParsedElf | undefined {
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
class PagedFile implements ElfBytes {
	readonly length: number;
	private readonly fd: number;
	private readonly pages = new Map<number, Buffer>();

	constructor(fd: number) {
		this.fd = fd;
		this.length = fs.fstatSync(fd).size;
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

function parseElf(path: string): ParsedElf | undefined {
	let fd: number;
	try {
		fd = fs.openSync(path, 'r');
	} catch {
		return undefined;
	}

	try {
		return parseElfFile(new PagedFile(fd));
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

function parseElfFile(data: PagedFile): ParsedElf | undefined {
	const headers = readElfHeaders(data);
	if (!headers) {
		return undefined; // Not a little-endian ELF64 file.
	}

	let loadVaddr: bigint | undefined;
	const loads = headers.loads.map(load => ({vaddr: BigInt(load.vaddr), offset: BigInt(load.offset), filesz: BigInt(load.filesz)}));
	for (const load of headers.loads) {
		const aligned = BigInt(load.align > 0 ? load.vaddr - (load.vaddr % load.align) : load.vaddr);
		if (loadVaddr === undefined || aligned < loadVaddr) {
			loadVaddr = aligned;
		}
	}

	const sections = new Map<string, {addr: bigint; offset: bigint; size: bigint}>();
	for (const section of headers.sections) {
		sections.set(section.name, {addr: BigInt(section.addr), offset: BigInt(section.offset), size: BigInt(section.size)});
	}

	const symbols = new Map<string, bigint>();
	for (const header of headers.sections) {
		const names = headers.sections[header.link];
		if ((header.type !== SectionType.symtab && header.type !== SectionType.dynsym) || !names) {
			continue;
		}

		// Each table and its names are read whole, once: most of what the parse reads.
		const table = data.range(header.offset, header.size);
		const strings = data.range(names.offset, names.size);
		const wanted = nameOffsets(strings);
		const entsize = header.entsize || 24;
		for (let entry = 0; entry + entsize <= table.length; entry += entsize) {
			const name = wanted.get(table.readUInt32LE(entry));
			if (name === undefined || symbols.has(name)) {
				continue;
			}

			const value = table.readBigUInt64LE(entry + 8);
			if (value !== 0n) {
				symbols.set(name, value);
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
