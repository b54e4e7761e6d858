// The one place where CPython versions differ. Everything the unwinder reads is an offset
// in a `Layout`; 3.13+ layouts are read from the target's own `_Py_DebugOffsets` table at
// run time, 3.11 and 3.12 (which have no such table) come from built-in tables checked
// against offsetof() on real headers and against live processes (../shared/reference/peers.md §1.6).
// Absent fields are -1.
import {UserError} from '../common/errors.js';
import async311 from './layouts/async-3.11.json' with {type: 'json'};
import async312 from './layouts/async-3.12.json' with {type: 'json'};
import async313 from './layouts/async-3.13.json' with {type: 'json'};

export type PythonVersion = {
	readonly major: number;
	readonly minor: number;
	readonly micro: number;
	/** PY_VERSION_HEX, e.g. 0x030f02f0 for 3.15.2 final. */
	readonly hex: number;
	readonly text: string;
};

export type Layout = {
	readonly version: PythonVersion;
	readonly runtime: {
		readonly interpretersHead: number;
		/** 3.11 keeps one GIL for the whole runtime, at these offsets from _PyRuntime. */
		readonly gilLocked: number;
		readonly gilHolder: number;
	};
	readonly interp: {
		readonly next: number;
		readonly id: number;
		readonly threadsHead: number;
		readonly threadsMain: number;
		readonly gc: number;
		/** 3.12: a pointer in the interpreter to its GIL struct; locked/holder are then relative to that struct. */
		readonly gilPointer: number;
		readonly gilLocked: number;
		readonly gilHolder: number;
		readonly codeObjectGeneration: number;
		/** 3.13: sys.modules (`imports.modules`), from the debug table; else -1 (asyncio-objects uses its generated offset). */
		readonly importsModules: number;
	};
	readonly gc: {readonly collecting: number; readonly frame: number};
	readonly tstate: {
		readonly size: number;
		readonly next: number;
		readonly interp: number;
		/** 3.13+: the current frame pointer; else -1 and the frame is reached through cframe. */
		readonly currentFrame: number;
		readonly cframe: number;
		readonly cframeCurrentFrame: number;
		readonly baseFrame: number;
		readonly threadId: number;
		readonly nativeThreadId: number;
		readonly datastackChunk: number;
		readonly datastackTop: number;
		readonly holdsGil: number;
		readonly gilRequested: number;
		/** The exception being raised: 3.11 `curexc_type`, later `current_exception`. */
		readonly currentException: number;
		readonly excInfo: number;
	};
	readonly frame: {
		readonly size: number;
		readonly previous: number;
		readonly executable: number;
		readonly instrPtr: number;
		readonly owner: number;
		/** 3.11 only: the byte that marks a frame entered from C. */
		readonly isEntry: number;
		readonly stackpointer: number;
		/** 3.14+: f_executable is a tagged _PyStackRef whose low bits must be cleared. */
		readonly taggedExecutable: boolean;
	};
	readonly code: {
		readonly size: number;
		readonly filename: number;
		readonly name: number;
		readonly qualname: number;
		readonly linetable: number;
		readonly firstlineno: number;
		readonly codeAdaptive: number;
	};
	readonly object: {readonly type: number; readonly typeFlags: number};
	readonly unicode: {readonly length: number; readonly state: number; readonly asciiSize: number; readonly compactSize: number};
	readonly bytes: {readonly size: number; readonly data: number};
	readonly long: {readonly tag: number; readonly digits: number};
	readonly gen: {readonly frameState: number; readonly iframe: number; readonly name: number};
	readonly set: {readonly used: number; readonly mask: number; readonly table: number};
	/** Frame owners at or above this value are not Python frames (C-stack / interpreter entry frames). */
	readonly firstNonPythonOwner: number;
};

export const oldestSupported = {major: 3, minor: 11};
export const newestSupported = {major: 3, minor: 15};

export function unsupportedVersion(version: {major: number; minor: number}): UserError {
	return new UserError(`Python ${version.major}.${version.minor} is not supported (3.11–3.15 are)`);
}

export function versionFromHex(hex: number): PythonVersion {
	const major = (hex >>> 24) & 0xFF;
	const minor = (hex >>> 16) & 0xFF;
	const micro = (hex >>> 8) & 0xFF;
	const level = (hex >>> 4) & 0xF;
	const serial = hex & 0xF;
	const suffix = level === 0xA ? `a${serial}` : level === 0xB ? `b${serial}` : level === 0xC ? `rc${serial}` : '';
	return {major, minor, micro, hex, text: `${major}.${minor}.${micro}${suffix}`};
}

// 3.11 and 3.12: offsetof() from the real headers (pyenv 3.11.7 / 3.12.1, Debian 3.11.2 identical).
const shared311And312 = {
	unicode: {length: 16, state: 32},
	bytes: {size: 16, data: 32},
	object: {type: 8, typeFlags: 168},
	set: {used: 24, mask: 32, table: 40},
} as const;

function layout311(version: PythonVersion): Layout {
	return {
		version,
		runtime: {interpretersHead: 40, gilLocked: 376, gilHolder: 368},
		interp: {next: 0, id: 48, threadsHead: 16, threadsMain: -1, gc: 648, gilPointer: -1, gilLocked: -1, gilHolder: -1, codeObjectGeneration: -1, importsModules: -1},
		gc: {collecting: 200, frame: -1},
		tstate: {
			size: 360, next: 8, interp: 16, currentFrame: -1, cframe: 56, cframeCurrentFrame: 8, baseFrame: -1,
			threadId: 152, nativeThreadId: 160, datastackChunk: 296, datastackTop: 304,
			holdsGil: -1, gilRequested: -1, currentException: 96, excInfo: 120,
		},
		frame: {size: 80, previous: 48, executable: 32, instrPtr: 56, owner: 69, isEntry: 68, stackpointer: -1, taggedExecutable: false},
		code: {size: 200, filename: 112, name: 120, qualname: 128, linetable: 136, firstlineno: 72, codeAdaptive: 184},
		object: shared311And312.object,
		unicode: {...shared311And312.unicode, asciiSize: 48, compactSize: 72},
		bytes: shared311And312.bytes,
		long: {tag: 16, digits: 24},
		gen: {frameState: 75, iframe: 80, name: 48},
		set: shared311And312.set,
		firstNonPythonOwner: 3,
	};
}

function layout312(version: PythonVersion): Layout {
	return {
		version,
		runtime: {interpretersHead: 40, gilLocked: -1, gilHolder: -1},
		interp: {next: 0, id: 8, threadsHead: 72, threadsMain: -1, gc: 112, gilPointer: 384, gilLocked: 16, gilHolder: 8, codeObjectGeneration: -1, importsModules: -1},
		gc: {collecting: 200, frame: -1},
		tstate: {
			size: 288, next: 8, interp: 16, currentFrame: -1, cframe: 56, cframeCurrentFrame: 0, baseFrame: -1,
			threadId: 136, nativeThreadId: 144, datastackChunk: 232, datastackTop: 240,
			holdsGil: -1, gilRequested: -1, currentException: 96, excInfo: 104,
		},
		frame: {size: 80, previous: 8, executable: 0, instrPtr: 56, owner: 70, isEntry: -1, stackpointer: -1, taggedExecutable: false},
		code: {size: 200, filename: 112, name: 120, qualname: 128, linetable: 136, firstlineno: 68, codeAdaptive: 192},
		object: shared311And312.object,
		unicode: {...shared311And312.unicode, asciiSize: 40, compactSize: 56},
		bytes: shared311And312.bytes,
		long: {tag: 16, digits: 24},
		gen: {frameState: 67, iframe: 72, name: 24},
		set: shared311And312.set,
		firstNonPythonOwner: 3,
	};
}

// 3.13+: where each field sits *inside* _Py_DebugOffsets. The values at those positions are
// the target's own offsets. Positions move between minor versions because fields are added.
type DebugPositions = {
	interp: {id: number; next: number; threadsHead: number; threadsMain: number; gc: number; gilLocked: number; gilHolder: number; codeObjectGeneration: number; importsModules?: number};
	tstate: {size: number; next: number; interp: number; currentFrame: number; baseFrame: number; threadId: number; nativeThreadId: number; datastackChunk: number; holdsGil: number; gilRequested: number; currentException: number};
	frame: {size: number; previous: number; executable: number; instrPtr: number; owner: number; stackpointer: number};
	code: {size: number; filename: number; name: number; qualname: number; linetable: number; firstlineno: number; codeAdaptive: number};
	object: {type: number; typeFlags: number};
	unicode: {state: number; length: number; asciiSize: number; compactSize: number};
	bytes: {size: number; data: number};
	long: {tag: number; digits: number};
	set: {used: number; table: number; mask: number};
	gc: {collecting: number; frame: number};
	gen: {name: number; iframe: number; frameState: number};
	tableSize: number;
};

const debugPositions: Record<number, DebugPositions> = {
	13: {
		interp: {id: 56, next: 64, threadsHead: 72, threadsMain: -1, gc: 80, gilLocked: 136, gilHolder: 144, codeObjectGeneration: -1, importsModules: 88},
		tstate: {size: 152, next: 168, interp: 176, currentFrame: 184, baseFrame: -1, threadId: 192, nativeThreadId: 200, datastackChunk: 208, holdsGil: -1, gilRequested: -1, currentException: -1},
		frame: {size: 224, previous: 232, executable: 240, instrPtr: 248, owner: 264, stackpointer: -1},
		code: {size: 272, filename: 280, name: 288, qualname: 296, linetable: 304, firstlineno: 312, codeAdaptive: 344},
		object: {type: 360, typeFlags: 392},
		unicode: {state: 544, length: 552, asciiSize: 560, compactSize: -1},
		bytes: {size: 520, data: 528},
		long: {tag: 496, digits: 504},
		set: {used: -1, table: -1, mask: -1},
		gc: {collecting: 576, frame: -1},
		gen: {name: -1, iframe: -1, frameState: -1},
		tableSize: 584,
	},
	14: {
		interp: {id: 56, next: 64, threadsHead: 72, threadsMain: 80, gc: 88, gilLocked: 144, gilHolder: 152, codeObjectGeneration: 160},
		tstate: {size: 176, next: 192, interp: 200, currentFrame: 208, baseFrame: -1, threadId: 216, nativeThreadId: 224, datastackChunk: 232, holdsGil: -1, gilRequested: -1, currentException: -1},
		frame: {size: 248, previous: 256, executable: 264, instrPtr: 272, owner: 288, stackpointer: 296},
		code: {size: 312, filename: 320, name: 328, qualname: 336, linetable: 344, firstlineno: 352, codeAdaptive: 384},
		object: {type: 408, typeFlags: 440},
		unicode: {state: 624, length: 632, asciiSize: 640, compactSize: -1},
		bytes: {size: 600, data: 608},
		long: {tag: 576, digits: 584},
		set: {used: 504, table: 512, mask: 520},
		gc: {collecting: 656, frame: -1},
		gen: {name: 672, iframe: 680, frameState: 688},
		tableSize: 760,
	},
	15: {
		interp: {id: 56, next: 64, threadsHead: 72, threadsMain: 80, gc: 88, gilLocked: 144, gilHolder: 152, codeObjectGeneration: 160},
		tstate: {size: 176, next: 192, interp: 200, currentFrame: 208, baseFrame: 216, threadId: 240, nativeThreadId: 248, datastackChunk: 256, holdsGil: 272, gilRequested: 280, currentException: 288},
		frame: {size: 312, previous: 320, executable: 328, instrPtr: 336, owner: 352, stackpointer: 360},
		code: {size: 376, filename: 384, name: 392, qualname: 400, linetable: 408, firstlineno: 416, codeAdaptive: 448},
		object: {type: 472, typeFlags: 504},
		unicode: {state: 720, length: 728, asciiSize: 736, compactSize: 744},
		bytes: {size: 696, data: 704},
		long: {tag: 672, digits: 680},
		set: {used: 600, table: 608, mask: 616},
		gc: {collecting: 760, frame: 768},
		gen: {name: 800, iframe: 808, frameState: 816},
		tableSize: 888,
	},
};

export const debugCookie = 'xdebugpy';

/** The number of bytes of _Py_DebugOffsets to read for a given minor version. */
export function debugTableSize(minor: number): number {
	return debugPositions[minor]?.tableSize ?? 0;
}

/**
 * Builds a layout from the target's _Py_DebugOffsets bytes (3.13+). Every offset comes
 * from the target; only the positions of fields in the table are ours.
 */
export function layoutFromDebugOffsets(table: Buffer, version: PythonVersion): Layout {
	const positions = debugPositions[version.minor];
	if (!positions || table.length < positions.tableSize) {
		throw unsupportedVersion(version);
	}

	const at = (position: number) => position < 0 ? -1 : Number(table.readBigUInt64LE(position));
	const tstateSize = at(positions.tstate.size);
	const frameSize = at(positions.frame.size);
	const codeSize = at(positions.code.size);
	const check = (name: string, offset: number, size: number) => {
		if (offset >= size || offset % 1 !== 0) {
			throw new UserError(`Python ${version.text}'s debug offsets look corrupt (${name} = ${offset}, struct size ${size})`);
		}
	};

	for (const [name, position] of Object.entries(positions.frame)) {
		if (name !== 'size' && position >= 0) {
			check(`interpreter_frame.${name}`, at(position), frameSize);
		}
	}

	check('thread_state.current_frame', at(positions.tstate.currentFrame), tstateSize);
	check('code_object.qualname', at(positions.code.qualname), codeSize);

	const datastackChunk = at(positions.tstate.datastackChunk);
	const currentException = positions.tstate.currentException >= 0
		? at(positions.tstate.currentException)
		: 112; // 3.13 and 3.14: not in the table; offsetof(PyThreadState, current_exception), probed live.
	const gilLocked = at(positions.interp.gilLocked);
	const gilHolder = at(positions.interp.gilHolder);
	return {
		version,
		runtime: {interpretersHead: at(40), gilLocked: -1, gilHolder: -1},
		interp: {
			next: at(positions.interp.next),
			id: at(positions.interp.id),
			threadsHead: at(positions.interp.threadsHead),
			threadsMain: at(positions.interp.threadsMain),
			gc: at(positions.interp.gc),
			gilPointer: -1,
			gilLocked,
			gilHolder,
			codeObjectGeneration: at(positions.interp.codeObjectGeneration),
			importsModules: at(positions.interp.importsModules ?? -1),
		},
		gc: {collecting: at(positions.gc.collecting), frame: at(positions.gc.frame)},
		tstate: {
			size: tstateSize,
			next: at(positions.tstate.next),
			interp: at(positions.tstate.interp),
			currentFrame: at(positions.tstate.currentFrame),
			cframe: -1,
			cframeCurrentFrame: -1,
			baseFrame: at(positions.tstate.baseFrame),
			threadId: at(positions.tstate.threadId),
			nativeThreadId: at(positions.tstate.nativeThreadId),
			datastackChunk,
			datastackTop: datastackChunk + 8, // datastack_top follows datastack_chunk in every version.
			// 3.14 keeps holds_gil as an int at +36 (probed live); 3.13 has only the GIL holder.
			holdsGil: positions.tstate.holdsGil >= 0 ? at(positions.tstate.holdsGil) : (version.minor === 14 ? 36 : -1),
			gilRequested: at(positions.tstate.gilRequested),
			currentException,
			excInfo: currentException + 8, // exc_info always follows current_exception.
		},
		frame: {
			size: frameSize,
			previous: at(positions.frame.previous),
			executable: at(positions.frame.executable),
			instrPtr: at(positions.frame.instrPtr),
			owner: at(positions.frame.owner),
			isEntry: -1,
			stackpointer: at(positions.frame.stackpointer),
			taggedExecutable: version.minor >= 14,
		},
		code: {
			size: codeSize,
			filename: at(positions.code.filename),
			name: at(positions.code.name),
			qualname: at(positions.code.qualname),
			linetable: at(positions.code.linetable),
			firstlineno: at(positions.code.firstlineno),
			codeAdaptive: at(positions.code.codeAdaptive),
		},
		object: {type: at(positions.object.type), typeFlags: at(positions.object.typeFlags)},
		unicode: {
			state: at(positions.unicode.state),
			length: at(positions.unicode.length),
			asciiSize: at(positions.unicode.asciiSize),
			compactSize: positions.unicode.compactSize >= 0 ? at(positions.unicode.compactSize) : 56,
		},
		bytes: {size: at(positions.bytes.size), data: at(positions.bytes.data)},
		long: {tag: at(positions.long.tag), digits: at(positions.long.digits)},
		// 3.13's generator fields are not in its table (headers: gi_name 24, gi_iframe 72, gi_frame_state 67).
		gen: positions.gen.iframe >= 0
			? {name: at(positions.gen.name), iframe: at(positions.gen.iframe), frameState: at(positions.gen.frameState)}
			: {name: 24, iframe: 72, frameState: 67},
		set: positions.set.used >= 0
			? {used: at(positions.set.used), mask: at(positions.set.mask), table: at(positions.set.table)}
			: {used: 24, mask: 32, table: 40},
		firstNonPythonOwner: 3,
	};
}

/** 3.11 / 3.12 layouts, which targets do not describe themselves. */
export function builtinLayout(version: PythonVersion): Layout {
	if (version.major === 3 && version.minor === 11) {
		return layout311(version);
	}

	if (version.major === 3 && version.minor === 12) {
		return layout312(version);
	}

	throw unsupportedVersion(version);
}

/**
 * 3.11–3.13 --async-aware: offsets of the Python objects through which asyncio's tasks are
 * reached (sys.modules, dicts, sets, instance attributes) and of the C Task object's fields.
 * Measured in a live interpreter of each version by scripts/generate-async-layouts.py.
 */
export type AsyncObjectLayout = {
	/** PyInterpreterState → its sys.modules dict (3.11 `modules`, 3.12+ `imports.modules`). */
	readonly interpModules: number;
	readonly moduleDict: number;
	readonly dict: {readonly used: number; readonly keys: number; readonly values: number};
	readonly dictKeys: {readonly log2_size: number; readonly log2_index_bytes: number; readonly kind: number; readonly nentries: number; readonly indices: number};
	/** Where a split dict's value array starts inside its PyDictValues. */
	readonly valuesArray: number;
	/** Managed dict pointer (3.12: dict-or-values word), relative to the object: negative. */
	readonly managedDict: number;
	/** 3.11: the values pointer, relative to the object. */
	readonly valuesPointer: number;
	readonly instanceValues: 'pointer' | 'tagged' | 'inline';
	readonly yieldFrom: 'resume-oparg' | 'frame-state';
	readonly type: {readonly name: number; readonly basicsize: number; readonly cachedKeys: number};
	readonly set: {readonly used: number; readonly mask: number; readonly table: number};
	readonly tuple: {readonly size: number; readonly items: number};
	readonly list: {readonly size: number; readonly items: number};
	readonly functionClosure: number;
	readonly cellRef: number;
	readonly methodSelf: number;
	/** PyCFunctionObject m_self: the object a builtin method is bound to. */
	readonly cfunctionSelf: number;
	readonly weakrefObject: number;
	readonly task: {
		readonly size: number; readonly loop: number; readonly coro: number; readonly name: number; readonly futWaiter: number;
		readonly callback0: number; readonly callbacks: number; readonly callbackEntryIsTuple: boolean; readonly state: number;
	};
	/** _PyInterpreterFrame: stacktop (an int, in words from localsplus) and localsplus. */
	readonly frame: {readonly stacktop: number; readonly localsplus: number};
};

const asyncObjectLayouts: Record<number, AsyncObjectLayout> = {
	11: async311 as AsyncObjectLayout,
	12: async312 as AsyncObjectLayout,
	13: async313 as AsyncObjectLayout,
};

/** The asyncio object offsets of a 3.11–3.13 target; undefined for versions with task lists. */
export function asyncObjectLayout(version: PythonVersion): AsyncObjectLayout | undefined {
	return version.major === 3 ? asyncObjectLayouts[version.minor] : undefined;
}

/** The number of 30-bit digits of an int object: 3.11 keeps a signed count, 3.12+ a tag (count << 3 | sign). */
export function longDigitCount(version: PythonVersion, tagWord: number): number {
	return version.minor >= 12 ? Math.floor(tagWord / 8) : Math.abs(tagWord);
}
