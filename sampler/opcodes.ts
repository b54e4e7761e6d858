// Opcode names per CPython minor version. The numbering of instructions, and above all of
// their specialised forms (BINARY_OP_ADD_INT, LOAD_ATTR_INSTANCE_VALUE, ...), changes with
// every minor version, so each version's table is generated from that interpreter
// (scripts/generate-opcodes.py) and shipped as data: the target's own table, never a guess.
import {versionData} from './version-data.js';

type OpcodeTable = {
	readonly version: string;
	/** Opcode number → name, for base, specialised and instrumented instructions. */
	readonly names: Readonly<Record<string, string>>;
	/** Specialised opcode number → the base opcode it stands in for. */
	readonly deopt: Readonly<Record<string, number>>;
	/** Base opcode number → inline cache words that follow the instruction (absent: none). */
	readonly caches: Readonly<Record<string, number>>;
};

const tables = {
	/** opcodes/3.X.json for a version ("3.13"), read on first use; undefined for a version with none. */
	get(minor: string): OpcodeTable | undefined {
		return /^3\.(?:[89]|1[0-5])$/.test(minor) ? versionData(`opcodes/${minor}.json`) as OpcodeTable | undefined : undefined;
	},
};

/** "3.13" from "3.13", "3.13.1" or "3.13.0rc2+". */
function minorOf(version: string): string {
	return /^(\d+\.\d+)/.exec(version)?.[1] ?? version;
}

/** The instruction's name as that version's interpreter names it; `<N>` when it has none. */
export function opcodeName(version: string, opcode: number): string {
	return tables.get(minorOf(version))?.names[opcode] ?? `<${opcode}>`;
}

/** The base (deoptimised) opcode of a specialised one; the opcode itself otherwise. */
export function opcodeBase(version: string, opcode: number): number {
	return tables.get(minorOf(version))?.deopt[opcode] ?? opcode;
}

export function isSpecialized(version: string, opcode: number): boolean {
	return opcodeBase(version, opcode) !== opcode;
}

/** Tachyon's display form: `SPECIALIZED (BASE)` for a specialised opcode, else just the name. */
export function formatOpcode(version: string, opcode: number): string {
	const name = opcodeName(version, opcode);
	const base = opcodeBase(version, opcode);
	return base === opcode ? name : `${name} (${opcodeName(version, base)})`;
}

/** Per opcode number (specialised ones too), the inline cache words after the instruction. */
export function inlineCaches(version: string): Uint8Array {
	const caches = new Uint8Array(256);
	const table = tables.get(minorOf(version));
	if (table) {
		for (let opcode = 0; opcode < 256; opcode++) {
			caches[opcode] = table.caches[table.deopt[opcode] ?? opcode] ?? 0;
		}
	}

	return caches;
}

/**
 * Per opcode number, 1 where the instruction calls something (CALL and its specialised and
 * instrumented forms, 3.11's PRECALL): a top frame stopped on one is waiting for its callee,
 * which is C code when no Python frame sits above it.
 */
export function callOpcodes(version: string): Uint8Array {
	const calls = new Uint8Array(256);
	const table = tables.get(minorOf(version));
	if (table) {
		for (const [number, name] of Object.entries(table.names)) {
			const base = table.names[table.deopt[number] ?? Number(number)] ?? name;
			if (/^(INSTRUMENTED_)?(CALL|PRECALL)/.test(base)) {
				calls[Number(number)] = 1;
			}
		}
	}

	return calls;
}
