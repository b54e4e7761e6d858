// Reading CPython objects of a target, 3.8–3.15: dicts (combined and split), sets, instance
// attributes (instance dicts, managed dicts), str, small ints, modules from sys.modules, type
// names. Shared by --async-aware (asyncio-objects.ts) and thread names (thread-names.ts).
//
// Everything here only reads the target. Offsets come from sampler/layouts/async-3.*.json.
import {longDigitCount, type ObjectLayout} from './layouts.js';
import {TornReadError} from './remote-memory.js';
import type {RemoteContext} from './remote-context.js';

/** The largest table read in one go (memory.copy lands in the reader's scratch buffer, which must hold it). */
const maxTableBytes = 1 << 19;
/** Py_TPFLAGS_MANAGED_DICT: instances keep their attributes before the object (3.11+). */
const managedDictFlag = 1 << 4;
const unicodeSubclass = 1 << 28;

/**
 * A non-negative int object's value, from up to three 30-bit digits: enough for a thread ident
 * or a task counter. Any version (the long layout comes from the target's own offsets).
 */
export function readInt(remote: RemoteContext, object: number): number {
	const {layout, traits} = remote;
	const bytes = remote.memory.copy(object, layout.long.digits + 12);
	const digits = Math.min(longDigitCount(traits, word(bytes, layout.long.tag)), 3);
	let value = 0;
	for (let index = digits - 1; index >= 0; index--) {
		value = (value * (2 ** 30)) + bytes.readUInt32LE(layout.long.digits + (index * 4));
	}

	return value;
}

export function word(buffer: Buffer, at: number): number {
	return Number(buffer.readBigUInt64LE(at));
}

/** Reads CPython objects of the target: dicts, sets, instance attributes, str, ints, modules, type names. */
export class ObjectReader<Layout extends ObjectLayout = ObjectLayout> {
	readonly layout: Layout;
	private readonly remote: RemoteContext;
	private readonly typeNames = new Map<number, string>();
	/**
	 * The text of str keys seen, by address: attribute and module-global names are interned
	 * and live as long as the process, so each is read once instead of on every sample.
	 */
	private readonly keyTexts = new Map<number, string | undefined>();

	constructor(remote: RemoteContext, layout: Layout) {
		this.remote = remote;
		this.layout = layout;
	}

	pointer(address: number): number {
		return this.remote.memory.pointer(address);
	}

	typeOf(object: number): number {
		return this.pointer(object + this.remote.layout.object.type);
	}

	/** A type's tp_name ("method", "function", ...). */
	typeName(type: number): string {
		let name = this.typeNames.get(type);
		if (name === undefined) {
			const bytes = this.remote.memory.copy(this.pointer(type + this.layout.type.name), 64);
			name = bytes.subarray(0, Math.max(bytes.indexOf(0), 0)).toString('latin1');
			this.typeNames.set(type, name);
		}

		return name;
	}

	/** A dict's (key, value) pairs, from a combined or a split table. */
	dictItems(dict: number): Array<[number, number]> {
		const values = this.pointer(dict + this.layout.dict.values);
		const items: Array<[number, number]> = [];
		for (const [index, key, value] of this.keysEntries(this.pointer(dict + this.layout.dict.keys))) {
			const resolved = values === 0 ? value : this.pointer(values + this.layout.valuesArray + (index * 8));
			if (resolved !== 0) {
				items.push([key, resolved]);
			}
		}

		return items;
	}

	/** The value under a str key, 0 if absent. */
	dictGet(dict: number, name: string): number {
		return this.dictItems(dict).find(([key]) => this.isString(key, name))?.[1] ?? 0;
	}

	/** The live keys of a set: not empty slots, nor deleted ones (the dummy key, with hash −1). */
	setKeys(set: number): number[] {
		const mask = this.pointer(set + this.layout.set.mask);
		if ((mask + 1) * 16 > maxTableBytes) {
			throw new TornReadError('not a set');
		}

		const slots = this.remote.memory.copy(this.pointer(set + this.layout.set.table), (mask + 1) * 16);
		const keys: number[] = [];
		for (let slot = 0; slot <= mask; slot++) {
			const key = word(slots, slot * 16);
			if (key !== 0 && slots.readBigInt64LE((slot * 16) + 8) !== -1n) {
				keys.push(key);
			}
		}

		return keys;
	}

	/** An instance attribute of a Python-class object, 0 if absent. */
	attribute(object: number, name: string): number {
		const {layout} = this;
		const type = this.typeOf(object);
		if (layout.instanceValues === 'dict-offset') {
			// 3.8–3.10: the instance dict is at the type's tp_dictoffset (negative: counted from the end of a variable-size object, which no object read here is).
			const offset = this.pointer(type + layout.type.dictoffset);
			const dict = offset > 0 && offset < 1 << 16 ? this.pointer(object + offset) : 0;
			return dict === 0 ? 0 : this.dictGet(dict, name);
		}

		if ((this.pointer(type + this.remote.layout.object.typeFlags) & managedDictFlag) === 0) {
			return 0;
		}

		let dict = this.pointer(object + layout.managedDict);
		let values = 0;
		if (layout.instanceValues === 'pointer') {
			values = this.pointer(object + layout.valuesPointer);
		} else if (layout.instanceValues === 'tagged' && dict % 2 === 1) {
			values = dict + 1; // 3.12 stores values − 1 in the dict word (_PyDictOrValues_SetValues).
			dict = 0;
		} else if (layout.instanceValues === 'inline' && dict === 0) {
			const inline = object + this.pointer(type + layout.type.basicsize);
			values = this.remote.memory.copy(inline + 3, 1)[0] === 0 ? 0 : inline; // PyDictValues.valid
		}

		if (dict !== 0) {
			return this.dictGet(dict, name);
		}

		if (values === 0) {
			return 0;
		}

		// The values follow the order of the type's shared keys.
		for (const [index, key] of this.keysEntries(this.pointer(type + layout.type.cachedKeys))) {
			if (this.isString(key, name)) {
				return this.pointer(values + layout.valuesArray + (index * 8));
			}
		}

		return 0;
	}

	/** The dict of a module in sys.modules (of the main interpreter), 0 while it is not imported. */
	moduleDict(name: string): number {
		const {target, layout} = this.remote;
		const interp = this.pointer(target.runtimeAddress + layout.runtime.interpretersHead);
		// 3.13 names sys.modules in its debug table; 3.11/3.12 have only the generated offset (the same figure on 3.13).
		const modulesOffset = layout.interp.importsModules >= 0 ? layout.interp.importsModules : this.layout.interpModules;
		const module = this.dictGet(this.pointer(interp + modulesOffset), name);
		return module === 0 ? 0 : this.pointer(module + this.layout.moduleDict);
	}

	int(object: number): number {
		return readInt(this.remote, object);
	}

	/** A str object's text, undefined if the object is not a str. */
	text(object: number): string | undefined {
		return this.isStr(object) ? this.remote.strings.readString(object) : undefined;
	}

	/** (index, key, value) of a PyDictKeysObject's used entries; values are 0 in split tables. */
	private keysEntries(keys: number): Array<[number, number, number]> {
		const shape = this.layout.dictKeys;
		const header = this.remote.memory.copy(keys, shape.indices);
		let tableSize: number;
		let indexBytes: number;
		// Entries are {hash, key, value}, but {key, value} in 3.11+'s unicode and split tables.
		let size = 24;
		if (shape.form === 'size') {
			// 3.8–3.10: the table size itself; the index width follows from it.
			tableSize = word(header, shape.size);
			indexBytes = tableSize <= 0xFF ? 1 : (tableSize <= 0xFFFF ? 2 : (tableSize <= 0xFFFF_FFFF ? 4 : 8));
		} else {
			const log2Size = header[shape.log2_size]!;
			const log2IndexBytes = header[shape.log2_index_bytes]!;
			if (log2Size > 24 || log2IndexBytes > log2Size + 3) {
				throw new TornReadError('not a dict keys object');
			}

			tableSize = 2 ** log2Size;
			indexBytes = 2 ** log2IndexBytes / tableSize;
			size = header[shape.kind] === 0 ? 24 : 16;
		}

		const nentries = word(header, shape.nentries);
		if (tableSize > 2 ** 24 || nentries > tableSize || nentries * 24 > maxTableBytes) {
			throw new TornReadError('not a dict keys object');
		}

		if (nentries === 0) {
			return [];
		}

		const entries = this.remote.memory.copy(keys + shape.indices + (tableSize * indexBytes), nentries * size);
		const result: Array<[number, number, number]> = [];
		for (let index = 0; index < nentries; index++) {
			const key = word(entries, (index * size) + size - 16);
			if (key !== 0) {
				result.push([index, key, word(entries, (index * size) + size - 8)]);
			}
		}

		return result;
	}

	private isString(object: number, text: string): boolean {
		if (!this.keyTexts.has(object)) {
			if (this.keyTexts.size > 100_000) {
				this.keyTexts.clear();
			}

			this.keyTexts.set(object, this.text(object));
		}

		return this.keyTexts.get(object) === text;
	}

	private isStr(object: number): boolean {
		return (this.pointer(this.typeOf(object) + this.remote.layout.object.typeFlags) & unicodeSubclass) !== 0;
	}
}
