// The function symbols of one ELF symbol table (.symtab or .dynsym), sorted by address, for
// "which function holds this address" lookups. Names are decoded only when looked up: libc's
// debug file has tens of thousands of symbols and a capture touches a few dozen.
import {cString, type ElfImage, type ElfSection} from './elf-image.js';

const sttFunc = 2;
const sttGnuIfunc = 10;
const bindLocal = 0;
const bindGlobal = 1;

export type SymbolHit = {
	readonly name: string;
	/** The symbol's address (file virtual address). */
	readonly address: number;
};

export class SymbolTable {
	/** How many function symbols the table holds. */
	readonly size: number;
	private readonly addresses: Float64Array;
	private readonly ends: Float64Array;
	private readonly nameOffsets: Uint32Array;
	private readonly strings: Buffer;

	private constructor(addresses: Float64Array, ends: Float64Array, nameOffsets: Uint32Array, strings: Buffer) {
		this.addresses = addresses;
		this.ends = ends;
		this.nameOffsets = nameOffsets;
		this.strings = strings;
		this.size = addresses.length;
	}

	/** The function symbols of `section` (a SHT_SYMTAB or SHT_DYNSYM of `image`), or undefined if it has none. */
	static read(image: ElfImage, section: ElfSection | undefined): SymbolTable | undefined {
		const table = image.sectionData(section);
		const strings = section ? image.sectionData(image.sections[section.link]) : undefined;
		if (!table || !strings || !section) {
			return undefined;
		}

		const entsize = section.entsize || 24;
		type Entry = {address: number; size: number; name: number; rank: number};
		const entries: Entry[] = [];
		for (let at = 0; at + entsize <= table.length; at += entsize) {
			const info = table[at + 4]!;
			const type = info & 0xF;
			const shndx = table.readUInt16LE(at + 6);
			if ((type !== sttFunc && type !== sttGnuIfunc) || shndx === 0) {
				continue;
			}

			const address = Number(table.readBigUInt64LE(at + 8));
			if (address === 0) {
				continue;
			}

			const name = table.readUInt32LE(at);
			entries.push({address, size: Number(table.readBigUInt64LE(at + 16)), name, rank: rankOf(strings, name, info >> 4)});
		}

		if (entries.length === 0) {
			return undefined;
		}

		// Aliases share an address: keep the best name for each (see rankOf).
		entries.sort((a, b) => a.address - b.address || a.rank - b.rank);
		const kept = entries.filter((entry, index) => index === 0 || entries[index - 1]!.address !== entry.address);
		const addresses = new Float64Array(kept.length);
		const ends = new Float64Array(kept.length);
		const names = new Uint32Array(kept.length);
		for (const [index, entry] of kept.entries()) {
			addresses[index] = entry.address;
			// A symbol without a size (hand-written assembly) reaches to the next symbol.
			ends[index] = entry.size > 0 ? entry.address + entry.size : (kept[index + 1]?.address ?? entry.address + 1);
			names[index] = entry.name;
		}

		return new SymbolTable(addresses, ends, names, strings);
	}

	/** The function holding file address `address`, if a symbol covers it. */
	lookup(address: number): SymbolHit | undefined {
		const {addresses} = this;
		let low = 0;
		let high = addresses.length - 1;
		let found = -1;
		while (low <= high) {
			const middle = (low + high) >>> 1;
			if (addresses[middle]! <= address) {
				found = middle;
				low = middle + 1;
			} else {
				high = middle - 1;
			}
		}

		// A symbol's size bounds it: an address past its end lies in a function with no symbol
		// (a static function of a stripped file), which must not take its neighbour's name.
		if (found < 0 || address >= this.ends[found]!) {
			return undefined;
		}

		// .symtab names versioned symbols `name@@VERSION`: the version says nothing about the function.
		const name = cString(this.strings, this.nameOffsets[found]!);
		const at = name.indexOf('@');
		return {name: at > 0 ? name.slice(0, at) : name, address: addresses[found]!};
	}
}

/**
 * Which of several names for one address to show, lower first: a global name before a weak or
 * local one, and a name with fewer leading underscores (`malloc` before `__libc_malloc`).
 */
function rankOf(strings: Buffer, name: number, bind: number): number {
	let underscores = 0;
	while (underscores < 3 && strings[name + underscores] === 0x5F) {
		underscores++;
	}

	const bindRank = bind === bindGlobal ? 0 : (bind === bindLocal ? 2 : 1);
	return (underscores * 4) + bindRank;
}
