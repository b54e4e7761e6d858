// Finds a Python process's runtime: which mapped file holds `_PyRuntime`, where it sits in
// memory, which CPython it is, and the layout to read it with. Read-only, done once per attach.
import fs from 'node:fs';
import path from 'node:path';
import {readMappedElf} from './mapped-file.js';
import {permissionError} from './permission-advice.js';
import {NotPythonError, UserError} from '../common/errors.js';
import {SyscallError, errno} from './libc.js';
import {builtinLayout, debugBuildRefusal, debugCookie, debugTableSize, layoutFromDebugOffsets, unsupportedVersion, versionFromHex, versionTraits, type Layout, type PythonVersion, type VersionTraits} from './layouts.js';
import {namespacePid} from './pid-namespace.js';
import {processExists, readCmdline, readMaps, type Mapping} from './proc.js';
import {RemoteMemory, TargetGoneError} from './remote-memory.js';
import {isLibpython, mayHoldRuntime, runtimeSymbols, versionFromFileName} from './runtime-file.js';
import {versionFromMemory} from './version-text.js';

export type Target = {
	readonly pid: number;
	readonly version: PythonVersion;
	readonly layout: Layout;
	/** How this version does what versions do differently (async tasks, thread names, ...). */
	readonly traits: VersionTraits;
	readonly runtimeAddress: number;
	/** Address of PyCode_Type in the target: a frame whose executable has another type is not a Python frame. */
	readonly codeType: number;
	/** Address of Py_None, to tell "no exception" from an exception object. */
	readonly none: number;
	/** The file that holds the runtime (the python executable or libpython). */
	readonly binary: string;
	readonly command: string[];
	/** The process's PID in its own PID namespace (a container), where it differs from ours. */
	readonly nsPid?: number;
};

/** Looks for the runtime in a file mapped by the process; undefined if that file has none. */
function findRuntime(pid: number, mapping: Mapping, maps: Mapping[]) {
	// As the target sees it (also inside containers), or the mapped copy of a deleted file.
	const elf = readMappedElf(pid, mapping);
	const symbols = elf ? runtimeSymbols(elf) : undefined;
	if (!elf || !symbols) {
		return undefined;
	}

	// The first mapping of this file (offset 0) is its load base.
	const base = maps.find(other => other.path === mapping.path && other.offset === 0n)?.start ?? mapping.start;
	const bias = base - elf.loadVaddr;
	const at = (vaddr: bigint | undefined) => vaddr === undefined ? 0 : Number(vaddr + bias);
	return {
		runtime: at(symbols.runtime),
		codeType: at(symbols.codeType),
		none: at(symbols.none),
		versionWord: symbols.versionWord,
		bss: symbols.bss ? {address: at(symbols.bss.addr), size: Number(symbols.bss.size)} : undefined,
		debugBuild: symbols.debugBuild,
		binary: mapping.path,
	};
}

function pythonCandidates(maps: Mapping[]): Mapping[] {
	const seen = new Set<string>();
	const candidates: Mapping[] = [];
	for (const mapping of maps) {
		if (mayHoldRuntime(mapping.path) && !seen.has(mapping.path)) {
			seen.add(mapping.path);
			candidates.push(mapping);
		}
	}

	return candidates.sort((a, b) => Number(isLibpython(b.path)) - Number(isLibpython(a.path)));
}

export function checkProcess(pid: number): void {
	if (!Number.isInteger(pid) || pid <= 0) {
		throw new UserError(`Expected a process id, got \`${pid}\``, 2);
	}

	if (!processExists(pid)) {
		throw new UserError(`No such process: ${pid}`);
	}
}

/**
 * Reads everything needed to sample `pid`. Throws UserError with a one-line reason for a
 * missing process, a process that is not Python, an unsupported version or missing permission.
 */
export function openTarget(pid: number): Target {
	checkProcess(pid);
	let maps: Mapping[];
	try {
		maps = readMaps(pid);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'EACCES' || (error as NodeJS.ErrnoException).code === 'EPERM') {
			throw permissionError(pid, 'reading the memory map of');
		}

		throw new UserError(`No such process: ${pid}`);
	}

	const command = readCmdline(pid);
	let found: ReturnType<typeof findRuntime>;
	for (const candidate of pythonCandidates(maps)) {
		found = findRuntime(pid, candidate, maps);
		if (found) {
			break;
		}
	}

	if (!found) {
		const exe = safeReadlink(`/proc/${pid}/exe`) ?? command[0] ?? '?';
		throw new NotPythonError(`Process ${pid} (${path.basename(exe)}) is not a Python process: no CPython runtime is mapped in it`);
	}

	const memory = new RemoteMemory(pid, 4096);
	let head: Buffer;
	try {
		head = Buffer.from(memory.read(found.runtime, 24));
	} catch (error) {
		throw describeReadError(pid, error);
	}

	let layout: Layout;
	if (head.toString('latin1', 0, 8) === debugCookie) {
		const version = versionFromHex(Number(head.readBigUInt64LE(8)));
		const tableSize = debugTableSize(version);
		if (tableSize === 0) {
			throw unsupportedVersion(version);
		}

		if (head.readBigUInt64LE(16) !== 0n) {
			throw new UserError(`Python ${version.text} is a free-threaded build, which tachyon-top does not read yet`);
		}

		const table = Buffer.from(memory.read(found.runtime, tableSize));
		layout = layoutFromDebugOffsets(table, version);
		if (found.debugBuild && layout.objectHeaderSize !== 16 && version.minor < 15) {
			// Py_TRACE_REFS widens every object's header; 3.13/3.14's tables leave out offsets we then get wrong.
			throw new UserError(`Python ${version.text} is a Py_TRACE_REFS build (object headers of ${layout.objectHeaderSize} bytes), which tachyon-top reads on 3.15+ only`);
		}
	} else {
		const version = found.versionWord === undefined
			? versionFromMemory(pid, found.bss) ?? versionFromBinaryName(found.binary)
			: versionFromHex(found.versionWord);
		if (!version) {
			throw new UserError(`Cannot tell which Python process ${pid} runs (${found.binary})`);
		}

		// Our tables for 3.8–3.12 are those of release builds; Py_DEBUG may move fields.
		const refusal = found.debugBuild ? debugBuildRefusal(version) : undefined;
		if (refusal) {
			throw refusal;
		}

		layout = builtinLayout(version);
	}

	const nsPid = namespacePid(pid);
	return {
		pid,
		version: layout.version,
		layout,
		traits: versionTraits(layout.version),
		runtimeAddress: found.runtime,
		codeType: found.codeType,
		none: found.none,
		binary: found.binary,
		command,
		...(nsPid === undefined ? {} : {nsPid}),
	};
}

function versionFromBinaryName(binary: string): PythonVersion | undefined {
	const named = versionFromFileName(binary);
	// No micro version in a file name: builtinLayout refuses versions it has no table for.
	return named ? versionFromHex((named.major << 24) | (named.minor << 16) | 0xF0) : undefined;
}

function safeReadlink(file: string): string | undefined {
	try {
		return fs.readlinkSync(file);
	} catch {
		return undefined;
	}
}

/** Turns a failed first read into the message a person needs. */
export function describeReadError(pid: number, error: unknown): Error {
	if (error instanceof SyscallError && error.code === errno.EPERM) {
		return permissionError(pid, 'reading');
	}

	if (error instanceof TargetGoneError) {
		return new UserError(`No such process: ${pid}`);
	}

	return error instanceof Error ? error : new Error(String(error));
}
