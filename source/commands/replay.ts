// replay: converts a binary capture (ours or `python -m profiling.sampling --binary`) to any
// format, without resampling.
import {thousands} from '../../common/thousands.js';
import {BinaryFormatError, binaryInfo} from '../../exporters/binary-reader.js';
import type {Exporter, ExportOptions} from '../../exporters/index.js';
import {UserError} from '../../common/errors.js';
import {openInBrowser} from '../browser.js';
import {checkBaselineMode, loadCapture, readCapture} from '../../live/capture-file.js';
import {checkOutput, outputPathFor, writeExport} from '../../live/output.js';

/** A progress bar on stderr, only when it is a terminal. */
function progressBar(total: number): ((fraction: number) => void) | undefined {
	if (!process.stderr.isTTY) {
		return undefined;
	}

	return fraction => {
		const width = 40;
		const done = Math.round(fraction * width);
		process.stderr.write(`\r  [${'█'.repeat(done)}${'░'.repeat(width - done)}] ${(fraction * 100).toFixed(1).padStart(5)}% of ${thousands(total)}${fraction >= 1 ? '\n' : ''}`);
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
	const bytes = readCapture(config.file, 'file');
	let info;
	try {
		info = binaryInfo(bytes);
	} catch (error) {
		throw error instanceof BinaryFormatError ? new UserError(`${config.file}: ${error.message}`) : error;
	}

	const banner = `Replaying ${thousands(info.samples)} samples from ${config.file}\n`
		+ `  Sample interval: ${info.intervalUs} us\n  Compression: ${info.compression}\n`;
	// On a terminal the banner introduces the progress bar; elsewhere it follows a successful read,
	// so a bad file gives exactly one line.
	const progress = progressBar(info.samples);
	if (progress) {
		process.stderr.write(banner);
	}

	const profile = loadCapture(config.file, 'file', {timeline: config.format.needsTimeline, onProgress: progress});
	if (config.exportOptions.baseline && config.baselineFile !== undefined) {
		checkBaselineMode(config.baselineFile, config.exportOptions.baseline, profile.meta.mode);
	}
	if (!progress) {
		process.stderr.write(banner);
	}
	// Default names carry our own pid, as Tachyon's replay does: the target is long gone.
	const toStdout = config.format.id === 'pstats' && config.output === undefined;
	const target = toStdout ? undefined : outputPathFor(config.format, process.pid, config.output);
	if (target !== undefined) {
		checkOutput(config.format, process.pid, target);
	}

	const path = writeExport(config.format, profile, config.exportOptions, target, toStdout);
	if (path) {
		process.stderr.write(`Wrote ${config.format.description} to ${path}\n`);
		if (config.browser && config.format.html) {
			openInBrowser(path);
		}
	}

	return 0;
}
