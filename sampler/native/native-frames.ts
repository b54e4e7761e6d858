// Turns an unwound native frame into a frame of its own kind: file = the ELF's name, function =
// the demangled symbol (or `module+0xADDRESS` where no symbol covers it), line 0. Also says
// which frames are the interpreter's own machinery (the eval loop, the call protocol, process
// and thread start-up), hidden unless --native-stacks=all: they stand between every pair of
// Python frames and say nothing about the program. Interned once per (file, address).
import type {FrameTable} from '../frame-table.js';
import {demangle} from './demangle.js';
import type {ElfModule} from './elf-module.js';

export type NativeFrameInfo = {
	readonly id: number;
	/** Interpreter machinery or start-up code: not shown by default. */
	readonly internal: boolean;
	/** The interpreter's eval function by its symbol (where the frame-address test cannot tell). */
	readonly evalFunction: boolean;
	/** In the interpreter or libc: below the outermost Python frame, such frames are start-up code. */
	readonly startUp: boolean;
};

/** The interpreter's call machinery, by symbol. Its static functions have no symbol in stripped builds: those are hidden too. */
const interpreterInternal = /^(?:_?PyEval_|_?PyObject_(?:Call|Vectorcall|FastCall|MakeTpCall|VectorcallTstate)|_?PyVectorcall_|_?PyFunction_|_?PyCFunction_|PyCMethod_|_?PyMethod_|_Py_(?:BuiltinCall|Call|CheckFunctionResult|Vectorcall)|Py_(?:RunMain|BytesMain|Main)|_?PyRun_|pymain_|pyrun_|run_(?:mod|eval_code_obj)|cfunction_|method_vectorcall|vectorcall_|slot_tp_|thread_run|pythread_wrapper|builtin_exec|exec_code_in|object_vacall|call_function|do_call_core|function_code_fastcall|_PyObject_Vectorcall|main$|_start$)/;
/** The eval function of each version (3.8+), whose frames the Python frames replace. */
const evalFunctions = new Set(['_PyEval_EvalFrameDefault', 'PyEval_EvalFrameEx', '_PyEval_EvalFrame']);
/** libc's process and thread start-up, below the interpreter's. */
const startUp = new Set(['_start', '__libc_start_main', '__libc_start_call_main', 'start_thread', 'clone', 'clone3', '__clone', '__clone3', '__clone_internal']);

export class NativeFrames {
	private readonly frameTable: FrameTable;
	private readonly interpreterPaths: ReadonlySet<string>;
	private readonly cache = new Map<ElfModule, Map<number, NativeFrameInfo>>();
	private unknown: NativeFrameInfo | undefined;

	/** `interpreterPaths`: the files that hold the interpreter (the python executable, libpython). */
	constructor(frameTable: FrameTable, interpreterPaths: Iterable<string>) {
		this.frameTable = frameTable;
		this.interpreterPaths = new Set(interpreterPaths);
	}

	/**
	 * The frame for file address `address` in `module`; `functionStart` is the start of its
	 * function from CFI (-1 if unknown), naming frames no symbol covers.
	 */
	frame(module: ElfModule | undefined, address: number, functionStart: number): NativeFrameInfo {
		if (!module) {
			this.unknown ??= {id: this.frameTable.intern(nativeDef('?', '<unknown native code>')), internal: false, evalFunction: false, startUp: false};
			return this.unknown;
		}

		let byAddress = this.cache.get(module);
		if (!byAddress) {
			byAddress = new Map();
			this.cache.set(module, byAddress);
		}

		let info = byAddress.get(address);
		if (!info) {
			info = this.describe(module, address, functionStart);
			byAddress.set(address, info);
		}

		return info;
	}

	private describe(module: ElfModule, address: number, functionStart: number): NativeFrameInfo {
		const symbol = module.symbol(address);
		const interpreter = this.isInterpreter(module);
		const evalFunction = symbol !== undefined && evalFunctions.has(symbol.name);
		let name: string;
		let internal: boolean;
		if (symbol) {
			name = demangle(symbol.name);
			internal = startUp.has(symbol.name) || (interpreter && (evalFunction || interpreterInternal.test(symbol.name)));
		} else {
			const start = functionStart >= 0 ? functionStart : address;
			name = `${module.name}+0x${start.toString(16)}`;
			internal = interpreter;
		}

		const startUpFile = interpreter || /^(?:libc\.so|ld-linux|libpthread)/.test(module.name);
		return {id: this.frameTable.intern(nativeDef(module.name, name)), internal, evalFunction, startUp: startUpFile};
	}

	private isInterpreter(module: ElfModule): boolean {
		return this.interpreterPaths.has(module.path) || /^(?:python\d[\d.]*|libpython\d)/.test(module.name);
	}
}

function nativeDef(filename: string, funcname: string) {
	return {filename, funcname, line: 0, endLine: 0, col: -1, endCol: -1, opcode: -1, kind: 'native' as const};
}
