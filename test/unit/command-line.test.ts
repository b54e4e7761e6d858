// The command line without a process: per-command flags and help, usage errors (exit 2, the
// flag or value named, a suggestion), which options go together (Tachyon's rules and ours),
// run's argument split, and the completion scripts' contents.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {UserError} from '../../common/errors.js';
import {parseOptions, splitArgs} from '../../source/argv.js';
import {completionScript} from '../../source/completion.js';
import {checkContract, chosenFormat} from '../../source/contract.js';
import {commandNames, flagTable, flagsOf, type CommandName} from '../../source/flags.js';
import {commandHelp} from '../../source/help.js';
import {refused} from './cli-refusals.js';

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
});

describe('usage errors', () => {
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
			['attach', ['--live', '--native-stacks', '1']], ['attach', ['--live', '--native-stacks=all', '1']], ['run', ['--live', '--native-stacks', 'x.py']],
			['replay', ['--heatmap', '--browser', 'x.bin']], ['run', ['--binary', '--compression', 'none']],
		] as Array<[CommandName, string[]]>) {
			assert.equal(usageError(command, args)?.message, undefined, `${command} ${args.join(' ')}`);
		}

		assert.equal(chosenFormat(parseOptions('attach', ['--diff-flamegraph', 'base.bin', '1'])), 'diff-flamegraph');
	});
});

describe('completion scripts', () => {
	for (const shell of ['bash', 'zsh', 'fish'] as const) {
		test(`${shell}: every command's flags`, () => {
			const script = completionScript([shell]);
			for (const command of commandNames) {
				for (const flag of flagsOf(command)) {
					const spelled = shell === 'fish' ? `from ${command}'${flag.short === undefined ? '' : ` -s ${flag.short}`} -l ${flag.name}` : `--${flag.name}`;
					assert.ok(script.includes(spelled), `${shell} ${command} --${flag.name}`);
				}
			}
		});
	}

	test('an unknown shell is a usage error', () => {
		assert.throws(() => completionScript(['tcsh']), (error: unknown) => error instanceof UserError && error.exitCode === 2 && /bash\|zsh\|fish/.test(error.message));
	});
});
