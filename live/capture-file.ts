// Reading a binary capture file (ours or Tachyon's `--binary`) into a profile: replay's input
// and the --diff-flamegraph baseline, from the command line or the live view's export menu.
import fs from 'node:fs';
import {UserError} from '../common/errors.js';
import type {ProfilingMode} from '../common/profile-types.js';
import {BinaryFormatError, readBinaryProfile} from '../exporters/binary-reader.js';
import type {Profile} from '../exporters/model.js';

export function readCapture(file: string, what: string): Uint8Array {
	try {
		const stat = fs.statSync(file);
		if (stat.isDirectory()) {
			throw new UserError(`${what} ${file} is a directory, not a binary profile`);
		}

		return fs.readFileSync(file);
	} catch (error) {
		if (error instanceof UserError) {
			throw error;
		}

		const code = (error as NodeJS.ErrnoException).code;
		throw new UserError(code === 'ENOENT' ? `No such ${what}: ${file}` : `Cannot read ${what} ${file}: ${(error as Error).message}`);
	}
}

export function loadCapture(file: string, what: string, options: {timeline: boolean; onProgress?: (fraction: number) => void}): Profile {
	const bytes = readCapture(file, what);
	try {
		return readBinaryProfile(bytes, options).profile;
	} catch (error) {
		if (error instanceof BinaryFormatError) {
			throw new UserError(`${file}: ${error.message}`);
		}

		throw error;
	}
}

/** Differences between captures of different modes mean nothing, so Tachyon refuses them; so do we. */
export function checkBaselineMode(file: string, baseline: Profile, mode: ProfilingMode): void {
	if (baseline.meta.mode !== mode) {
		throw new UserError(`baseline ${file} was captured in ${baseline.meta.mode} mode, this profile is in ${mode} mode: compare captures of the same mode`, 2);
	}
}

/** A --diff-flamegraph baseline: a binary capture, as a profile (of `mode`, when given). */
export function loadBaseline(file: string, mode?: ProfilingMode): Profile {
	const baseline = loadCapture(file, 'baseline file', {timeline: false});
	if (mode !== undefined) {
		checkBaselineMode(file, baseline, mode);
	}

	return baseline;
}
