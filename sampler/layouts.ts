// The one place where CPython versions differ. Everything the unwinder reads is an offset
// in a `Layout`, named as CPython 3.13+'s _Py_DebugOffsets names it. 3.13+ layouts are read
// from the target's own `_Py_DebugOffsets` table at run time; 3.8–3.12, which have no such
// table, come from tables generated from each interpreter's own headers and checked against
// it live (scripts/generate-struct-layouts.py → layouts/struct-3.X.json). How a version does
// what versions do differently (frames, line tables, async tasks, ...) is in `VersionTraits`.
// Absent fields are -1.
import {UserError} from '../common/errors.js';
import {supportedVersions} from './supported-versions.js';
import {versionData} from './version-data.js';

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
		/** 3.8–3.11 keep one GIL for the whole runtime, at these offsets from _PyRuntime. */
		readonly gilLocked: number;
		readonly gilHolder: number;
		/** 3.8: the collector's state lives in the runtime, not the interpreter. */
		readonly gc: number;
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
		/** sys.modules (`modules`, 3.12+ `imports.modules`); -1 where the table does not say (asyncio-objects then uses its generated offset). */
		readonly importsModules: number;
	};
	readonly gc: {readonly collecting: number; readonly frame: number};
	readonly tstate: {
		readonly size: number;
		readonly next: number;
		readonly interp: number;
		/** The current frame pointer (3.8–3.10: a PyFrameObject, 3.13+: an interpreter frame); else -1 and the frame is reached through cframe. */
		readonly currentFrame: number;
		readonly cframe: number;
		readonly cframeCurrentFrame: number;
		/** 3.11/3.12: the C-level frame's link to the one of the evaluation below (NULL past the thread state's root cframe); else -1. */
		readonly cframePrevious: number;
		readonly baseFrame: number;
		readonly threadId: number;
		/** 3.11+; before, the OS thread id is read from the thread's struct pthread (thread-ids.ts). */
		readonly nativeThreadId: number;
		readonly datastackChunk: number;
		readonly datastackTop: number;
		readonly holdsGil: number;
		readonly gilRequested: number;
		/** The exception being raised: `curexc_type` up to 3.11, later `current_exception`. */
		readonly currentException: number;
		readonly excInfo: number;
	};
	/** _PyErr_StackItem: one handled exception, linked to the one it interrupted. */
	readonly errStackItem: {readonly value: number; readonly previous: number};
	readonly frame: {
		/** How much of a frame to read: the whole interpreter frame, or up to the last field read of a PyFrameObject. */
		readonly size: number;
		readonly previous: number;
		readonly executable: number;
		/** Interpreter frames: the instruction pointer; -1 for frame objects. */
		readonly instrPtr: number;
		/** 3.8–3.10 frame objects: the last instruction's index (see VersionTraits.lastiInBytes); else -1. */
		readonly lasti: number;
		/** -1 for frame objects, which are all Python frames. */
		readonly owner: number;
		/** 3.11 only: the byte that marks a frame entered from C. */
		readonly isEntry: number;
		/** 3.8–3.10 frame objects: the byte that says whether the frame runs (f_executing, 3.10 f_state); else -1. */
		readonly runState: number;
		/** The value of that byte while the frame runs: 1 (f_executing) or 0 (3.10's FRAME_EXECUTING). */
		readonly running: number;
		/** 3.8–3.10 frame objects: f_gen, the generator that owns the frame (NULL for a function's); else -1. */
		readonly generator: number;
		readonly stackpointer: number;
		/** 3.14+: f_executable is a tagged _PyStackRef whose low bits must be cleared. */
		readonly taggedExecutable: boolean;
	};
	readonly code: {
		readonly size: number;
		readonly filename: number;
		readonly name: number;
		/** 3.11+; older versions have no co_qualname (VersionTraits.qualnames). */
		readonly qualname: number;
		/** The line table: co_lnotab (3.8, 3.9), co_linetable (3.10+), see VersionTraits.lineTable. */
		readonly linetable: number;
		readonly firstlineno: number;
		/** 3.11+: the bytecode, inline in the code object. */
		readonly codeAdaptive: number;
		/** 3.8–3.10: the bytecode's bytes object (co_code). */
		readonly code: number;
	};
	readonly object: {readonly type: number; readonly typeFlags: number};
	readonly unicode: {readonly length: number; readonly state: number; readonly asciiSize: number; readonly compactSize: number};
	readonly bytes: {readonly size: number; readonly data: number};
	readonly long: {readonly tag: number; readonly digits: number};
	/** A generator's frame: embedded (iframe, 3.11+) or behind a pointer (frame, 3.8–3.10). */
	readonly gen: {readonly frameState: number; readonly iframe: number; readonly frame: number; readonly name: number};
	readonly set: {readonly used: number; readonly mask: number; readonly table: number};
	/** Frame owners at or above this value are not Python frames (C-stack / interpreter entry frames). */
	readonly firstNonPythonOwner: number;
	/** sizeof(PyObject): 16, or 32 in a Py_TRACE_REFS build. */
	readonly objectHeaderSize: number;
};

/**
 * What differs between versions beyond offsets: which mechanism a version uses for something.
 * Code outside this file asks these instead of comparing minor versions.
 */
export type VersionTraits = {
	/** 3.8–3.10 link heap PyFrameObjects; 3.11+ keep interpreter frames in per-thread data stacks. */
	readonly frames: 'frame-objects' | 'interpreter-frames';
	/** The line table's format: co_lnotab (3.8, 3.9), 3.10's co_linetable, or PEP 626/657 locations (3.11+). */
	readonly lineTable: 'lnotab' | 'linetable-3.10' | 'locations';
	/** 3.8/3.9 count f_lasti in bytes, 3.10 in code units. */
	readonly lastiInBytes: boolean;
	/** Code objects carry their qualified name (co_qualname, 3.11+); before, frames show co_name. */
	readonly qualnames: boolean;
	/** Frames entered from C are marked (3.11 is_entry, 3.12+ entry frames): --native puts <native> between frames. */
	readonly markedEntryFrames: boolean;
	/** --async-aware: 3.14+ keep per-thread task lists for debuggers; 3.8–3.13 are read through asyncio's objects. */
	readonly asyncTasks: 'task-lists' | 'objects';
	/**
	 * gi_frame_state of a coroutine suspended in `await`: FRAME_SUSPENDED_YIELD_FROM on 3.13+; on
	 * 3.11/3.12 the one FRAME_SUSPENDED state, after which the next instruction tells (see asyncio.ts).
	 * 3.8–3.10 have no frame state in the generator (see asyncio's coroutine frames).
	 */
	readonly genAwaiting: number;
	/** gi_frame_state of a finished coroutine (FRAME_CLEARED). */
	readonly genCleared: number;
	/** 3.11/3.12: a calling frame's instruction pointer rests on the last inline cache word of its call, not on the call. */
	readonly callerOnCacheWord: boolean;
	/** How an int object records its digit count: up to 3.11 a signed count (ob_size), 3.12+ a tag (count << 3 | sign). */
	readonly intSize: 'signed-count' | 'tagged';
	/**
	 * What the outermost frame of a whole thread stack is, so that a chain read while it unwinds
	 * (cut at a frame whose caller link was just cleared) is told from a stack (frame-root.ts):
	 * 3.8–3.10 a frame object that runs (a suspended generator's has no f_back), 3.11 a
	 * thread-owned frame entered from C, 3.12–3.14 an entry frame on the C stack, 3.15 the
	 * thread state's own base frame.
	 */
	readonly threadRoot: 'running-frame' | 'entry-flag' | 'c-stack' | 'base-frame';
};

export function versionTraits(version: PythonVersion): VersionTraits {
	const {minor} = version;
	return {
		frames: minor <= 10 ? 'frame-objects' : 'interpreter-frames',
		lineTable: minor <= 9 ? 'lnotab' : (minor === 10 ? 'linetable-3.10' : 'locations'),
		lastiInBytes: minor <= 9,
		qualnames: minor >= 11,
		markedEntryFrames: minor >= 11,
		asyncTasks: minor >= 14 ? 'task-lists' : 'objects',
		// 3.15 renumbered the frame states from 0 (FRAME_CREATED) up.
		genAwaiting: minor >= 15 ? 2 : -1,
		genCleared: minor >= 15 ? 5 : 4,
		callerOnCacheWord: minor === 11 || minor === 12,
		intSize: minor >= 12 ? 'tagged' : 'signed-count',
		threadRoot: minor <= 10 ? 'running-frame' : (minor === 11 ? 'entry-flag' : (minor <= 14 ? 'c-stack' : 'base-frame')),
	};
}


export function unsupportedVersion(version: {major: number; minor: number}): UserError {
	return new UserError(`Python ${version.major}.${version.minor} is not supported (${supportedVersions()} are)`);
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

/** A version from its text ("3.9.2", "3.10.0rc1+"); undefined for anything else. */
export function versionFromText(text: string): PythonVersion | undefined {
	const match = /^(\d)\.(\d+)\.(\d+)(?:(a|b|rc)(\d+))?/.exec(text);
	if (!match) {
		return undefined;
	}

	const level = {a: 0xA, b: 0xB, rc: 0xC}[match[4] as 'a' | 'b' | 'rc'] ?? 0xF;
	return versionFromHex((Number(match[1]) << 24) | (Number(match[2]) << 16) | (Number(match[3]) << 8) | (level << 4) | Number(match[5] ?? 0));
}

/**
 * Builds a layout from named entries (CPython's _Py_DebugOffsets names; -1 for an entry this
 * version does not have). Both sources of entries, the target's own table and our generated
 * tables, go through here, so every version is read by the same mapping.
 */
function layoutFromEntries(at: (name: string) => number, version: PythonVersion): Layout {
	const gilPointer = at('interpreter_state.gil_pointer');
	const frameObjects = at('frame_object.f_back') >= 0;
	const fBack = at('frame_object.f_back');
	const fCode = at('frame_object.f_code');
	const fLasti = at('frame_object.f_lasti');
	// 3.8/3.9: f_executing (1 while the frame runs); 3.10: f_state (FRAME_EXECUTING = 0).
	const fExecuting = at('frame_object.f_executing');
	const runState = fExecuting >= 0 ? fExecuting : at('frame_object.f_state');
	const fGen = at('frame_object.f_gen');
	return {
		version,
		runtime: {
			interpretersHead: at('runtime_state.interpreters_head'),
			gilLocked: at('runtime_state.gil_locked'),
			gilHolder: at('runtime_state.gil_holder'),
			gc: at('runtime_state.gc'),
		},
		interp: {
			next: at('interpreter_state.next'),
			id: at('interpreter_state.id'),
			threadsHead: at('interpreter_state.threads_head'),
			threadsMain: at('interpreter_state.threads_main'),
			gc: at('interpreter_state.gc'),
			gilPointer,
			gilLocked: gilPointer >= 0 ? at('gil_runtime_state.locked') : at('interpreter_state.gil_runtime_state_locked'),
			gilHolder: gilPointer >= 0 ? at('gil_runtime_state.last_holder') : at('interpreter_state.gil_runtime_state_holder'),
			codeObjectGeneration: at('interpreter_state.code_object_generation'),
			importsModules: at('interpreter_state.imports_modules'),
		},
		gc: {collecting: at('gc.collecting'), frame: at('gc.frame')},
		tstate: {
			size: at('thread_state.size'),
			next: at('thread_state.next'),
			interp: at('thread_state.interp'),
			currentFrame: at('thread_state.current_frame'),
			cframe: at('thread_state.cframe'),
			cframeCurrentFrame: at('cframe.current_frame'),
			// _PyCFrame's `previous` comes right after `current_frame` in 3.11 and 3.12.
			cframePrevious: at('cframe.current_frame') >= 0 ? at('cframe.current_frame') + 8 : -1,
			baseFrame: at('thread_state.base_frame'),
			threadId: at('thread_state.thread_id'),
			nativeThreadId: at('thread_state.native_thread_id'),
			datastackChunk: at('thread_state.datastack_chunk'),
			datastackTop: at('thread_state.datastack_top'),
			holdsGil: at('thread_state.holds_gil'),
			gilRequested: at('thread_state.gil_requested'),
			currentException: at('thread_state.current_exception'),
			excInfo: at('thread_state.exc_info'),
		},
		errStackItem: {value: at('err_stackitem.exc_value'), previous: at('err_stackitem.previous_item')},
		frame: frameObjects
			? {
				size: Math.max(fBack, fCode, fLasti, runState, fGen) + 8,
				previous: fBack,
				executable: fCode,
				instrPtr: -1,
				lasti: fLasti,
				owner: -1,
				isEntry: -1,
				runState,
				running: fExecuting >= 0 ? 1 : 0,
				generator: fGen,
				stackpointer: -1,
				taggedExecutable: false,
			}
			: {
				size: at('interpreter_frame.size'),
				previous: at('interpreter_frame.previous'),
				executable: at('interpreter_frame.executable'),
				instrPtr: at('interpreter_frame.instr_ptr'),
				lasti: -1,
				owner: at('interpreter_frame.owner'),
				isEntry: at('interpreter_frame.is_entry'),
				runState: -1,
				running: 0,
				generator: -1,
				stackpointer: at('interpreter_frame.stackpointer'),
				taggedExecutable: version.minor >= 14,
			},
		code: {
			size: at('code_object.size'),
			filename: at('code_object.filename'),
			name: at('code_object.name'),
			qualname: at('code_object.qualname'),
			linetable: at('code_object.linetable'),
			firstlineno: at('code_object.firstlineno'),
			codeAdaptive: at('code_object.co_code_adaptive'),
			code: at('code_object.co_code'),
		},
		object: {type: at('pyobject.ob_type'), typeFlags: at('type_object.tp_flags')},
		unicode: {
			state: at('unicode_object.state'),
			length: at('unicode_object.length'),
			asciiSize: at('unicode_object.asciiobject_size'),
			compactSize: at('unicode_object.compactunicodeobject_size'),
		},
		bytes: {size: at('bytes_object.ob_size'), data: at('bytes_object.ob_sval')},
		long: {tag: at('long_object.lv_tag'), digits: at('long_object.ob_digit')},
		gen: {name: at('gen_object.gi_name'), iframe: at('gen_object.gi_iframe'), frame: at('gen_object.gi_frame'), frameState: at('gen_object.gi_frame_state')},
		set: {used: at('set_object.used'), mask: at('set_object.mask'), table: at('set_object.table')},
		firstNonPythonOwner: 3,
		objectHeaderSize: at('pyobject.size') >= 0 ? at('pyobject.size') : 16,
	};
}

// 3.8–3.12: generated from each interpreter's headers and checked against it live.
const structTableMinors: ReadonlySet<number> = new Set([8, 9, 10, 11, 12]);

/** layouts/struct-3.X.json's offsets for a 3.8–3.12 minor version, read on first use. */
function structTable(minor: number): Readonly<Record<string, number>> | undefined {
	return structTableMinors.has(minor) ? (versionData(`layouts/struct-3.${minor}.json`) as {offsets: Readonly<Record<string, number>>} | undefined)?.offsets : undefined;
}

/**
 * Debug builds (Py_DEBUG) of 3.8–3.12 whose offsets the generators found equal to the release
 * build's: Debian bullseye's python3.9d and bookworm's python3.11d (built without
 * Py_TRACE_REFS, so object headers keep their size; struct-3.9.json and struct-3.11.json, and
 * 3.11's async and opcode tables, came out the same). Others are refused.
 */
const debugBuildsLikeRelease: ReadonlySet<number> = new Set([9, 11]);

/** Why a 3.8–3.12 debug build cannot be read (undefined when its layout is the release one), naming those that can. */
export function debugBuildRefusal(version: PythonVersion): UserError | undefined {
	if (debugBuildsLikeRelease.has(version.minor)) {
		return undefined;
	}

	const read = [...debugBuildsLikeRelease].sort((a, b) => a - b).map(minor => `3.${minor}`).join(', ');
	return new UserError(`Python ${version.text} is a debug build (Py_DEBUG), which tachyon-top reads on ${read} and 3.13+ only`);
}

/** 3.8–3.12 layouts, which targets do not describe themselves. */
export function builtinLayout(version: PythonVersion): Layout {
	const table = version.major === 3 ? structTable(version.minor) : undefined;
	if (!table) {
		throw unsupportedVersion(version);
	}

	return layoutFromEntries(name => table[name] ?? -1, version);
}

// 3.13+: where each field sits *inside* _Py_DebugOffsets, under CPython's own names for it
// (Include/internal/pycore_debug_offsets.h). The values at those positions are the target's own
// offsets. Positions move between minor versions because fields are added. Only the fields we
// read are listed, and every one of them is checked on attach (checkDebugOffsets).
type DebugPositions = {readonly tableSize: number; readonly at: Readonly<Record<string, number>>};

const debugPositions: Record<number, DebugPositions> = {
	13: {
		tableSize: 584,
		at: {
			'runtime_state.size': 24, 'runtime_state.interpreters_head': 40,
			'interpreter_state.size': 48, 'interpreter_state.id': 56, 'interpreter_state.next': 64, 'interpreter_state.threads_head': 72,
			'interpreter_state.gc': 80, 'interpreter_state.imports_modules': 88,
			'interpreter_state.gil_runtime_state_locked': 136, 'interpreter_state.gil_runtime_state_holder': 144,
			'thread_state.size': 152, 'thread_state.next': 168, 'thread_state.interp': 176, 'thread_state.current_frame': 184,
			'thread_state.thread_id': 192, 'thread_state.native_thread_id': 200, 'thread_state.datastack_chunk': 208,
			'interpreter_frame.size': 224, 'interpreter_frame.previous': 232, 'interpreter_frame.executable': 240,
			'interpreter_frame.instr_ptr': 248, 'interpreter_frame.owner': 264,
			'code_object.size': 272, 'code_object.filename': 280, 'code_object.name': 288, 'code_object.qualname': 296,
			'code_object.linetable': 304, 'code_object.firstlineno': 312, 'code_object.co_code_adaptive': 344,
			'pyobject.size': 352, 'pyobject.ob_type': 360,
			'type_object.size': 368, 'type_object.tp_flags': 392,
			'long_object.size': 488, 'long_object.lv_tag': 496, 'long_object.ob_digit': 504,
			'bytes_object.size': 512, 'bytes_object.ob_size': 520, 'bytes_object.ob_sval': 528,
			'unicode_object.size': 536, 'unicode_object.state': 544, 'unicode_object.length': 552, 'unicode_object.asciiobject_size': 560,
			'gc.size': 568, 'gc.collecting': 576,
		},
	},
	14: {
		tableSize: 760,
		at: {
			'runtime_state.size': 24, 'runtime_state.interpreters_head': 40,
			'interpreter_state.size': 48, 'interpreter_state.id': 56, 'interpreter_state.next': 64, 'interpreter_state.threads_head': 72,
			'interpreter_state.threads_main': 80, 'interpreter_state.gc': 88,
			'interpreter_state.gil_runtime_state_locked': 144, 'interpreter_state.gil_runtime_state_holder': 152,
			'interpreter_state.code_object_generation': 160,
			'thread_state.size': 176, 'thread_state.next': 192, 'thread_state.interp': 200, 'thread_state.current_frame': 208,
			'thread_state.thread_id': 216, 'thread_state.native_thread_id': 224, 'thread_state.datastack_chunk': 232,
			'interpreter_frame.size': 248, 'interpreter_frame.previous': 256, 'interpreter_frame.executable': 264,
			'interpreter_frame.instr_ptr': 272, 'interpreter_frame.owner': 288, 'interpreter_frame.stackpointer': 296,
			'code_object.size': 312, 'code_object.filename': 320, 'code_object.name': 328, 'code_object.qualname': 336,
			'code_object.linetable': 344, 'code_object.firstlineno': 352, 'code_object.co_code_adaptive': 384,
			'pyobject.size': 400, 'pyobject.ob_type': 408,
			'type_object.size': 416, 'type_object.tp_flags': 440,
			'set_object.size': 496, 'set_object.used': 504, 'set_object.table': 512, 'set_object.mask': 520,
			'long_object.size': 568, 'long_object.lv_tag': 576, 'long_object.ob_digit': 584,
			'bytes_object.size': 592, 'bytes_object.ob_size': 600, 'bytes_object.ob_sval': 608,
			'unicode_object.size': 616, 'unicode_object.state': 624, 'unicode_object.length': 632, 'unicode_object.asciiobject_size': 640,
			'gc.size': 648, 'gc.collecting': 656,
			'gen_object.size': 664, 'gen_object.gi_name': 672, 'gen_object.gi_iframe': 680, 'gen_object.gi_frame_state': 688,
		},
	},
	15: {
		tableSize: 888,
		at: {
			'runtime_state.size': 24, 'runtime_state.interpreters_head': 40,
			'interpreter_state.size': 48, 'interpreter_state.id': 56, 'interpreter_state.next': 64, 'interpreter_state.threads_head': 72,
			'interpreter_state.threads_main': 80, 'interpreter_state.gc': 88,
			'interpreter_state.gil_runtime_state_locked': 144, 'interpreter_state.gil_runtime_state_holder': 152,
			'interpreter_state.code_object_generation': 160,
			'thread_state.size': 176, 'thread_state.next': 192, 'thread_state.interp': 200, 'thread_state.current_frame': 208,
			'thread_state.base_frame': 216, 'thread_state.thread_id': 240, 'thread_state.native_thread_id': 248,
			'thread_state.datastack_chunk': 256, 'thread_state.holds_gil': 272, 'thread_state.gil_requested': 280,
			'thread_state.current_exception': 288,
			'interpreter_frame.size': 312, 'interpreter_frame.previous': 320, 'interpreter_frame.executable': 328,
			'interpreter_frame.instr_ptr': 336, 'interpreter_frame.owner': 352, 'interpreter_frame.stackpointer': 360,
			'code_object.size': 376, 'code_object.filename': 384, 'code_object.name': 392, 'code_object.qualname': 400,
			'code_object.linetable': 408, 'code_object.firstlineno': 416, 'code_object.co_code_adaptive': 448,
			'pyobject.size': 464, 'pyobject.ob_type': 472,
			'type_object.size': 480, 'type_object.tp_flags': 504,
			'set_object.size': 592, 'set_object.used': 600, 'set_object.table': 608, 'set_object.mask': 616,
			'long_object.size': 664, 'long_object.lv_tag': 672, 'long_object.ob_digit': 680,
			'bytes_object.size': 688, 'bytes_object.ob_size': 696, 'bytes_object.ob_sval': 704,
			'unicode_object.size': 712, 'unicode_object.state': 720, 'unicode_object.length': 728,
			'unicode_object.asciiobject_size': 736, 'unicode_object.compactunicodeobject_size': 744,
			'gc.size': 752, 'gc.collecting': 760, 'gc.frame': 768,
			'gen_object.size': 792, 'gen_object.gi_name': 800, 'gen_object.gi_iframe': 808, 'gen_object.gi_frame_state': 816,
		},
	},
};

export const debugCookie = 'xdebugpy';

/** The number of bytes of _Py_DebugOffsets to read for a version; 0 when we cannot read its table. */
export function debugTableSize(version: PythonVersion): number {
	return version.major === 3 ? debugPositions[version.minor]?.tableSize ?? 0 : 0;
}

/** Entries that are sizes of a part of a struct (the data of a str starts after them), not field offsets. */
const sizeEntries = new Set(['unicode_object.asciiobject_size', 'unicode_object.compactunicodeobject_size']);
/** No CPython struct we read comes near this; a larger "size" is not a size. */
const maxStructSize = 1 << 24;

/**
 * Checks every entry of the table we read against the size of its struct, from the same table:
 * a table that is torn, from a build we do not know, or not a table at all fails here with the
 * name of the first field out of range, instead of later as a walk that reads nonsense.
 */
function checkDebugOffsets(value: (name: string) => number, positions: DebugPositions, version: PythonVersion): void {
	const corrupt = (detail: string) => new UserError(`Python ${version.text}'s debug offsets look corrupt: ${detail}`);
	for (const name of Object.keys(positions.at)) {
		const offset = value(name);
		const struct = name.slice(0, name.indexOf('.'));
		const size = value(`${struct}.size`);
		if (name === `${struct}.size`) {
			if (offset <= 0 || offset > maxStructSize) {
				throw corrupt(`${name} = ${offset}`);
			}
		} else if (sizeEntries.has(name) ? offset > size : offset >= size) {
			throw corrupt(`${name} = ${offset} is outside ${struct} (${size} bytes)`);
		}
	}
}

/**
 * Entries that some tables lack, and what they are there. Probed live or read from the headers
 * of that version: not in its table, so not the target's word, but stable within a version.
 */
function debugFallbacks(version: PythonVersion, at: (name: string) => number): Record<string, number> {
	const currentException = at('thread_state.current_exception') >= 0 ? at('thread_state.current_exception') : 112; // 3.13, 3.14: offsetof(PyThreadState, current_exception), probed live.
	return {
		'thread_state.datastack_top': at('thread_state.datastack_chunk') + 8, // datastack_top follows datastack_chunk in every version.
		'thread_state.current_exception': currentException,
		'thread_state.exc_info': currentException + 8, // exc_info always follows current_exception.
		// 3.14 keeps holds_gil as an int at +36 (probed live); 3.13 has only the GIL holder.
		...(version.minor === 14 ? {'thread_state.holds_gil': 36} : {}),
		'err_stackitem.exc_value': 0,
		'err_stackitem.previous_item': 8,
		'unicode_object.compactunicodeobject_size': 56,
		// 3.13's generator and set fields (headers: gi_name 24, gi_iframe 72, gi_frame_state 67; set used 24, mask 32, table 40).
		'gen_object.gi_name': 24,
		'gen_object.gi_iframe': 72,
		'gen_object.gi_frame_state': 67,
		'set_object.used': 24,
		'set_object.mask': 32,
		'set_object.table': 40,
	};
}

/**
 * Builds a layout from the target's _Py_DebugOffsets bytes (3.13+). Every offset comes
 * from the target, checked against its struct's size; only the positions of fields in the
 * table (and the few fallbacks above) are ours.
 */
export function layoutFromDebugOffsets(table: Buffer, version: PythonVersion): Layout {
	const positions = version.major === 3 ? debugPositions[version.minor] : undefined;
	if (!positions || table.length < positions.tableSize) {
		throw unsupportedVersion(version);
	}

	const inTable = (name: string) => {
		const position = positions.at[name];
		return position === undefined ? -1 : Number(table.readBigUInt64LE(position));
	};

	checkDebugOffsets(inTable, positions, version);
	const fallbacks = debugFallbacks(version, inTable);
	return layoutFromEntries(name => positions.at[name] === undefined ? fallbacks[name] ?? -1 : inTable(name), version);
}

/**
 * Offsets of the Python objects read on every version: sys.modules, module and instance dicts,
 * sets, type names (thread names come from the threading module through them). Measured in a
 * live interpreter of each version by scripts/generate-async-layouts.py.
 */
export type ObjectLayout = {
	/** PyInterpreterState → its sys.modules dict (3.11 `modules`, 3.12+ `imports.modules`). */
	readonly interpModules: number;
	readonly moduleDict: number;
	readonly dict: {readonly used: number; readonly keys: number; readonly values: number};
	/** PyDictKeysObject: 3.8–3.10 keep the table size (dk_size) and {hash, key, value} entries; 3.11+ log2 sizes and a kind. */
	readonly dictKeys:
	| {readonly form: 'size'; readonly size: number; readonly nentries: number; readonly indices: number}
	| {readonly form: 'log2'; readonly log2_size: number; readonly log2_index_bytes: number; readonly kind: number; readonly nentries: number; readonly indices: number};
	/** Where a split dict's value array starts inside its PyDictValues. */
	readonly valuesArray: number;
	/** Managed dict pointer (3.12: dict-or-values word), relative to the object: negative. */
	readonly managedDict: number;
	/** 3.11: the values pointer, relative to the object. */
	readonly valuesPointer: number;
	/** Where instance attributes are: a dict at tp_dictoffset (3.8–3.10), or values behind a pointer (3.11), tagged (3.12), inline (3.13+). */
	readonly instanceValues: 'dict-offset' | 'pointer' | 'tagged' | 'inline';
	readonly type: {readonly name: number; readonly basicsize: number; readonly cachedKeys: number; readonly dictoffset: number};
	readonly set: {readonly used: number; readonly mask: number; readonly table: number};
};

/**
 * 3.11–3.13 --async-aware: besides the common objects, the offsets through which asyncio's
 * tasks are reached (tuples, lists, closures, weak references) and of the C Task object's fields.
 */
export type AsyncObjectLayout = ObjectLayout & {
	/** How to tell a coroutine suspended in `await` and find what it awaits (as _PyGen_yf does in each version). */
	readonly yieldFrom: 'yield-from-stacktop' | 'yield-from-stackdepth' | 'resume-oparg' | 'frame-state';
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
		/** 3.8/3.9: an awaiting task's wakeup is a TaskWakeupMethWrapper; its task pointer is here. */
		readonly wakeupTask?: number;
	};
	/**
	 * _PyInterpreterFrame: stacktop (an int, in words from localsplus) and localsplus; 3.8–3.10
	 * frame objects: f_stacktop (3.8/3.9, a pointer) or f_stackdepth (3.10, an int), and f_valuestack.
	 */
	readonly frame: {readonly stacktop: number; readonly localsplus: number};
};

/** layouts/async-3.X.json (3.8–3.13: asyncio's objects too; 3.14+: the common objects only), read on first use. */
function objectTable(minor: number): ObjectLayout | undefined {
	return minor >= 8 && minor <= 15 ? versionData(`layouts/async-3.${minor}.json`) as ObjectLayout | undefined : undefined;
}

/** The common object offsets of a target (every supported version). */
export function objectLayout(version: PythonVersion): ObjectLayout | undefined {
	return version.major === 3 ? objectTable(version.minor) : undefined;
}

/** The asyncio object offsets of a 3.8–3.13 target; undefined for versions with task lists. */
export function asyncObjectLayout(version: PythonVersion): AsyncObjectLayout | undefined {
	return version.major === 3 && version.minor <= 13 ? objectTable(version.minor) as AsyncObjectLayout | undefined : undefined;
}

/** The number of 30-bit digits of an int object, from its size word (see VersionTraits.intSize). */
export function longDigitCount(traits: VersionTraits, sizeWord: number): number {
	return traits.intSize === 'tagged' ? Math.floor(sizeWord / 8) : Math.abs(sizeWord);
}
