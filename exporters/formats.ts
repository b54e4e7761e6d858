// Every output format's facts, by id: its flag, description, default file name, whether it is
// HTML and needs each sample's time. What the command line, its help and the export menu need,
// without loading any exporter (index.ts adds each one's implementation).

export type FormatInfo = {
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
	/**
	 * Shows or stores the code of the target's files (tooltips, heatmap pages, an archive's
	 * sources): only then are they read while sampling, each read a helper process of its own.
	 */
	readonly needsSources: boolean;
	/** Opens in a browser (--browser). */
	readonly html: boolean;
};

export const formats = {
	pstats: {
		id: 'pstats', flag: 'pstats', description: 'pstats file (pstats.Stats, snakeviz)', extension: 'pstats', prefix: 'pstats',
		needsTimeline: false, needsSources: false, html: false,
	},
	collapsed: {
		id: 'collapsed', flag: 'collapsed', description: 'collapsed stacks for flamegraph.pl / speedscope', extension: 'txt', prefix: 'collapsed',
		needsTimeline: false, needsSources: false, html: false,
	},
	flamegraph: {
		id: 'flamegraph', flag: 'flamegraph', description: 'flame graph (HTML)', extension: 'html', prefix: 'flamegraph',
		needsTimeline: false, needsSources: true, html: true,
	},
	heatmap: {
		id: 'heatmap', flag: 'heatmap', description: 'per-line heatmap (HTML directory)', extension: undefined, prefix: 'heatmap',
		needsTimeline: false, needsSources: true, html: true,
	},
	'diff-flamegraph': {
		// Its flag takes the baseline file; the CLI loads it into options.baseline.
		id: 'diff-flamegraph', flag: 'diff-flamegraph', description: 'differential flame graph (HTML)', extension: 'html', prefix: 'diff_flamegraph',
		needsTimeline: false, needsSources: true, html: true,
	},
	gecko: {
		id: 'gecko', flag: 'gecko', description: 'Firefox Profiler (Gecko) profile', extension: 'json', prefix: 'gecko',
		needsTimeline: true, needsSources: false, html: false,
	},
	jsonl: {
		id: 'jsonl', flag: 'jsonl', description: 'JSON Lines profile', extension: 'jsonl', prefix: 'jsonl',
		needsTimeline: false, needsSources: false, html: false,
	},
	binary: {
		// run/attach stream it while sampling (source/commands/record.ts); this is for replay.
		id: 'binary', flag: 'binary', description: 'binary profile', extension: 'bin', prefix: 'binary',
		needsTimeline: true, needsSources: true, html: false,
	},
	pprof: {
		id: 'pprof', flag: 'pprof', description: 'pprof profile (gzipped profile.proto)', extension: 'pb.gz', prefix: 'profile',
		needsTimeline: false, needsSources: false, html: false,
	},
	speedscope: {
		id: 'speedscope', flag: 'speedscope', description: 'speedscope profile (JSON, one profile per thread)', extension: 'json', prefix: 'speedscope',
		needsTimeline: false, needsSources: false, html: false,
	},
} as const satisfies Record<string, FormatInfo>;

export type FormatId = keyof typeof formats;
export const formatIds = Object.keys(formats) as FormatId[];

export function defaultOutputName(format: FormatInfo, pid: number): string {
	return format.extension ? `${format.prefix}_${pid}.${format.extension}` : `${format.prefix}_${pid}`;
}
