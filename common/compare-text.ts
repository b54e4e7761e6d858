// Orders strings by UTF-16 code units, as a tie-breaker between names and paths. Not
// localeCompare: its first call loads ICU's collation data, about 3 MB of the node binary
// paged in (RSS) and its CPU, paid by every pstats summary for an order nobody reads as locale.

export function compareText(a: string, b: string): number {
	return a < b ? -1 : (a > b ? 1 : 0);
}
