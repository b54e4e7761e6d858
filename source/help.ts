// --help, written from the flag table: the overview lists the commands, each command's help
// lists only the flags that command takes, grouped, with every flag documented.
import {supportedVersions} from '../sampler/supported-versions.js';
import {commandNames, commands, flagSignature, flagsOf, type CommandName, type FlagGroup} from './flags.js';

const groupOrder: readonly FlagGroup[] = ['Target', 'Sampling', 'Mode', 'Output', 'pstats table and file', 'Live view'];

/** Wraps `text` to `width` columns, continuation lines indented by `indent`. */
function wrap(text: string, width: number, indent: number): string {
	const lines: string[] = [];
	let line = '';
	for (const word of text.split(' ')) {
		if (line !== '' && line.length + 1 + word.length > width - indent) {
			lines.push(line);
			line = word;
		} else {
			line = line === '' ? word : `${line} ${word}`;
		}
	}

	lines.push(line);
	return lines.join(`\n${' '.repeat(indent)}`);
}

/** What one command's flags mean together, beyond each flag's line. */
const notes: Partial<Record<CommandName, string[]>> = {
	run: [
		'Output formats are exclusive; without one, the pstats table is printed. --sort, -l, --no-summary and --pstats-layout shape pstats only, and do not apply with --live (the live view sorts with s, and exports with e).',
		'--opcodes goes with the outputs that show instructions (not --collapsed, --jsonl, --pprof, --speedscope, nor the pstats file). --async-aware does not combine with -a, --native, --no-gc, --mode or --binary.',
	],
	attach: [
		'Output formats are exclusive; without one, the pstats table is printed. --sort, -l, --no-summary and --pstats-layout shape pstats only, and do not apply with --live (the live view sorts with s, and exports with e).',
		'--opcodes goes with the outputs that show instructions (not --collapsed, --jsonl, --pprof, --speedscope, nor the pstats file). --async-aware does not combine with -a, --native, --no-gc, --mode or --binary.',
	],
	dump: ['--async-aware shows every task\'s await chain (--async-mode all) and does not combine with -a, --native or --no-gc.'],
	replay: ['The mode and the capture options come from the file.'],
};

export function commandHelp(command: CommandName, width = 100): string {
	const spec = commands[command];
	const flags = flagsOf(command);
	const column = Math.min(34, Math.max(...flags.map(flag => flagSignature(flag).length)) + 4);
	const lines = [
		...spec.usage.map((usage, index) => `${index === 0 ? 'Usage:' : '      '} tachyon-top ${usage}`),
		'',
		wrap(spec.summary, width, 0),
	];
	for (const group of groupOrder) {
		const members = flags.filter(flag => flag.group === group);
		if (members.length === 0) {
			continue;
		}

		lines.push('', `${group}:`);
		for (const flag of members) {
			const signature = `  ${flagSignature(flag)}`;
			const choices = flag.choices && !flag.help.includes(flag.choices[0]!) ? ` (${flag.choices.join(', ')})` : '';
			const help = wrap(`${flag.help}${choices}`, width, column);
			lines.push(signature.length + 2 > column ? `${signature}\n${' '.repeat(column)}${help}` : `${signature.padEnd(column)}${help}`);
		}
	}

	lines.push('', 'General:', `  ${'-h, --help'.padEnd(column - 2)}this help`);
	for (const note of notes[command] ?? []) {
		lines.push('', wrap(note, width, 0));
	}

	lines.push('', 'Examples:', ...spec.examples.map(example => `  tachyon-top ${example}`));
	return lines.join('\n') + '\n';
}

export function overviewHelp(version: string): string {
	const rows: Array<[string, string]> = [
		['tachyon-top', 'pick a Python process (fuzzy search) and watch it live'],
		...commandNames.flatMap(command => commands[command].usage.map((usage, index): [string, string] => [`tachyon-top ${usage}`, index === 0 ? commands[command].brief : ''])),
		['tachyon-top agent --server URL --app NAME PID|--match RE', 'continuous profiling into Pyroscope (agent --help)'],
		['tachyon-top completion bash|zsh|fish', 'print a shell completion script'],
	];
	const width = Math.max(...rows.map(([usage]) => usage.length)) + 2;
	return [
		`tachyon-top ${version}: a sampling profiler for running Python ${supportedVersions()} processes`,
		'',
		'Usage:',
		...rows.map(([usage, what]) => `  ${usage.padEnd(width)}${what}`.trimEnd()),
		'',
		'Each command lists its own flags: tachyon-top attach --help, tachyon-top run --help, ...',
		'  -h, --help     this help',
		'  -V, --version  the version',
		'',
		'Examples:',
		'  tachyon-top run --live examples/workload.py',
		'  tachyon-top attach -d 10 --flamegraph -o flame.html 12345',
		'  tachyon-top dump -a 12345',
	].join('\n') + '\n';
}
