// replay: converts a binary capture (ours or `python -m profiling.sampling --binary`) to any
// format, without resampling. Also loads --diff-flamegraph baselines.
import fs from 'node:fs';
import {BinaryFormatError, binaryInfo, readBinaryProfile} from '../../exporters/binary-reader.js';
import type {Exporter, ExportOptions} from '../../exporters/index.js';
import type {Profile, ProfilingMode} from '../../exporters/model.js';
import {UserError} from '../../sampler/errors.js';
import {openInBrowser} from '../browser.js';
import {outputPathFor, writeExport} from '../output.js';

function readArchive(file: string, what: string): Uint8Array {
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

function load(file: string, what: string, options: {timeline: boolean; onProgress?: (fraction: number) => void}): Profile {
	const bytes = readArchive(file, what);
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
function checkBaselineMode(file: string, baseline: Profile, mode: ProfilingMode): void {
	if (baseline.meta.mode !== mode) {
		throw new UserError(`baseline ${file} was captured in ${baseline.meta.mode} mode, this profile is in ${mode} mode: compare captures of the same mode`, 2);
	}
}

/** A --diff-flamegraph baseline: a binary capture, as a profile (of `mode`, when given). */
export function loadBaseline(file: string, mode?: ProfilingMode): Profile {
	const baseline = load(file, 'baseline file', {timeline: false});
	if (mode !== undefined) {
		checkBaselineMode(file, baseline, mode);
	}

	return baseline;
}

/** A progress bar on stderr, only when it is a terminal. */
function progressBar(total: number): ((fraction: number) => void) | undefined {
	if (!process.stderr.isTTY) {
		return undefined;
	}

	return fraction => {
		const width = 40;
		const done = Math.round(fraction * width);
		process.stderr.write(`\r  [${'█'.repeat(done)}${'░'.repeat(width - done)}] ${(fraction * 100).toFixed(1).padStart(5)}% of ${total.toLocaleString('en-US')}${fraction >= 1 ? '\n' : ''}`);
	};
}

export type ReplayConfig = {
	readonly file: string;
	readonly format: Exporter;
	readonly exportOptions: ExportOptions;
	readonly output: string | undefined;
	readonly browser: boolean;
	/** The --diff-flamegraph file, for messages. */
	readonly baselineFile?: string;
};

export function replay(config: ReplayConfig): number {
	const bytes = readArchive(config.file, 'file');
	let info;
	try {
		info = binaryInfo(bytes);
	} catch (error) {
		throw error instanceof BinaryFormatError ? new UserError(`${config.file}: ${error.message}`) : error;
	}

	const banner = `Replaying ${info.samples.toLocaleString('en-US')} samples from ${config.file}\n`
		+ `  Sample interval: ${info.intervalUs} us\n  Compression: ${info.compression}\n`;
	// On a terminal the banner introduces the progress bar; elsewhere it follows a successful read,
	// so a bad file gives exactly one line.
	const progress = progressBar(info.samples);
	if (progress) {
		process.stderr.write(banner);
	}

	const profile = load(config.file, 'file', {timeline: config.format.needsTimeline, onProgress: progress});
	if (config.exportOptions.baseline && config.baselineFile !== undefined) {
		checkBaselineMode(config.baselineFile, config.exportOptions.baseline, profile.meta.mode);
	}
	if (!progress) {
		process.stderr.write(banner);
	}
	// Default names carry our own pid, as Tachyon's replay does: the target is long gone.
	const toStdout = config.format.id === 'pstats' && config.output === undefined;
	const target = toStdout ? undefined : outputPathFor(config.format, process.pid, config.output);
	const path = writeExport(config.format, profile, config.exportOptions, target, toStdout);
	if (path) {
		process.stderr.write(`Wrote ${config.format.description} to ${path}\n`);
		if (config.browser && config.format.html) {
			openInBrowser(path);
		}
	}

	return 0;
}
