// The pstats table's sort keys, apart from the exporter that sorts by them: the command line's
// flags (and so --help) need the names without loading the profile model.
export const sortKeys = ['nsamples', 'tottime', 'cumtime', 'sample-pct', 'cumul-pct', 'nsamples-cumul', 'name'] as const;
export type SortKey = typeof sortKeys[number];
