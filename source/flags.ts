// Every command and every flag in one table: which commands take a flag, its value, its help
// line. The parser (argv.ts), each command's --help (help.ts), the shell completions
// (completion.ts) and run's splitter all read it, so a flag added here is parsed, checked,
// documented and completed everywhere at once.
import {asyncModes, profilingModes} from '../common/profile-types.js';
import {sortKeys} from '../exporters/sort-keys.js';
import {formats, formatIds, type FormatId} from '../exporters/formats.js';

export const commandNames = ['run', 'attach', 'dump', 'replay'] as const;
export type CommandName = typeof commandNames[number];

export type CommandSpec = {
	/** What follows `tachyon-top <command>` in the usage line. */
	readonly usage: readonly string[];
	/** One line for the overview and completion menus. */
	readonly brief: string;
	readonly summary: string;
	readonly examples: readonly string[];
};

export const commands: Record<CommandName, CommandSpec> = {
	run: {
		usage: ['run [options] script.py [args...]', 'run [options] -m module [args...]'],
		brief: 'run a script (or module) under the profiler',
		summary: 'Run a Python script or module under the profiler. Everything after the script (or -m module) is its own arguments.',
		examples: ['run examples/workload.py', 'run --live examples/workload.py', 'run -d 30 -r 5khz --flamegraph -o flame.html -m mypackage.server --port 8000'],
	},
	attach: {
		usage: ['attach [options] PID'],
		brief: 'profile a running process',
		summary: 'Profile a running Python process until -d runs out, the process exits or Ctrl-C; then write the chosen output. The PID may stand anywhere among the flags.',
		examples: ['attach 12345', 'attach -d 10 -r 10khz --flamegraph -o flame.html 12345', 'attach -a --mode gil 12345', 'attach --live 12345'],
	},
	dump: {
		usage: ['dump [options] PID'],
		brief: 'print its stacks now',
		summary: 'Print the stack of the main thread (every thread with -a) of a running process, most recent call last.',
		examples: ['dump 12345', 'dump -a --native 12345', 'dump --async-aware 12345', 'dump -a --subprocesses 12345'],
	},
	replay: {
		usage: ['replay [format] [options] FILE.bin'],
		brief: 'convert a binary capture to another format',
		summary: 'Convert a binary capture (--binary, ours or Tachyon\'s) to any other format, without sampling again.',
		examples: ['replay before.bin', 'replay --flamegraph -o flame.html before.bin', 'replay --heatmap -o heat before.bin'],
	},
};

export type FlagGroup = 'Target' | 'Sampling' | 'Mode' | 'Output' | 'pstats table and file' | 'Live view';

export type FlagSpec = {
	/** Long name, without the dashes. */
	readonly name: string;
	/** One letter, without the dash. */
	readonly short?: string;
	/** The value's placeholder (`RATE`); absent for switches. */
	readonly value?: string;
	/**
	 * The value may only be attached with `=` (`--native-stacks=all`); alone, the flag means
	 * this value. Such a flag never takes the next argument.
	 */
	readonly implicit?: string;
	readonly choices?: readonly string[];
	readonly help: string;
	readonly group: FlagGroup;
	readonly commands: readonly CommandName[];
	/** Completion of the value: file names, or the choices. */
	readonly complete?: 'file' | 'directory';
};

const sampling: readonly CommandName[] = ['run', 'attach'];
const stacks: readonly CommandName[] = ['run', 'attach', 'dump'];
const outputs: readonly CommandName[] = ['run', 'attach', 'replay'];

/** The flags that are not output formats. */
const optionFlags = [
	{name: 'module', short: 'm', help: 'run a module (as python -m): the next argument is its name, the rest its arguments', group: 'Target', commands: ['run']},
	{name: 'python', value: 'PATH', help: 'the interpreter that runs the script (default: python3, or $TACHYON_TOP_PYTHON)', group: 'Target', commands: ['run'], complete: 'file'},
	{name: 'sampling-rate', short: 'r', value: 'RATE', help: 'samples per second: 1000, 10khz, 10k, 1mhz (default 1khz)', group: 'Sampling', commands: sampling},
	{name: 'duration', short: 'd', value: 'SECONDS', help: 'stop after this long: 10, 2.5, 30s, 2m (default: until the script ends, the process exits or Ctrl-C)', group: 'Sampling', commands: sampling},
	{name: 'all-threads', short: 'a', help: 'every thread, not only the main one', group: 'Sampling', commands: stacks},
	{name: 'realtime-stats', help: 'print the achieved rate (mean, min, max) on stderr once a second', group: 'Sampling', commands: sampling},
	{name: 'native', help: '<native> frames where C code sits between two Python frames', group: 'Sampling', commands: stacks},
	{name: 'no-gc', help: 'leave out the <GC> frames shown while the garbage collector runs', group: 'Sampling', commands: stacks},
	{name: 'opcodes', help: 'the bytecode instruction of each frame, named with the target\'s own opcode table (live view, pstats table, flame graphs, heatmap, gecko, binary, dump)', group: 'Sampling', commands: stacks},
	{name: 'async-aware', help: 'asyncio tasks\' await chains instead of thread stacks (samples outside any task show under <no task>)', group: 'Sampling', commands: stacks},
	{name: 'subprocesses', help: 'also profile the target\'s Python child processes, each to a file of its own (dump: dump each Python process of the tree once, the target too unless it is a shell or launcher)', group: 'Sampling', commands: stacks},
	{name: 'blocking', help: 'stop the target\'s threads (ptrace) while each sample is read: consistent stacks, slower target', group: 'Sampling', commands: stacks},
	{name: 'native-stacks', value: 'WHICH', implicit: 'default', choices: ['default', 'all'], help: 'C, C++ and Rust frames between the Python frames, unwound from each stopped thread (as --blocking); =all keeps the interpreter\'s own frames (eval loop, call machinery, start-up)', group: 'Sampling', commands: stacks},
	{name: 'mode', value: 'MODE', choices: profilingModes, help: 'what to count: wall (all time, default), cpu (on a CPU), gil (holding the GIL), exception (handling an exception)', group: 'Mode', commands: sampling},
	{name: 'async-mode', value: 'MODE', choices: asyncModes, help: 'with --async-aware: running (the running tasks; default when sampling) or all (every task; default for dump)', group: 'Mode', commands: stacks},
	{name: 'diff-flamegraph', value: 'BASE.bin', help: 'a flame graph coloured by change against a baseline binary capture', group: 'Output', commands: outputs, complete: 'file'},
	{name: 'output', short: 'o', value: 'PATH', help: 'where to write (default: the name Tachyon uses, e.g. flamegraph_PID.html; pstats: the table on stdout, with -o the pstats file); an existing directory gets the default name inside', group: 'Output', commands: outputs, complete: 'file'},
	{name: 'compression', value: 'C', choices: ['auto', 'zstd', 'none'], help: 'with --binary: auto (zstd where available, default), zstd or none', group: 'Output', commands: outputs},
	{name: 'browser', help: 'open the HTML outputs (--flamegraph, --diff-flamegraph, --heatmap) in a browser', group: 'Output', commands: outputs},
	{name: 'sort', value: 'KEY', choices: sortKeys, help: 'order of the pstats table (default nsamples)', group: 'pstats table and file', commands: outputs},
	{name: 'limit', short: 'l', value: 'N', help: 'rows in the pstats table (default 15; 0 for all)', group: 'pstats table and file', commands: outputs},
	{name: 'no-summary', help: 'leave out the "Summary of Interesting Functions" after the pstats table', group: 'pstats table and file', commands: outputs},
	{name: 'pstats-layout', value: 'LAYOUT', choices: ['portable', 'tachyon'], help: 'the pstats file (-o): portable (default; pstats.Stats loads it in every Python, snakeviz too) or tachyon (Tachyon\'s own, with its (\'__sampled__\',) marker: 3.15\'s pstats prints sample columns, older Pythons cannot load it)', group: 'pstats table and file', commands: outputs},
	{name: 'live', help: 'the live view (a top-like table) instead of a report; export from it with e', group: 'Live view', commands: sampling},
] as const satisfies readonly FlagSpec[];

/** One switch per output format (--pstats, --collapsed, ...), from the exporter registry. */
const formatFlags: readonly FlagSpec[] = formatIds
	// --diff-flamegraph takes the baseline file: it is among the option flags above.
	.filter(id => id !== 'diff-flamegraph')
	.map(id => ({
		name: formats[id].flag,
		help: id === 'pstats' ? 'the pstats table on stdout (default); with -o FILE, a pstats file (pstats.Stats, snakeviz)' : `${formats[id].description}${id === 'binary' ? '; replay converts it to any other format' : ''}`,
		group: 'Output',
		commands: outputs,
	}));

export const flagTable: readonly FlagSpec[] = [...optionFlags, ...formatFlags];

/** Names of the flags that are not output formats (their values are typed in main.ts). */
export type OptionName = typeof optionFlags[number]['name'];

/** The output format a format switch selects. */
export function formatOfFlag(name: string): FormatId | undefined {
	return formatIds.find(id => formats[id].flag === name && id !== 'diff-flamegraph');
}

export function flagsOf(command: CommandName): FlagSpec[] {
	return flagTable.filter(flag => flag.commands.includes(command));
}

export function flagByName(name: string): FlagSpec | undefined {
	return flagTable.find(flag => flag.name === name);
}

export function flagByShort(letter: string): FlagSpec | undefined {
	return flagTable.find(flag => flag.short === letter);
}

/** Whether a flag as typed (`-r`, `--output`) consumes the next argument: run's splitter must skip its value. */
export function takesNextArgument(arg: string): boolean {
	const flag = arg.startsWith('--') ? flagByName(arg.slice(2)) : (/^-[a-zA-Z]$/.test(arg) ? flagByShort(arg.slice(1)) : undefined);
	return flag?.value !== undefined && flag.implicit === undefined;
}

/** How a flag is written in help and messages: `-r, --sampling-rate RATE`. */
export function flagSignature(flag: FlagSpec): string {
	const long = `--${flag.name}${flag.value === undefined ? '' : (flag.implicit === undefined ? ` ${flag.value}` : `[=${flag.value}]`)}`;
	return flag.short === undefined ? long : `-${flag.short}, ${long}`;
}
