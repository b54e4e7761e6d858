// Every command-line flag, as Tachyon names them, in one table: meow parses with it, the
// help text is written from the same names, and run's splitter knows which flags take values.
import {exporters} from '../exporters/index.js';
import {sortKeys} from '../exporters/function-stats.js';

const choices = (values: readonly string[]): string[] => [...values];

/** One boolean flag per output format (--pstats, --collapsed, ...), from the exporter registry. */
export const formatFlags = Object.fromEntries(Object.values(exporters)
	// --diff-flamegraph takes the baseline file: it is a string flag in `flags` below.
	.filter(format => format.id !== 'diff-flamegraph')
	.map(format => [format.flag, {type: 'boolean' as const, default: false}]));

export const flags = {
	samplingRate: {type: 'string', shortFlag: 'r'},
	duration: {type: 'string', shortFlag: 'd'},
	allThreads: {type: 'boolean', shortFlag: 'a', default: false},
	realtimeStats: {type: 'boolean', default: false},
	output: {type: 'string', shortFlag: 'o'},
	sort: {type: 'string', choices: choices(sortKeys)},
	limit: {type: 'number', shortFlag: 'l'},
	noSummary: {type: 'boolean', default: false},
	module: {type: 'boolean', shortFlag: 'm', default: false},
	python: {type: 'string'},
	live: {type: 'boolean', default: false},
	mode: {type: 'string', choices: choices(['wall', 'cpu', 'gil', 'exception'])},
	native: {type: 'boolean', default: false},
	gc: {type: 'boolean', default: true},
	opcodes: {type: 'boolean', default: false},
	asyncAware: {type: 'boolean', default: false},
	asyncMode: {type: 'string', choices: choices(['running', 'all'])},
	subprocesses: {type: 'boolean', default: false},
	blocking: {type: 'boolean', default: false},
	browser: {type: 'boolean', default: false},
	diffFlamegraph: {type: 'string'},
	compression: {type: 'string', choices: choices(['auto', 'zstd', 'none'])},
} as const;

/** Flags (as typed) that consume the next argument: run's splitter must skip their values. */
export const flagsWithValues = new Set(['-r', '--sampling-rate', '-d', '--duration', '-o', '--output', '--sort', '-l', '--limit', '--python', '--mode', '--async-mode', '--diff-flamegraph', '--compression']);
