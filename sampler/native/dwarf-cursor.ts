// A bounds-checked little-endian reader over DWARF bytes: fixed-size integers, LEB128 and the
// DW_EH_PE pointer encodings of .eh_frame. Values are numbers: every address and offset in a
// user-space x86-64 or aarch64 image fits a double exactly. Truncated data throws DwarfError.

export class DwarfError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'DwarfError';
	}
}

/** DW_EH_PE_*: the low nibble is the value's format, bits 4–6 what it is relative to. */
export const PointerEncoding = {
	absptr: 0x00,
	uleb128: 0x01,
	udata2: 0x02,
	udata4: 0x03,
	udata8: 0x04,
	sleb128: 0x09,
	sdata2: 0x0A,
	sdata4: 0x0B,
	sdata8: 0x0C,
	pcrel: 0x10,
	textrel: 0x20,
	datarel: 0x30,
	funcrel: 0x40,
	aligned: 0x50,
	indirect: 0x80,
	omit: 0xFF,
} as const;

const twoTo32 = 4_294_967_296;

export class DwarfCursor {
	readonly data: Buffer;
	offset: number;
	/** Where byte 0 of `data` is loaded (for pc-relative pointers), and the data base (datarel). */
	readonly baseAddress: number;
	dataBase = 0;

	constructor(data: Buffer, offset = 0, baseAddress = 0) {
		this.data = data;
		this.offset = offset;
		this.baseAddress = baseAddress;
	}

	get atEnd(): boolean {
		return this.offset >= this.data.length;
	}

	private need(bytes: number): number {
		const at = this.offset;
		if (at + bytes > this.data.length || at < 0) {
			throw new DwarfError(`truncated call-frame data at offset ${at}`);
		}

		this.offset += bytes;
		return at;
	}

	u8(): number {
		return this.data[this.need(1)]!;
	}

	i8(): number {
		return this.data.readInt8(this.need(1));
	}

	u16(): number {
		return this.data.readUInt16LE(this.need(2));
	}

	i16(): number {
		return this.data.readInt16LE(this.need(2));
	}

	u32(): number {
		return this.data.readUInt32LE(this.need(4));
	}

	i32(): number {
		return this.data.readInt32LE(this.need(4));
	}

	u64(): number {
		const at = this.need(8);
		return this.data.readUInt32LE(at) + (this.data.readUInt32LE(at + 4) * twoTo32);
	}

	i64(): number {
		const at = this.need(8);
		return this.data.readUInt32LE(at) + (this.data.readInt32LE(at + 4) * twoTo32);
	}

	uleb(): number {
		let result = 0;
		let scale = 1;
		for (;;) {
			const byte = this.u8();
			result += (byte & 0x7F) * scale;
			scale *= 128;
			if ((byte & 0x80) === 0) {
				return result;
			}
		}
	}

	sleb(): number {
		let result = 0;
		let scale = 1;
		for (;;) {
			const byte = this.u8();
			result += (byte & 0x7F) * scale;
			scale *= 128;
			if ((byte & 0x80) === 0) {
				return (byte & 0x40) === 0 ? result : result - scale;
			}
		}
	}

	/** A NUL-terminated string. */
	string(): string {
		const end = this.data.indexOf(0, this.offset);
		if (end < 0) {
			throw new DwarfError('unterminated string in call-frame data');
		}

		const text = this.data.toString('latin1', this.offset, end);
		this.offset = end + 1;
		return text;
	}

	/** A pointer in DW_EH_PE `encoding`; `funcBase` serves funcrel. Indirect pointers are not followed. */
	pointer(encoding: number, funcBase = 0): number {
		if (encoding === PointerEncoding.omit) {
			return 0;
		}

		const position = this.baseAddress + this.offset;
		let value: number;
		switch (encoding & 0x0F) {
			case PointerEncoding.absptr:
			case PointerEncoding.udata8: {
				value = this.u64();
				break;
			}

			case PointerEncoding.uleb128: {
				value = this.uleb();
				break;
			}

			case PointerEncoding.udata2: {
				value = this.u16();
				break;
			}

			case PointerEncoding.udata4: {
				value = this.u32();
				break;
			}

			case PointerEncoding.sleb128: {
				value = this.sleb();
				break;
			}

			case PointerEncoding.sdata2: {
				value = this.i16();
				break;
			}

			case PointerEncoding.sdata4: {
				value = this.i32();
				break;
			}

			case PointerEncoding.sdata8: {
				value = this.i64();
				break;
			}

			default: {
				throw new DwarfError(`unknown pointer encoding 0x${encoding.toString(16)}`);
			}
		}

		switch (encoding & 0x70) {
			case 0: {
				return value;
			}

			case PointerEncoding.pcrel: {
				return position + value;
			}

			case PointerEncoding.datarel: {
				return this.dataBase + value;
			}

			case PointerEncoding.funcrel: {
				return funcBase + value;
			}

			default: {
				// textrel and aligned are not produced by the toolchains we read.
				throw new DwarfError(`unsupported pointer application 0x${(encoding & 0x70).toString(16)}`);
			}
		}
	}

	/** Size in bytes of a fixed-size encoding (for the eh_frame_hdr table), or 0. */
	static fixedSize(encoding: number): number {
		switch (encoding & 0x0F) {
			case PointerEncoding.udata2:
			case PointerEncoding.sdata2: {
				return 2;
			}

			case PointerEncoding.udata4:
			case PointerEncoding.sdata4: {
				return 4;
			}

			case PointerEncoding.absptr:
			case PointerEncoding.udata8:
			case PointerEncoding.sdata8: {
				return 8;
			}

			default: {
				return 0;
			}
		}
	}
}
