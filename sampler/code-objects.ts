// The target's code objects, read once and cached by address, and the frame ids of their
// instructions.
//
// Why: reading a code object means four strings and a location table, far more than a frame
// walk itself costs, and the same few hundred code objects are on nearly every stack. So each
// is read once; (instruction, opcode) → frame id is cached inside its entry. A cached entry
// must not outlive its code object: 3.14+ say so through a generation counter that moves
// whenever code may have been freed; on older versions an entry is re-validated against the
// object's own pointers when it is older than codeRecheckMs.
import type {FrameTable} from './frame-table.js';
import {lineFrom310Table, lineFromLnotab, locationOf, type Location} from './linetable.js';
import type {RemoteStrings} from './remote-strings.js';
import type {SampleReads} from './sample-reads.js';
import type {Target} from './target.js';

export type CodeInfo = {
	readonly filename: string;
	/** co_qualname, or co_name where the version has no qualified names (3.8–3.10). */
	readonly qualname: string;
	readonly firstLine: number;
	readonly linetable: Buffer;
	/** Remote address of the first instruction. */
	readonly bytecode: number;
	/** The pointers the entry was built from, to re-validate it cheaply. */
	readonly signature: string;
	/** 3.11/3.12 --opcodes: instruction index (maybe a cache word) → index of its instruction. */
	instructionStarts?: Map<number, number>;
	/** (instruction index × 256 + opcode + 1) → frame id. */
	readonly frames: Map<number, number>;
	checkedAt: number;
};

/** Entries older than this are re-validated before use where there is no generation counter. */
const codeRecheckMs = 1000;

export class CodeObjects {
	/** The time of the sample being taken (ms), set by the unwinder. */
	now = 0;
	private readonly cache = new Map<number, CodeInfo>();
	private generation = -1;
	private readonly reads: SampleReads;
	private readonly strings: RemoteStrings;
	private readonly target: Target;
	private readonly frameTable: FrameTable;

	constructor(reads: SampleReads, strings: RemoteStrings, target: Target, frameTable: FrameTable) {
		this.reads = reads;
		this.strings = strings;
		this.target = target;
		this.frameTable = frameTable;
	}

	/** Takes this sample's code-object generation (3.14+; -1 where there is none): a new one empties the cache. */
	setGeneration(generation: number): void {
		if (generation >= 0 && generation !== this.generation) {
			this.cache.clear();
			this.generation = generation;
		}
	}

	/** The code object at `address`, or undefined when it is not one (a frame of C code, a torn read). */
	info(address: number): CodeInfo | undefined {
		const cached = this.cache.get(address);
		if (cached && (this.generation >= 0 || this.now - cached.checkedAt < codeRecheckMs)) {
			return cached;
		}

		const {layout} = this.target;
		const {memory} = this.reads;
		const at = this.reads.fetch(address, layout.code.size);
		const type = memory.pointerAt(at + layout.object.type);
		if (this.target.codeType !== 0 && type !== this.target.codeType) {
			return undefined;
		}

		const filenamePointer = memory.pointerAt(at + layout.code.filename);
		const qualnamePointer = memory.pointerAt(at + (layout.code.qualname >= 0 ? layout.code.qualname : layout.code.name));
		const linetablePointer = memory.pointerAt(at + layout.code.linetable);
		const firstLine = memory.int32At(at + layout.code.firstlineno);
		const signature = `${filenamePointer}:${qualnamePointer}:${linetablePointer}:${firstLine}`;
		if (cached && cached.signature === signature) {
			cached.checkedAt = this.now;
			return cached;
		}

		const info: CodeInfo = {
			filename: this.strings.readString(filenamePointer),
			qualname: this.strings.readString(qualnamePointer),
			firstLine,
			linetable: this.strings.readBytes(linetablePointer),
			// 3.11+ keep the bytecode in the code object; before, in its co_code bytes object.
			bytecode: layout.code.codeAdaptive >= 0 ? address + layout.code.codeAdaptive : memory.pointerAt(at + layout.code.code) + layout.bytes.data,
			signature,
			frames: new Map(),
			checkedAt: this.now,
		};
		this.cache.set(address, info);
		return info;
	}

	/** The frame id of instruction `addrq` (in code units) of `code`, with its opcode or -1. */
	frameId(code: CodeInfo, addrq: number, opcode: number): number {
		const key = (addrq * 256) + opcode + 1;
		let id = code.frames.get(key);
		if (id === undefined) {
			const location = this.locationOf(code, addrq);
			id = this.frameTable.intern({
				filename: code.filename,
				funcname: code.qualname,
				line: location.line,
				endLine: location.endLine,
				col: location.col,
				endCol: location.endCol,
				opcode,
				kind: 'python',
				firstLine: code.firstLine,
			});
			code.frames.set(key, id);
		}

		return id;
	}

	/** Where instruction `addrq` (in code units) of `code` is in the source, in this version's line table. */
	private locationOf(code: CodeInfo, addrq: number): Location {
		switch (this.target.traits.lineTable) {
			case 'lnotab': {
				return lineFromLnotab(code.linetable, code.firstLine, addrq * 2);
			}

			case 'linetable-3.10': {
				return lineFrom310Table(code.linetable, code.firstLine, addrq * 2);
			}

			default: {
				return locationOf(code.linetable, code.firstLine, addrq);
			}
		}
	}
}
