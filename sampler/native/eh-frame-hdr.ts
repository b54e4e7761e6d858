// .eh_frame_hdr: the linker's sorted table of (function start, FDE address) pairs, so the FDE
// for an address is found by binary search in the file's bytes, without reading .eh_frame.
import {DwarfCursor, PointerEncoding} from './dwarf-cursor.js';

export class EhFrameHdr {
	private readonly data: Buffer;
	private readonly address: number;
	private readonly tableAt: number;
	private readonly count: number;
	private readonly entrySize: number;
	private readonly tableEncoding: number;
	/** Address of .eh_frame as the header states it. */
	readonly ehFrameAddress: number;

	private constructor(data: Buffer, address: number, tableAt: number, count: number, entrySize: number, tableEncoding: number, ehFrameAddress: number) {
		this.data = data;
		this.address = address;
		this.tableAt = tableAt;
		this.count = count;
		this.entrySize = entrySize;
		this.tableEncoding = tableEncoding;
		this.ehFrameAddress = ehFrameAddress;
	}

	/** Reads the header of the section loaded at `address`; undefined if it has no usable table. */
	static parse(data: Buffer, address: number): EhFrameHdr | undefined {
		if (data.length < 4 || data[0] !== 1) {
			return undefined;
		}

		const cursor = new DwarfCursor(data, 4, address);
		cursor.dataBase = address;
		const ehFrameAddress = cursor.pointer(data[1]!);
		const countEncoding = data[2]!;
		const tableEncoding = data[3]!;
		if (countEncoding === PointerEncoding.omit || tableEncoding === PointerEncoding.omit) {
			return undefined;
		}

		const count = cursor.pointer(countEncoding);
		const size = DwarfCursor.fixedSize(tableEncoding);
		if (size === 0 || cursor.offset + (count * size * 2) > data.length) {
			return undefined;
		}

		return new EhFrameHdr(data, address, cursor.offset, count, size * 2, tableEncoding, ehFrameAddress);
	}

	private entry(index: number, second: boolean): number {
		const cursor = new DwarfCursor(this.data, this.tableAt + (index * this.entrySize) + (second ? this.entrySize / 2 : 0), this.address);
		cursor.dataBase = this.address;
		return cursor.pointer(this.tableEncoding);
	}

	/** The address of the FDE whose function starts at or before `address` (last such), if any. */
	fdeAddressFor(address: number): number | undefined {
		let low = 0;
		let high = this.count - 1;
		let found = -1;
		while (low <= high) {
			const middle = (low + high) >>> 1;
			if (this.entry(middle, false) <= address) {
				found = middle;
				low = middle + 1;
			} else {
				high = middle - 1;
			}
		}

		return found < 0 ? undefined : this.entry(found, true);
	}
}
