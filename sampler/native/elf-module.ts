// Everything the native unwinder knows about one ELF file: its unwind rows (from .eh_frame via
// .eh_frame_hdr, or .debug_frame where present, in the file or its separate debug file) and
// its function names (.symtab, else .dynsym). Rows and names are computed on first use and
// kept, keyed by file address, so steady-state sampling costs a map lookup per frame.
import fs from 'node:fs';
import path from 'node:path';
import {CfiSection, rowAt, type Fde, type UnwindRow} from './cfi.js';
import {DwarfError} from './dwarf-cursor.js';
import {EhFrameHdr} from './eh-frame-hdr.js';
import {ElfImage, SectionType} from './elf-image.js';
import {SymbolTable, type SymbolHit} from './symbol-table.js';

/** Where Debian's -dbgsym/-dbg packages install separate debug files. */
export const debugRoot = '/usr/lib/debug';

export class ElfModule {
	/** The file's name as shown in frames: a library's soname (libz.so.1), else the file name (python3.11). */
	readonly name: string;
	readonly path: string;
	readonly image: ElfImage;
	readonly buildId: string | undefined;
	/** The separate debug file found for this one, if any. */
	readonly debugFile: string | undefined;
	private readonly debugImage: ElfImage | undefined;
	private readonly ehFrame: CfiSection | undefined;
	private readonly ehFrameHdr: EhFrameHdr | undefined;
	private readonly debugFrame: CfiSection | undefined;
	private symbolTable: SymbolTable | null | undefined;
	private readonly rows = new Map<number, UnwindRow | null>();
	private readonly names = new Map<number, SymbolHit | null>();

	constructor(filePath: string, image: ElfImage, options: {name?: string; root?: string; debugSearch?: boolean} = {}) {
		this.path = filePath;
		this.name = options.name ?? image.soname ?? path.basename(filePath);
		this.image = image;
		this.buildId = image.buildId;
		const debug = options.debugSearch === false ? undefined : findDebugFile(filePath, image, this.buildId, options.root ?? '');
		this.debugFile = debug?.path;
		this.debugImage = debug?.image;
		const ehSection = image.section('.eh_frame');
		const ehData = image.sectionData(ehSection);
		this.ehFrame = ehSection && ehData ? new CfiSection(ehData, ehSection.addr, true) : undefined;
		const hdrSection = image.section('.eh_frame_hdr');
		const hdrData = image.sectionData(hdrSection);
		this.ehFrameHdr = hdrSection && hdrData && this.ehFrame ? EhFrameHdr.parse(hdrData, hdrSection.addr) : undefined;
		const debugFrameSection = image.section('.debug_frame') ?? this.debugImage?.section('.debug_frame');
		const owner = image.section('.debug_frame') ? image : this.debugImage;
		const debugFrameData = owner?.sectionData(debugFrameSection);
		this.debugFrame = debugFrameData ? new CfiSection(debugFrameData, 0, false) : undefined;
	}

	/** True when some call-frame information was found. */
	get hasUnwindInfo(): boolean {
		return this.ehFrame !== undefined || this.debugFrame !== undefined;
	}

	/** The unwind row at file address `address`, or undefined where no FDE covers it. */
	row(address: number): UnwindRow | undefined {
		let row = this.rows.get(address);
		if (row === undefined) {
			row = this.computeRow(address);
			this.rows.set(address, row);
		}

		return row ?? undefined;
	}

	private computeRow(address: number): UnwindRow | null {
		try {
			const fromEh = this.ehFrame ? this.ehFrameFde(address) : undefined;
			if (fromEh) {
				return rowAt(this.ehFrame!, fromEh, address);
			}

			const fromDebug = this.debugFrame?.findFde(address);
			return fromDebug ? rowAt(this.debugFrame!, fromDebug, address) : null;
		} catch (error) {
			if (error instanceof DwarfError || error instanceof RangeError) {
				return null; // Malformed or unsupported CFI: the unwinder falls back to frame pointers.
			}

			throw error;
		}
	}

	private ehFrameFde(address: number): Fde | undefined {
		const ehFrame = this.ehFrame!;
		if (this.ehFrameHdr) {
			const fdeAddress = this.ehFrameHdr.fdeAddressFor(address);
			if (fdeAddress === undefined) {
				return undefined;
			}

			const fde = ehFrame.fdeAt(fdeAddress - ehFrame.address);
			return fde && address >= fde.start && address < fde.end ? fde : undefined;
		}

		return ehFrame.findFde(address);
	}

	/** The function symbol holding file address `address`: .symtab (the debug file's first), else .dynsym. */
	symbol(address: number): SymbolHit | undefined {
		let hit = this.names.get(address);
		if (hit === undefined) {
			hit = this.symbols()?.lookup(address) ?? null;
			this.names.set(address, hit);
		}

		return hit ?? undefined;
	}

	private symbols(): SymbolTable | undefined {
		if (this.symbolTable === undefined) {
			const find = (image: ElfImage | undefined, type: number) => image ? SymbolTable.read(image, image.sections.find(section => section.type === type)) : undefined;
			this.symbolTable = find(this.debugImage, SectionType.symtab) ?? find(this.image, SectionType.symtab) ?? find(this.image, SectionType.dynsym) ?? null;
		}

		return this.symbolTable ?? undefined;
	}

	/** Whether the file has a full symbol table (not only the dynamic one), here or in its debug file. */
	get hasSymtab(): boolean {
		return [this.debugImage, this.image].some(image => image?.sections.some(section => section.type === SectionType.symtab && section.size > 0));
	}
}

/**
 * The separate debug file of `file`: by build id under /usr/lib/debug/.build-id, then by its
 * .gnu_debuglink name in the usual places. Looked for inside the target's root first.
 */
function findDebugFile(file: string, image: ElfImage, buildId: string | undefined, root: string): {path: string; image: ElfImage} | undefined {
	const candidates: string[] = [];
	if (buildId && buildId.length > 2) {
		candidates.push(path.join(debugRoot, '.build-id', buildId.slice(0, 2), `${buildId.slice(2)}.debug`));
	}

	const link = image.debugLink;
	if (link) {
		const directory = path.dirname(file);
		candidates.push(path.join(debugRoot, directory, link), path.join(directory, '.debug', link));
		if (link !== path.basename(file)) {
			candidates.push(path.join(directory, link));
		}
	}

	for (const candidate of candidates) {
		for (const where of root === '' ? [candidate] : [root + candidate, candidate]) {
			const debugImage = readImage(where);
			// A debug file must describe this very build: a stale one would name the wrong functions.
			if (debugImage && (buildId === undefined || debugImage.buildId === buildId)) {
				return {path: where, image: debugImage};
			}
		}
	}

	return undefined;
}

export function readImage(file: string): ElfImage | undefined {
	try {
		return ElfImage.parse(fs.readFileSync(file));
	} catch {
		return undefined;
	}
}
