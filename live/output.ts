// Writes an exporter's result where the user asked: stdout, a file, or a directory. The place
// is checked before sampling starts (checkOutput), so a capture is never lost to a typo in -o;
// a write that still fails at the end falls back to the current or the temporary directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {UserError} from '../common/errors.js';
import {terminalText} from '../common/terminal-text.js';
import {defaultOutputName, type FormatInfo} from '../exporters/formats.js';
import type {ExportOptions, Exporter} from '../exporters/index.js';
import type {Profile} from '../exporters/model.js';

/** Where a format's output goes: -o as given, inside -o if it is a directory, else Tachyon's default name. */
export function outputPathFor(format: FormatInfo, pid: number, output: string | undefined): string {
	if (output === undefined) {
		return defaultOutputName(format, pid);
	}

	if (format.extension !== undefined && fs.existsSync(output) && fs.statSync(output).isDirectory()) {
		return path.join(output, defaultOutputName(format, pid));
	}

	// A heatmap is a directory; `-o heat.html` means `heat`.
	return format.extension === undefined ? output.replace(/\.html?$/i, '') : output;
}

/** The names of our own stdout that -o may be given (`-o /dev/stdout | gzip`). */
function namesStdout(file: string): boolean {
	const resolved = path.resolve(file);
	return resolved === '/dev/stdout' || resolved === '/dev/fd/1' || resolved === '/proc/self/fd/1' || resolved === `/proc/${process.pid}/fd/1`;
}

/**
 * Writes `data` to `file`. When stdout is a socket (a socketpair given by a CI runner, systemd
 * or a program's spawn), /dev/stdout cannot be opened again (ENXIO: a socket is no file to
 * open), so the data goes through the stdout already open, as the pstats table does.
 */
function writeFileOrStdout(file: string, data: string | Uint8Array): void {
	try {
		fs.writeFileSync(file, data);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ENXIO' || !namesStdout(file)) {
			throw error;
		}

		process.stdout.write(data);
	}
}

/**
 * Exports the profile. Returns the path written, or undefined when the text went to stdout
 * (pstats without -o prints its table).
 */
export function writeExport(format: Exporter, profile: Profile, options: ExportOptions, output: string | undefined, toStdout: boolean): string | undefined {
	const result = format.export(profile, {...options, toFile: !toStdout});
	if (toStdout && result.kind === 'file' && typeof result.data === 'string') {
		process.stdout.write(result.data);
		return undefined;
	}

	const target = outputPathFor(format, profile.meta.pid, output);
	if (result.kind === 'file') {
		fs.mkdirSync(path.dirname(path.resolve(target)), {recursive: true});
		writeFileOrStdout(target, result.data);
	} else {
		fs.mkdirSync(target, {recursive: true});
		for (const [name, data] of result.files) {
			fs.mkdirSync(path.dirname(path.join(target, name)), {recursive: true});
			fs.writeFileSync(path.join(target, name), data);
		}
	}

	return target;
}

/** The path itself, or its nearest ancestor that exists. */
function nearestExisting(file: string): string {
	let at = file;
	while (!fs.existsSync(at) && path.dirname(at) !== at) {
		at = path.dirname(at);
	}

	return at;
}

function accessError(file: string, mode: number): string | undefined {
	try {
		fs.accessSync(file, mode);
		return undefined;
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		return code === 'EROFS' ? 'a read-only file system' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (error as Error).message;
	}
}

/** The real path of `existing` (a link to /proc stays a link to /proc). */
function realPath(existing: string): string {
	try {
		return fs.realpathSync(existing);
	} catch {
		return existing;
	}
}

const kernelFileSystem = /^\/(proc|sys)(\/|$)/;

/**
 * Why files cannot be created in the folder `existing` (the nearest existing folder of a place
 * to write, whose real path is `real`), or undefined: a kernel file system, not a directory,
 * or not writable.
 */
function folderError(existing: string, real: string): string | undefined {
	if (kernelFileSystem.test(real)) {
		return `${real} is a kernel file system (/proc, /sys), not a place for a profile`;
	}

	if (!fs.statSync(existing).isDirectory()) {
		return `${existing} is not a directory`;
	}

	const denied = accessError(existing, fs.constants.W_OK | fs.constants.X_OK);
	return denied ? `cannot create files in ${existing} (${denied})` : undefined;
}

/**
 * Checks, before anything is sampled, that the output can be written: not under /proc or /sys
 * (kernel files: a write fails, and creating folders there never ends), its folder (or the
 * nearest one that exists, as the rest is created) a writable directory, an existing file
 * writable, a heatmap's place not a file. `pid` names the default file; `protect` are files
 * the output must not replace (the script being profiled). Throws a one-line UserError.
 */
export function checkOutput(format: FormatInfo, pid: number, output: string | undefined, protect: readonly string[] = []): void {
	const target = path.resolve(outputPathFor(format, pid, output));
	const shown = output ?? target;
	const existing = nearestExisting(target);
	// A pipe, a terminal or a device (-o /dev/stdout into `| gzip`): written as it is.
	if (existing === target && format.extension !== undefined) {
		const stat = fs.statSync(target);
		if (stat.isFIFO() || stat.isCharacterDevice() || stat.isSocket()) {
			return;
		}
	}

	const real = realPath(existing);
	if (kernelFileSystem.test(real)) {
		throw new UserError(`-o ${shown}: ${real} is a kernel file system (/proc, /sys), not a place for a profile`, 2);
	}

	if (protect.some(file => fs.existsSync(file) && fs.realpathSync(file) === real)) {
		throw new UserError(`-o ${shown} is the script being profiled: writing the profile there would replace it`, 2);
	}

	if (existing === target) {
		const stat = fs.statSync(existing);
		if (format.extension === undefined && !stat.isDirectory()) {
			throw new UserError(`-o ${shown}: ${target} exists and is not a directory (a heatmap is a directory of pages)`, 2);
		}

		if (format.extension !== undefined && stat.isDirectory()) {
			throw new UserError(`-o ${shown}: ${target} is a directory`, 2);
		}

		const denied = accessError(target, stat.isDirectory() ? fs.constants.W_OK | fs.constants.X_OK : fs.constants.W_OK);
		if (denied) {
			throw new UserError(`-o ${shown}: cannot write ${target} (${denied})`, 2);
		}

		return;
	}

	const problem = folderError(existing, real);
	if (problem) {
		throw new UserError(`-o ${shown}: ${problem}`, 2);
	}
}

/**
 * Why no file can be created in `folder` (or in the folders to be made below its nearest
 * existing one), or undefined: the check checkOutput makes of an output's folder. The live
 * view's exports check theirs with it before anything is sampled.
 */
export function folderProblem(folder: string): string | undefined {
	const absolute = absoluteFolder(folder);
	if (absolute === undefined) {
		return 'the current directory was removed';
	}

	const existing = nearestExisting(absolute);
	return folderError(existing, realPath(existing));
}

/** `folder` made absolute; undefined when it is relative and the current directory was removed (process.cwd() throws then). */
export function absoluteFolder(folder: string): string | undefined {
	try {
		return path.resolve(folder);
	} catch {
		return undefined;
	}
}

export type WrittenExport = {
	/** Where the output went (undefined: stdout). */
	readonly path: string | undefined;
	/** The place asked for and why it failed, when the output went elsewhere. */
	readonly failed?: {readonly path: string; readonly reason: string};
};

/** The line that says an output went elsewhere than asked, and why; undefined when it went where asked. */
export function fallbackNote(written: WrittenExport): string | undefined {
	return written.failed ? `could not write ${terminalText(written.failed.path)}: ${terminalText(written.failed.reason)}; the profile goes to ${terminalText(written.path ?? '')} instead` : undefined;
}

/** The current directory, or none when it was removed while we ran (process.cwd() throws then). */
function currentDirectory(): string[] {
	try {
		return [process.cwd()];
	} catch {
		return [];
	}
}

export type FallBackOptions = {
	/** The live view's exports: a fallback name already taken gets a suffix (freePath), as the first did. */
	readonly keepEarlier?: boolean;
	/** Why the place asked for is not even tried (its folder checked bad: under /proc, creating it would never end). */
	readonly refused?: string | undefined;
};

/**
 * writeExport, and when the place asked for fails at the end (disk full, removed folder,
 * permissions changed while sampling), the same output under its default name in the current
 * directory, else in the temporary directory: the capture is not lost.
 */
export function writeExportOrFallBack(format: Exporter, profile: Profile, options: ExportOptions, output: string | undefined, toStdout: boolean, fallBack: FallBackOptions = {}): WrittenExport {
	let reason = fallBack.refused;
	if (reason === undefined) {
		try {
			return {path: writeExport(format, profile, options, output, toStdout)};
		} catch (error) {
			reason = (error as Error).message;
		}
	}

	const failedPath = outputPathFor(format, profile.meta.pid, output);
	for (const folder of [...currentDirectory(), os.tmpdir()]) {
		const named = path.join(folder, defaultOutputName(format, profile.meta.pid));
		const fallback = fallBack.keepEarlier ? freePath(named, format.extension) : named;
		if (path.resolve(fallback) === path.resolve(failedPath)) {
			continue;
		}

		try {
			return {path: writeExport(format, profile, options, fallback, false), failed: {path: failedPath, reason}};
		} catch {
			// The next folder.
		}
	}

	throw new UserError(`could not write ${failedPath}: ${reason}`);
}

/** `file` if free, else `file_1`, `file_2`… before the extension: an export never overwrites an earlier one. */
export function freePath(file: string, extension: string | undefined): string {
	if (!fs.existsSync(file)) {
		return file;
	}

	const suffix = extension === undefined ? '' : `.${extension}`;
	const base = suffix && file.endsWith(suffix) ? file.slice(0, -suffix.length) : file;
	for (let index = 1; ; index++) {
		const candidate = `${base}_${index}${suffix}`;
		if (!fs.existsSync(candidate)) {
			return candidate;
		}
	}
}
