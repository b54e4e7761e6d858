// Every output format, by id, with its exporter: formats.ts's facts and a pure function of the
// profile model. The CLI's format flags and the live view's export menu both read this
// registry; what needs only the facts (flags, help) imports formats.ts, which loads no exporter,
// and run and attach load only the exporter they write with (loadExporter).
import type {CompressionChoice} from './binary-writer.js';
import {exporterLoaders} from './exporter-loaders.js';
import type {SortKey} from './function-stats.js';
import type {Profile} from './model.js';
import type {ProfilingMode} from '../common/profile-types.js';
import {formatIds, type FormatId, type FormatInfo} from './formats.js';

export {defaultOutputName, formatIds, type FormatId, type FormatInfo} from './formats.js';

export type ExportOptions = {
	readonly sort?: SortKey;
	readonly limit?: number;
	/** The baseline profile, for diff-flamegraph. */
	readonly baseline?: Profile;
	/** Written to a file rather than shown (pstats: the marshalled stats instead of the table). */
	readonly toFile?: boolean;
	/** --compression for --binary. */
	readonly compression?: CompressionChoice;
	/** --subprocesses: label samples with their process id (pprof). */
	readonly pidLabel?: boolean;
	/** The samples a mode keeps (the live view's mode on screen); default: the profile's capture mode. */
	readonly mode?: ProfilingMode;
	/** pstats table: the "Summary of Interesting Functions" after it (default true; --no-summary). */
	readonly summary?: boolean;
	/** pstats file: portable (loads in every Python; default) or Tachyon's own layout. */
	readonly pstatsLayout?: 'portable' | 'tachyon';
};

/** What an exporter produces: a text or binary file, or a directory of files (heatmap). */
export type ExportResult =
	| {readonly kind: 'file'; readonly data: string | Uint8Array}
	| {readonly kind: 'directory'; readonly files: ReadonlyMap<string, string | Uint8Array>};

export type Exporter = FormatInfo & {
	readonly export: (profile: Profile, options: ExportOptions) => ExportResult;
};

/** Every exporter, loaded. */
export const exporters = Object.fromEntries(await Promise.all(formatIds.map(async id => [id, await exporterLoaders[id]()] as const))) as Record<FormatId, Exporter>;
