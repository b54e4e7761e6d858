// Writes an exporter's result where the user asked: stdout, a file, or a directory.
import fs from 'node:fs';
import path from 'node:path';
import {defaultOutputName} from '../exporters/formats.js';
import type {ExportOptions, Exporter} from '../exporters/index.js';
import type {Profile} from '../exporters/model.js';

/** Where a format's output goes: -o as given, inside -o if it is a directory, else Tachyon's default name. */
export function outputPathFor(format: Exporter, pid: number, output: string | undefined): string {
	if (output === undefined) {
		return defaultOutputName(format, pid);
	}

	if (format.extension !== undefined && fs.existsSync(output) && fs.statSync(output).isDirectory()) {
		return path.join(output, defaultOutputName(format, pid));
	}

	// A heatmap is a directory; `-o heat.html` means `heat`.
	return format.extension === undefined ? output.replace(/\.html?$/i, '') : output;
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
		fs.writeFileSync(target, result.data);
	} else {
		fs.mkdirSync(target, {recursive: true});
		for (const [name, data] of result.files) {
			fs.mkdirSync(path.dirname(path.join(target, name)), {recursive: true});
			fs.writeFileSync(path.join(target, name), data);
		}
	}

	return target;
}
