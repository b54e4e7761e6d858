// The contract between the bench runner (bench/run.ts) and its sections. A section is one
// module in bench/sections/ whose default export is a BenchSection; the runner finds every
// compiled module in dist/bench/sections/ on its own, so adding a section never touches run.ts.

/** One line of the results table. Absolute figures drift on shared machines, so rows that
 * compare tools carry a ratio (ours / theirs, or theirs / ours: `ratioOf` says which way). */
export type BenchRow = {
	/** What is measured, e.g. "highest achieved rate (-r 1mhz)". */
	readonly metric: string;
	/** Our figure, in `unit`; undefined when we could not measure it (say why in `note`). */
	readonly ours?: number;
	/** CPython 3.15's own sampler on the same workload, same run. */
	readonly tachyon?: number;
	/** austin (on a 3.13 target: it cannot read 3.15). */
	readonly austin?: number;
	/** e.g. "samples/s", "% of a core", "MB", "bytes/sample", "ms". */
	readonly unit: string;
	/** ours relative to Tachyon, expressed as the bench README explains for this metric. */
	readonly ratio?: number;
	/** The goal, in words, e.g. "≥ 1.25 × Tachyon" or "≤ 3 %". */
	readonly target?: string;
	/** Whether the goal was met; undefined when the row has no goal. */
	readonly met?: boolean;
	/** Anything the reader needs to trust the figure (sample counts, what was skipped and why). */
	readonly note?: string;
};

export type BenchOptions = {
	/** CI's quick form: seconds instead of minutes, proves the bench runs, asserts nothing. */
	readonly short: boolean;
	/** Progress lines for the person watching (go to stderr). */
	readonly log: (line: string) => void;
};

export type BenchSection = {
	/** Short heading printed above the section's rows, e.g. "sampler". */
	readonly name: string;
	/** Order among sections (lower first); sections without one run last, by name. */
	readonly order?: number;
	run(options: BenchOptions): Promise<BenchRow[]>;
};
