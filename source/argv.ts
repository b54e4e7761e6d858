// Splits a command line into the subcommand, our options and (for run) the target's own
// arguments, which must reach the script untouched even when they look like our flags.
import {UserError} from '../common/errors.js';
import {flagsWithValues} from './flags.js';

export type SplitArgs = {
	readonly command: string | undefined;
	/** Arguments for our option parser. */
	readonly options: string[];
	/** run: the script (or module with -m) and its arguments. */
	readonly target: string[];
};

export function splitArgs(argv: readonly string[]): SplitArgs {
	const [command, ...rest] = argv;
	if (command !== 'run') {
		return {command, options: rest, target: []};
	}

	const options: string[] = [];
	for (let index = 0; index < rest.length; index++) {
		const arg = rest[index]!;
		if (arg === '--') {
			return {command, options, target: rest.slice(index + 1)};
		}

		if (arg === '-m' || arg === '--module') {
			options.push(arg);
			return {command, options, target: rest.slice(index + 1)};
		}

		if (!arg.startsWith('-') || arg === '-') {
			return {command, options, target: rest.slice(index)};
		}

		options.push(arg);
		if (flagsWithValues.has(arg) && index + 1 < rest.length) {
			options.push(rest[++index]!);
		}
	}

	return {command, options, target: []};
}

/** The PID among positional arguments, wherever it stood. */
export function pidFrom(input: readonly string[], command: string): number {
	const numbers = input.filter(arg => /^\d+$/.test(arg));
	const others = input.filter(arg => !/^\d+$/.test(arg));
	if (numbers.length !== 1 || others.length > 0) {
		throw new UserError(`Expected one process id: tachyon-top ${command} [options] PID${others.length > 0 ? ` (got \`${others.join(' ')}\`)` : ''}`, 2);
	}

	return Number(numbers[0]);
}
