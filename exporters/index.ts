// Every output format, by id, with its exporter: formats.ts's facts and a pure function of the
// profile model. The CLI's format flags and the live view's export menu both read this
// registry; what needs only the facts (flags, help) imports formats.ts, which loads no exporter.
import {collapsedText} from './collapsed.js';
import {diffFlamegraphHtml} from './diff-flamegraph.js';
import {flamegraphHtml} from './flamegraph.js';
import {heatmapFiles} from './heatmap.js';
import {binaryFile} from './binary-file.js';
import type {CompressionChoice} from './binary-writer.js';
import {geckoJson} from './gecko.js';
import {jsonlText} from './jsonl.js';
import {pprofFile} from './pprof.js';
import {pstatsFile} from './pstats-file.js';
import type {SortKey} from './function-stats.js';
import type {Profile} from './model.js';
import type {ProfilingMode} from '../common/profile-types.js';
import {pstatsText} from './pstats.js';
import {speedscopeJson} from './speedscope.js';
import {surrogatePassUtf8} from './surrogate-utf8.js';
import {formats, type FormatId, type FormatInfo} from './formats.js';

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

const text = (data: string): ExportResult => ({kind: 'file', data});
const bytes = (data: Uint8Array): ExportResult => ({kind: 'file', data});
/** The mode an export counts: the one asked for, else the one the profile was captured in. */
const modeOf = (profile: Profile, options: ExportOptions): ProfilingMode => options.mode ?? profile.meta.mode;

export const exporters = {
	pstats: {
		...formats.pstats,
		export: (profile, options) => options.toFile ? {kind: 'file', data: pstatsFile(profile, modeOf(profile, options), options.pstatsLayout)} : text(pstatsText(profile, options)),
	},
	collapsed: {
		...formats.collapsed,
		// Bytes, not text: names with undecodable bytes keep them as Tachyon writes them.
		export: (profile, options) => bytes(surrogatePassUtf8(collapsedText(profile, modeOf(profile, options)))),
	},
	flamegraph: {
		...formats.flamegraph,
		export: (profile, options) => text(flamegraphHtml(profile, modeOf(profile, options))),
	},
	heatmap: {
		...formats.heatmap,
		export: (profile, options) => ({kind: 'directory', files: heatmapFiles(profile, modeOf(profile, options))}),
	},
	'diff-flamegraph': {
		...formats['diff-flamegraph'],
		export: (profile, options) => text(diffFlamegraphHtml(profile, options.baseline, modeOf(profile, options))),
	},
	gecko: {
		...formats.gecko,
		export: (profile, options) => text(geckoJson(profile, {mode: modeOf(profile, options)})),
	},
	jsonl: {
		...formats.jsonl,
		export: (profile, options) => text(jsonlText(profile, {mode: modeOf(profile, options)})),
	},
	binary: {
		...formats.binary,
		export: (profile, options) => ({kind: 'file', data: binaryFile(profile, options.compression, modeOf(profile, options))}),
	},
	pprof: {
		...formats.pprof,
		export: (profile, options) => ({kind: 'file', data: pprofFile(profile, {pidLabel: options.pidLabel === true, mode: modeOf(profile, options)})}),
	},
	speedscope: {
		...formats.speedscope,
		export: (profile, options) => text(speedscopeJson(profile, modeOf(profile, options))),
	},
} as const satisfies Record<FormatId, Exporter>;
