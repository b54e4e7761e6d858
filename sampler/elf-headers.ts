// The one reader of ELF64 little-endian headers: the file type, the loadable segments and the
// section headers (names resolved). Both ELF readers build on it: the runtime finder of
// sampler/elf.ts (over a file read a page at a time) and the native unwinder's images of
// sampler/native/elf-image.ts (over whole files, or bytes copied out of a process: the vDSO).

/** The few reads the parser makes: a Buffer has them, and so has a file read as far as looked at. */
export type ElfBytes = {
	readonly length: number;
	readUInt16LE(offset: number): number;
	readUInt32LE(offset: number): number;
	readUInt32BE(offset: number): number;
	readBigUInt64LE(offset: number): bigint;
	indexOf(value: number, from: number): number;
	toString(encoding: 'latin1', start: number, end: number): string;
};

export type ElfSection = {
	readonly name: string;
	readonly type: number;
	/** Virtual address where the section is loaded (0 when it is not loaded). */
	readonly addr: number;
	readonly offset: number;
	readonly size: number;
	readonly link: number;
	readonly entsize: number;
};

export type ElfSegment = {
	readonly vaddr: number;
	readonly offset: number;
	readonly filesz: number;
	readonly memsz: number;
	/** p_align: the runtime finder aligns the lowest segment down by it. */
	readonly align: number;
	readonly executable: boolean;
};

export type ElfHeaders = {
	/** ET_EXEC (2) or ET_DYN (3). */
	readonly fileType: number;
	/** The PT_LOAD segments, in file order. */
	readonly loads: readonly ElfSegment[];
	/** Every section header, in index order (a section's `link` is an index into it). */
	readonly sections: readonly ElfSection[];
};

export const SectionType = {
	symtab: 2,
	note: 7,
	nobits: 8,
	dynamic: 6,
	dynsym: 11,
} as const;

const ptLoad = 1;
const pfExecute = 1;

/** The headers of an ELF64 LE image, or undefined for anything else. Tables out of the bytes are left out, not guessed. */
export function readElfHeaders(data: ElfBytes): ElfHeaders | undefined {
	// "\x7FELF", then ELFCLASS64 (2) and ELFDATA2LSB (1).
	if (data.length < 64 || data.readUInt32BE(0) !== 0x7F_45_4C_46 || data.readUInt16LE(4) !== 0x01_02) {
		return undefined;
	}

	const fileType = data.readUInt16LE(16);
	const phoff = Number(data.readBigUInt64LE(32));
	const shoff = Number(data.readBigUInt64LE(40));
	const phentsize = data.readUInt16LE(54);
	const phnum = data.readUInt16LE(56);
	const shentsize = data.readUInt16LE(58);
	const shnum = data.readUInt16LE(60);
	const shstrndx = data.readUInt16LE(62);
	const loads: ElfSegment[] = [];
	if (phoff > 0 && phoff + (phnum * phentsize) <= data.length) {
		for (let index = 0; index < phnum; index++) {
			const at = phoff + (index * phentsize);
			if (data.readUInt32LE(at) !== ptLoad) {
				continue;
			}

			loads.push({
				executable: (data.readUInt32LE(at + 4) & pfExecute) !== 0,
				offset: Number(data.readBigUInt64LE(at + 8)),
				vaddr: Number(data.readBigUInt64LE(at + 16)),
				filesz: Number(data.readBigUInt64LE(at + 32)),
				memsz: Number(data.readBigUInt64LE(at + 40)),
				align: Number(data.readBigUInt64LE(at + 48)),
			});
		}
	}

	const sections: ElfSection[] = [];
	if (shoff > 0 && shnum > 0 && shoff + (shnum * shentsize) <= data.length && shstrndx < shnum) {
		const header = (index: number) => shoff + (index * shentsize);
		const names = Number(data.readBigUInt64LE(header(shstrndx) + 24));
		for (let index = 0; index < shnum; index++) {
			const at = header(index);
			sections.push({
				name: cStringAt(data, names + data.readUInt32LE(at)),
				type: data.readUInt32LE(at + 4),
				addr: Number(data.readBigUInt64LE(at + 16)),
				offset: Number(data.readBigUInt64LE(at + 24)),
				size: Number(data.readBigUInt64LE(at + 32)),
				link: data.readUInt32LE(at + 40),
				entsize: Number(data.readBigUInt64LE(at + 56)),
			});
		}
	}

	return {fileType, loads, sections};
}

/** The NUL-terminated string at `at` (empty outside the bytes). */
export function cStringAt(data: Pick<ElfBytes, 'length' | 'indexOf' | 'toString'>, at: number): string {
	if (at < 0 || at >= data.length) {
		return '';
	}

	const end = data.indexOf(0, at);
	return data.toString('latin1', at, end < 0 ? data.length : end);
}
