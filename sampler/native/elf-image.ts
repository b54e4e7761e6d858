// An ELF64 little-endian image, read for native unwinding and symbols: the loadable segments
// (to turn a runtime address into a file address), the sections that hold call-frame
// information (.eh_frame, .eh_frame_hdr, .debug_frame), the symbol tables, the build id and
// the .gnu_debuglink name. Parses headers only; tables are read lazily by their users.
// Works on file bytes or on bytes copied out of a process (the vDSO has no file). The headers
// are read by the one ELF header reader (../elf-headers.ts), which the runtime finder shares.
import {readElfHeaders, SectionType, type ElfSection, type ElfSegment} from '../elf-headers.js';

export type {ElfSection, ElfSegment} from '../elf-headers.js';
export {SectionType} from '../elf-headers.js';

export class ElfImage {
	readonly data: Buffer;
	readonly sections: readonly ElfSection[];
	readonly loads: readonly ElfSegment[];
	/** ET_EXEC (2) or ET_DYN (3). */
	readonly fileType: number;
	/** Lowest PT_LOAD p_vaddr, page aligned: a mapping at offset 0 sits at loadBase + bias. */
	readonly loadBase: number;

	private constructor(data: Buffer, sections: readonly ElfSection[], loads: readonly ElfSegment[], fileType: number) {
		this.data = data;
		this.sections = sections;
		this.loads = loads;
		this.fileType = fileType;
		let lowest = Number.POSITIVE_INFINITY;
		for (const load of loads) {
			lowest = Math.min(lowest, load.vaddr - (load.vaddr % 4096));
		}

		this.loadBase = Number.isFinite(lowest) ? lowest : 0;
	}

	/** Parses an ELF64 LE image, or returns undefined for anything else (or a truncated header). */
	static parse(data: Buffer): ElfImage | undefined {
		const headers = readElfHeaders(data);
		return headers && new ElfImage(data, headers.sections, headers.loads, headers.fileType);
	}

	section(name: string): ElfSection | undefined {
		return this.sections.find(section => section.name === name);
	}

	/** The bytes of a section that has bytes in this file (not SHT_NOBITS, inside the file). */
	sectionData(section: ElfSection | undefined): Buffer | undefined {
		if (!section || section.type === SectionType.nobits || section.offset + section.size > this.data.length) {
			return undefined;
		}

		return this.data.subarray(section.offset, section.offset + section.size);
	}

	/** The GNU build id (hex), from the .note.gnu.build-id section or any note segment. */
	get buildId(): string | undefined {
		for (const section of this.sections) {
			if (section.type !== SectionType.note) {
				continue;
			}

			const notes = this.sectionData(section);
			const id = notes && findBuildIdNote(notes);
			if (id) {
				return id;
			}
		}

		return undefined;
	}

	/** The file name in .gnu_debuglink: where a separate debug file may be found. */
	get debugLink(): string | undefined {
		const data = this.sectionData(this.section('.gnu_debuglink'));
		return data ? cString(data, 0) : undefined;
	}

	/** DT_SONAME from the dynamic section: the name the library is linked by (libz.so.1). */
	get soname(): string | undefined {
		const dynamic = this.sections.find(section => section.type === SectionType.dynamic);
		const entries = this.sectionData(dynamic);
		const strings = dynamic ? this.sectionData(this.sections[dynamic.link]) : undefined;
		if (!entries || !strings) {
			return undefined;
		}

		for (let at = 0; at + 16 <= entries.length; at += 16) {
			const tag = Number(entries.readBigInt64LE(at));
			if (tag === 0) {
				break;
			}

			if (tag === 14) { // DT_SONAME
				return cString(strings, Number(entries.readBigUInt64LE(at + 8)));
			}
		}

		return undefined;
	}

	/** File offset → virtual address through the PT_LOAD that holds it. */
	vaddrOfOffset(offset: number): number | undefined {
		for (const load of this.loads) {
			if (offset >= load.offset && offset < load.offset + Math.max(load.filesz, 1)) {
				return load.vaddr + (offset - load.offset);
			}
		}

		return undefined;
	}
}

export function cString(data: Buffer, at: number): string {
	if (at < 0 || at >= data.length) {
		return '';
	}

	const end = data.indexOf(0, at);
	return data.toString('utf8', at, end < 0 ? data.length : end);
}

/** Finds NT_GNU_BUILD_ID (type 3, name "GNU") in a run of notes. */
function findBuildIdNote(notes: Buffer): string | undefined {
	let at = 0;
	while (at + 12 <= notes.length) {
		const nameSize = notes.readUInt32LE(at);
		const descSize = notes.readUInt32LE(at + 4);
		const type = notes.readUInt32LE(at + 8);
		const nameAt = at + 12;
		const descAt = nameAt + ((nameSize + 3) & ~3);
		if (descAt + descSize > notes.length) {
			return undefined;
		}

		if (type === 3 && nameSize === 4 && notes.toString('latin1', nameAt, nameAt + 3) === 'GNU') {
			return notes.toString('hex', descAt, descAt + descSize);
		}

		at = descAt + ((descSize + 3) & ~3);
	}

	return undefined;
}
