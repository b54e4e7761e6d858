// The instruction each Python frame of a sample stands on: for --opcodes, and to tell whether
// the leaf frame is calling into C (the leaf `<native>` marker of --native).
//
// Why a module: an opcode is one byte at the frame's instruction pointer, but which byte is
// the version's business. 3.11/3.12 leave a calling frame's pointer on the last inline cache
// word of its call, whose low byte is data, not an opcode; the instruction it belongs to is
// found by decoding the code from its start with the version's cache sizes.
import type {CodeInfo} from './code-objects.js';
import {callOpcodes, inlineCaches} from './opcodes.js';
import type {SampleReads} from './sample-reads.js';
import type {Target} from './target.js';

/** Code longer than this (in code units) is not decoded from its start: the opcode read is kept. */
const maxDecodedUnits = 1 << 20;

export class FrameOpcodes {
	private readonly reads: SampleReads;
	/** Per opcode, 1 for the call instructions of the target's version. */
	private readonly callOps: Uint8Array;
	/** With --opcodes where callers rest on cache words: inline cache words per opcode. */
	private readonly caches: Uint8Array | undefined;

	constructor(reads: SampleReads, target: Target, withOpcodes: boolean) {
		this.reads = reads;
		this.callOps = callOpcodes(target.version.text);
		this.caches = withOpcodes && target.traits.callerOnCacheWord ? inlineCaches(target.version.text) : undefined;
	}

	/** Whether the instruction at `ip` is a call (CALL, its specialised forms, 3.11's PRECALL). */
	isCall(ip: number): boolean {
		return this.callOps[this.reads.memory.scratch[this.reads.fetch(ip, 2)]!] === 1;
	}

	/**
	 * Reads, in one gather read, the instruction word of each Python frame of a walk (those
	 * whose `fixed` is -1). Returns where they landed: frame i's at the result + 2i.
	 */
	gather(ips: readonly number[], fixed: readonly number[], depth: number): number {
		const {reads} = this;
		const at = reads.allocate(depth * 2);
		let queued = 0;
		for (let index = 0; index < depth; index++) {
			if (fixed[index] === -1 && ips[index]! > 0) {
				reads.memory.queue(ips[index]!, 2, at + (index * 2));
				queued++;
			}
		}

		if (queued > 0) {
			reads.memory.flush();
		}

		return at;
	}

	/** The opcode of frame `index` (0: the leaf) of a gather() read at `at`. */
	opcodeOf(at: number, index: number, code: CodeInfo, addrq: number): number {
		const opcode = this.reads.memory.scratch[at + (index * 2)]!;
		return this.caches && index > 0 ? this.callerOpcode(code, addrq, opcode) : opcode;
	}

	/** The opcode of the instruction the (maybe cache) word at `addrq` belongs to. */
	private callerOpcode(code: CodeInfo, addrq: number, fallback: number): number {
		const starts = code.instructionStarts ?? (code.instructionStarts = new Map<number, number>());
		let start = starts.get(addrq);
		if (start === undefined) {
			if (addrq < 0 || addrq > maxDecodedUnits) {
				return fallback;
			}

			const {memory} = this.reads;
			const units = memory.copy(code.bytecode, (addrq + 1) * 2);
			start = 0;
			for (let unit = 0; unit <= addrq;) {
				start = unit;
				unit += 1 + this.caches![units[unit * 2]!]!;
			}

			starts.set(addrq, start);
		}

		return start === addrq ? fallback : this.reads.memory.copy(code.bytecode + (start * 2), 1)[0]!;
	}
}
