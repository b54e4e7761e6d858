// Every output format, by id. The CLI's format flags and the live view's export menu both
// read this registry; each exporter is a pure function of the profile model.
import {collapsedText} from './collapsed.js';
import {diffFlamegraphHtml} from './diff-flamegraph.js';
import {flamegraphHtml} from './flamegraph.js';
import {heatmapFiles} from './heatmap.js';
import {binaryFile, type CompressionChoice} from './binary-writer.js';
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

export type Exporter = {
	readonly id: string;
	/** Flag name on the command line (`--collapsed`). */
	readonly flag: string;
	readonly description: string;
	/** File extension of the default output name, or undefined for a directory. */
	readonly extension: string | undefined;
	/** Default output name as Tachyon's: `{prefix}_{pid}.{extension}`. */
	readonly prefix: string;
	/** Needs each sample's timestamp, not just totals. */
	readonly needsTimeline: boolean;
	/** Opens in a browser (--browser). */
	readonly html: boolean;
	readonly export: (profile: Profile, options: ExportOptions) => ExportResult;
};

const text = (data: string): ExportResult => ({kind: 'file', data});
const bytes = (data: Uint8Array): ExportResult => ({kind: 'file', data});
/** The mode an export counts: the one asked for, else the one the profile was captured in. */
const modeOf = (profile: Profile, options: ExportOptions): ProfilingMode => options.mode ?? profile.meta.mode;

export const exporters = {
	pstats: {
		id: 'pstats', flag: 'pstats', description: 'pstats file (pstats.Stats, snakeviz)', extension: 'pstats', prefix: 'pstats',
		needsTimeline: false, html: false,
		export: (profile, options) => options.toFile ? {kind: 'file', data: pstatsFile(profile, modeOf(profile, options), options.pstatsLayout)} : text(pstatsText(profile, options)),
	},
	collapsed: {
		id: 'collapsed', flag: 'collapsed', description: 'collapsed stacks for flamegraph.pl / speedscope', extension: 'txt', prefix: 'collapsed',
		needsTimeline: false, html: false,
		// Bytes, not text: names with undecodable bytes keep them as Tachyon writes them.
		export: (profile, options) => bytes(surrogatePassUtf8(collapsedText(profile, modeOf(profile, options)))),
	},
	flamegraph: {
		id: 'flamegraph', flag: 'flamegraph', description: 'flame graph (HTML)', extension: 'html', prefix: 'flamegraph',
		needsTimeline: false, html: true,
		export: (profile, options) => text(flamegraphHtml(profile, modeOf(profile, options))),
	},
	heatmap: {
		id: 'heatmap', flag: 'heatmap', description: 'per-line heatmap (HTML directory)', extension: undefined, prefix: 'heatmap',
		needsTimeline: false, html: true,
		export: (profile, options) => ({kind: 'directory', files: heatmapFiles(profile, modeOf(profile, options))}),
	},
	'diff-flamegraph': {
		// Its flag takes the baseline file; the CLI loads it into options.baseline.
		id: 'diff-flamegraph', flag: 'diff-flamegraph', description: 'differential flame graph (HTML)', extension: 'html', prefix: 'diff_flamegraph',
		needsTimeline: false, html: true,
		export: (profile, options) => text(diffFlamegraphHtml(profile, options.baseline, modeOf(profile, options))),
	},
	gecko: {
		id: 'gecko', flag: 'gecko', description: 'Firefox Profiler (Gecko) profile', extension: 'json', prefix: 'gecko',
		needsTimeline: true, html: false,
		export: (profile, options) => text(geckoJson(profile, {mode: modeOf(profile, options)})),
	},
	jsonl: {
		id: 'jsonl', flag: 'jsonl', description: 'JSON Lines profile', extension: 'jsonl', prefix: 'jsonl',
		needsTimeline: false, html: false,
		export: (profile, options) => text(jsonlText(profile, {mode: modeOf(profile, options)})),
	},
	binary: {
		// run/attach stream it while sampling (source/commands/record.ts); this is for replay.
		id: 'binary', flag: 'binary', description: 'binary profile', extension: 'bin', prefix: 'binary',
		needsTimeline: true, html: false,
		export: (profile, options) => ({kind: 'file', data: binaryFile(profile, options.compression, modeOf(profile, options))}),
	},
	pprof: {
		id: 'pprof', flag: 'pprof', description: 'pprof profile (gzipped profile.proto)', extension: 'pb.gz', prefix: 'profile',
		needsTimeline: false, html: false,
		export: (profile, options) => ({kind: 'file', data: pprofFile(profile, {pidLabel: options.pidLabel === true, mode: modeOf(profile, options)})}),
	},
	speedscope: {
		id: 'speedscope', flag: 'speedscope', description: 'speedscope profile (JSON, one profile per thread)', extension: 'json', prefix: 'speedscope',
		needsTimeline: false, html: false,
		export: (profile, options) => text(speedscopeJson(profile, modeOf(profile, options))),
	},
} as const satisfies Record<string, Exporter>;

export type FormatId = keyof typeof exporters;
export const formatIds = Object.keys(exporters) as FormatId[];

export function defaultOutputName(format: Exporter, pid: number): string {
	return format.extension ? `${format.prefix}_${pid}.${format.extension}` : `${format.prefix}_${pid}`;
}
