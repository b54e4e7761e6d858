// The command line without a target: per-command flags and help, usage errors (exit 2, named
// flag or value, a suggestion), Tachyon's rules on which options go together (checked against
// Tachyon itself where 3.15 is installed), and the shell completions. No Python needed except
// for the comparison with Tachyon.
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {describe, test} from 'node:test';
import {UserError} from '../common/errors.js';
import {parseOptions, splitArgs} from '../source/argv.js';
import {completionScript} from '../source/completion.js';
import {checkContract, chosenFormat} from '../source/contract.js';
import {commandNames, flagTable, flagsOf, type CommandName} from '../source/flags.js';
import {commandHelp} from '../source/help.js';
import {cli, python, root, runCli} from './helpers.js';

/** The usage error a command line gets before anything starts (parse and contract), or undefined. */
function usageError(command: CommandName, args: string[]): UserError | undefined {
	try {
		checkContract(command, parseOptions(command, args));
		return undefined;
	} catch (error) {
		assert.ok(error instanceof UserError, String(error));
		assert.equal(error.exitCode, 2, error.message);
		return error;
	}
}

describe('help', () => {
	test('each command lists exactly its own flags, every one documented', () => {
		for (const command of commandNames) {
			const help = commandHelp(command);
			for (const flag of flagTable) {
				const listed = new RegExp(`^  (-${flag.short}, )?--${flag.name}\\b`, 'm').test(help);
				assert.equal(listed, flag.commands.includes(command), `${command} --help and --${flag.name}:\n${help}`);
				if (listed) {
					assert.ok(flag.help.length > 10, `--${flag.name} has a help line`);
				}
			}
		}

		assert.doesNotMatch(commandHelp('dump'), /--duration|--sampling-rate|--mode MODE|--output/);
		assert.match(commandHelp('dump'), /--async-mode MODE +with --async-aware/);
		assert.match(commandHelp('attach'), /--no-summary +leave out the "Summary of Interesting Functions"/);
	});

	test('--help, -h, help COMMAND and -V from the built command', async () => {
		const dump = await runCli(['dump', '--help']);
		assert.equal(dump.code, 0);
		assert.equal(dump.stdout, commandHelp('dump'));
		assert.equal((await runCli(['help', 'dump'])).stdout, commandHelp('dump'));
		assert.equal((await runCli(['run', '-h'])).stdout, commandHelp('run'));
		const overview = await runCli(['--help']);
		assert.equal(overview.code, 0);
		for (const word of ['run', 'attach', 'dump', 'replay', 'completion', '-V, --version']) {
			assert.ok(overview.stdout.includes(word), word);
		}

		const version = await runCli(['-V']);
		assert.equal(version.code, 0);
		const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {version: string};
		assert.equal(version.stdout, `${manifest.version}\n`);
	});
});

describe('usage errors', () => {
	test('each one line, tachyon-top: first, exit 2', async () => {
		for (const args of [['attach', '--pid', '1'], ['dump', '-d', '1', '1'], ['replay', '--live', 'x.bin'], ['attach', '-l', 'abc', '1'], ['frobnicate'], ['attach', '--mode', 'fast', '1']]) {
			const result = await runCli(args);
			assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
			assert.match(result.stderr, /^tachyon-top: [^\n]+\n$/, args.join(' '));
		}
	});

	test('they name the flag or value and say what to type instead', () => {
		assert.equal(usageError('attach', ['--pid', '1'])?.message, 'unknown flag --pid; the PID is positional: tachyon-top attach 1');
		assert.equal(usageError('dump', ['--pid=42'])?.message, 'unknown flag --pid; the PID is positional: tachyon-top dump 42');
		assert.match(usageError('attach', ['--durration', '5', '1'])!.message, /unknown flag --durration; did you mean --duration\?/);
		assert.match(usageError('attach', ['--all-thread', '1'])!.message, /did you mean --all-threads\?/);
		assert.match(usageError('dump', ['-d', '1', '1'])!.message, /^-d\/--duration does not apply to dump \(only to run, attach/);
		assert.match(usageError('replay', ['--live', 'x.bin'])!.message, /^--live does not apply to replay/);
		assert.match(usageError('dump', ['--mode', 'cpu', '1'])!.message, /^--mode does not apply to dump/);
		assert.match(usageError('attach', ['--python', 'python3', '1'])!.message, /^--python does not apply to attach \(only to run/);
		assert.match(usageError('attach', ['--mode', 'fast', '1'])!.message, /invalid value for --mode: `fast` \(choose from wall, cpu, gil, exception\)/);
		assert.match(usageError('attach', ['--async-aware', '--async-mode=some', '1'])!.message, /invalid value for --async-mode: `some` \(choose from running, all\)/);
		assert.match(usageError('attach', ['-r'])!.message, /-r needs a value/);
		assert.match(usageError('attach', ['--live=yes', '1'])!.message, /--live takes no value/);
	});

	test('values attached, grouped switches, negative numbers as values', () => {
		const parsed = parseOptions('attach', ['-ar10k', '--duration=2', '-l', '5', '--mode=cpu', '123']);
		assert.deepEqual(Object.fromEntries(parsed.values), {'all-threads': true, 'sampling-rate': '10k', duration: '2', limit: '5', mode: 'cpu'});
		assert.deepEqual(parsed.positionals, ['123']);
		assert.equal(parseOptions('attach', ['-d', '-3', '1']).values.get('duration'), '-3');
		assert.equal(parseOptions('dump', ['1', '--help']).help, true);
	});

	test('run: the script\'s own arguments are not ours', () => {
		assert.deepEqual(splitArgs(['run', '-r', '10k', '-d', '5', 'app.py', '-d', '--live', 'x']), {command: 'run', options: ['-r', '10k', '-d', '5'], target: ['app.py', '-d', '--live', 'x']});
		assert.deepEqual(splitArgs(['run', '--live', '-m', 'http.server', '8000']), {command: 'run', options: ['--live', '-m'], target: ['http.server', '8000']});
		assert.deepEqual(splitArgs(['run', '--native', '--', '-weird.py']), {command: 'run', options: ['--native'], target: ['-weird.py']});
	});
});

/** Tachyon's contract (issue 19): each of these is refused, exit 2, naming the option. */
const refused: Array<{command: CommandName; args: string[]; names: RegExp; oursOnly?: string}> = [
	{command: 'attach', args: ['--collapsed', '--sort', 'tottime', '1'], names: /--sort/},
	{command: 'attach', args: ['--flamegraph', '-l', '5', '1'], names: /--limit/},
	{command: 'run', args: ['--gecko', '--no-summary'], names: /--no-summary/},
	{command: 'replay', args: ['--jsonl', '--sort', 'name', 'x.bin'], names: /--sort/, oursOnly: 'Tachyon checks no option of replay'},
	{command: 'dump', args: ['1', '--mode', 'cpu'], names: /--mode/},
	{command: 'dump', args: ['--async-aware', '-a', '1'], names: /--all-threads/},
	{command: 'dump', args: ['--async-aware', '--native', '1'], names: /--native/},
	{command: 'dump', args: ['--async-aware', '--no-gc', '1'], names: /--no-gc/},
	{command: 'attach', args: ['--async-aware', '--native', '1'], names: /--native/},
	{command: 'attach', args: ['--async-aware', '--no-gc', '1'], names: /--no-gc/},
	{command: 'attach', args: ['--async-aware', '-a', '1'], names: /--all-threads/},
	{command: 'attach', args: ['--async-aware', '--binary', '1'], names: /--binary/},
	{command: 'attach', args: ['--async-aware', '--mode', 'cpu', '1'], names: /--mode/},
	{command: 'attach', args: ['--jsonl', '--opcodes', '1'], names: /--opcodes/},
	{command: 'attach', args: ['--collapsed', '--opcodes', '1'], names: /--opcodes/},
	{command: 'attach', args: ['--mode', 'fast', '1'], names: /--mode/},
	{command: 'attach', args: ['--async-aware', '--async-mode', 'fast', '1'], names: /--async-mode/},
	{command: 'attach', args: ['--async-mode', 'all', '1'], names: /--async-mode/},
	{command: 'attach', args: ['--live', '--sort', 'tottime', '1'], names: /--sort/},
	{command: 'attach', args: ['--live', '--collapsed', '1'], names: /--collapsed/},
	{command: 'attach', args: ['--gecko', '--mode', 'cpu', '1'], names: /--mode/},
];

describe('which options go together', () => {
	test('Tachyon\'s rejections', () => {
		for (const {command, args, names} of refused) {
			const error = usageError(command, args);
			assert.ok(error, `${command} ${args.join(' ')} must be refused`);
			assert.match(error.message, names, `${command} ${args.join(' ')}`);
		}
	});

	test('ours, where a flag would do nothing', () => {
		assert.match(usageError('attach', ['--opcodes', '-o', 'x.pstats', '1'])!.message, /not the pstats file/);
		assert.match(usageError('attach', ['--sort', 'name', '-o', 'x.pstats', '1'])!.message, /^Option --sort shapes the pstats table/);
		assert.match(usageError('attach', ['--pstats-layout', 'tachyon', '1'])!.message, /give it a file with -o/);
		assert.match(usageError('attach', ['--compression', 'zstd', '--collapsed', '1'])!.message, /--compression applies to --binary/);
		assert.match(usageError('attach', ['--browser', '--collapsed', '1'])!.message, /--browser opens HTML outputs/);
		assert.match(usageError('attach', ['--live', '--native', '1'])!.message, /--native is not available in the live view/);
		assert.match(usageError('attach', ['--collapsed', '--jsonl', '1'])!.message, /Choose one output format, got --collapsed and --jsonl/);
	});

	test('and what stays accepted', () => {
		for (const [command, args] of [
			['attach', ['--opcodes', '1']], ['attach', ['--opcodes', '--flamegraph', '1']], ['attach', ['--async-aware', '--mode', 'wall', '1']],
			['attach', ['--sort', 'tottime', '-l', '0', '--no-summary', '1']], ['attach', ['--pstats-layout', 'tachyon', '-o', 'x.pstats', '1']],
			['attach', ['--live', '-d', '5', '--opcodes', '--subprocesses', '1']], ['dump', ['--async-aware', '--async-mode', 'running', '1']],
			['replay', ['--heatmap', '--browser', 'x.bin']], ['run', ['--binary', '--compression', 'none']],
		] as Array<[CommandName, string[]]>) {
			assert.equal(usageError(command, args)?.message, undefined, `${command} ${args.join(' ')}`);
		}

		assert.equal(chosenFormat(parseOptions('attach', ['--diff-flamegraph', 'base.bin', '1'])), 'diff-flamegraph');
	});

	const tachyon = python('3.15');
	test('Tachyon refuses the same, with exit 2, naming the same option', {skip: tachyon ? false : 'Python 3.15 (Tachyon) is not installed here'}, () => {
		for (const {command, args, names} of refused.filter(entry => entry.oursOnly === undefined)) {
			const result = spawnSync(tachyon!.path, ['-m', 'profiling.sampling', command, ...args], {encoding: 'utf8', timeout: 30_000});
			assert.equal(result.status, 2, `Tachyon ${command} ${args.join(' ')}: ${result.stderr}`);
			assert.match(result.stderr, names, `Tachyon ${command} ${args.join(' ')}`);
		}
	});
});

describe('shell completions', () => {
	/** What bash completes for the words typed so far (the last one being completed). */
	function bashCompletes(words: string[]): string[] {
		const script = `source <(${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} completion bash)
COMP_WORDS=(${words.map(word => JSON.stringify(word)).join(' ')}); COMP_CWORD=${words.length - 1}
_tachyon_top; printf '%s\\n' "\${COMPREPLY[@]}"`;
		return execFileSync('bash', ['-c', script], {encoding: 'utf8'}).split('\n').filter(Boolean);
	}

	test('bash: commands, each command\'s own flags, choices, files', () => {
		assert.deepEqual(bashCompletes(['tachyon-top', 'a']), ['attach']);
		const dumpFlags = bashCompletes(['tachyon-top', 'dump', '--']);
		assert.deepEqual(new Set(dumpFlags), new Set([...flagsOf('dump').map(flag => `--${flag.name}`), '--help']));
		assert.deepEqual(bashCompletes(['tachyon-top', 'attach', '--mode', '']), ['wall', 'cpu', 'gil', 'exception']);
		assert.deepEqual(bashCompletes(['tachyon-top', 'attach', '--sort', 'cum']), ['cumtime', 'cumul-pct']);
		assert.ok(bashCompletes(['tachyon-top', 'attach', '-o', 'READ']).includes('README.md'));
		assert.deepEqual(bashCompletes(['tachyon-top', 'completion', '']), ['bash', 'zsh', 'fish']);
	});

	for (const shell of ['zsh', 'fish'] as const) {
		const found = spawnSync('sh', ['-c', `command -v ${shell}`], {encoding: 'utf8'}).stdout.trim();
		test(`${shell}: every command's flags, and the script parses`, {skip: false}, () => {
			const script = completionScript([shell]);
			for (const command of commandNames) {
				for (const flag of flagsOf(command)) {
					assert.ok(script.includes(shell === 'fish' ? `from ${command}'${flag.short === undefined ? '' : ` -s ${flag.short}`} -l ${flag.name}` : `--${flag.name}`), `${shell} ${command} --${flag.name}`);
				}
			}

			if (found === '') {
				return;
			}

			const file = path.join(fs.mkdtempSync('/tmp/tachyon-top-completion-'), `completion.${shell}`);
			fs.writeFileSync(file, script);
			execFileSync(found, ['-n', file]);
		});
	}
});
