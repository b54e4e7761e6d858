// Parses a command line against the flag table (flags.ts): each command takes only its own
// flags, and every mistake is a usage error (exit 2) that names the flag or value and says
// what to type instead. For run, the target's own arguments are split off first, so they
// reach the script untouched even when they look like our flags.
import {UserError} from '../common/errors.js';
import {commandNames, flagByName, flagByShort, flagTable, flagsOf, takesNextArgument, type CommandName, type FlagSpec} from './flags.js';

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
		if (takesNextArgument(arg) && index + 1 < rest.length) {
			options.push(rest[++index]!);
		}
	}

	return {command, options, target: []};
}

export type ParsedArgs = {
	/** Each flag given, by long name: its value, or true for a switch. The last one given wins. */
	readonly values: ReadonlyMap<string, string | true>;
	/** Flags in the order given, by long name (for messages). */
	readonly order: readonly string[];
	readonly positionals: readonly string[];
	/** -h or --help was among them. */
	readonly help: boolean;
};

const usageError = (message: string) => new UserError(message, 2);

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
	let previous = Array.from({length: b.length + 1}, (_, index) => index);
	for (let i = 1; i <= a.length; i++) {
		const current = [i];
		for (let j = 1; j <= b.length; j++) {
			current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
		}

		previous = current;
	}

	return previous[b.length]!;
}

/** The flag of this command closest to a mistyped name, if any is close enough to be the one meant. */
export function closestFlag(command: CommandName, typed: string): FlagSpec | undefined {
	const candidates = flagsOf(command);
	const prefixed = candidates.filter(flag => flag.name.startsWith(typed));
	if (typed.length >= 3 && prefixed.length === 1) {
		return prefixed[0];
	}

	let best: FlagSpec | undefined;
	let bestDistance = Number.POSITIVE_INFINITY;
	for (const flag of candidates) {
		const d = distance(typed, flag.name);
		if (d < bestDistance) {
			best = flag;
			bestDistance = d;
		}
	}

	return best && bestDistance <= Math.max(1, Math.floor(typed.length / 3)) ? best : undefined;
}

/** What to say about a flag this command does not take. */
function unknownFlag(command: CommandName, typed: string, next: string | undefined): UserError {
	const name = typed.replace(/^-+/, '').replace(/=.*$/, '');
	// py-spy and perf take the PID as a flag; Tachyon (and we) take it as the positional argument.
	if ((name === 'pid' || typed === '-p') && (command === 'attach' || command === 'dump')) {
		const pid = /^-[-a-z]+=(\d+)$/.exec(typed)?.[1] ?? (next !== undefined && /^\d+$/.test(next) ? next : 'PID');
		return usageError(`unknown flag ${typed.replace(/=.*$/, '')}; the PID is positional: tachyon-top ${command} ${pid}`);
	}

	const elsewhere = typed.startsWith('--') ? flagByName(name) : flagByShort(name);
	if (elsewhere) {
		const spelled = elsewhere.short === undefined ? `--${elsewhere.name}` : `-${elsewhere.short}/--${elsewhere.name}`;
		return usageError(`${spelled} does not apply to ${command} (only to ${elsewhere.commands.join(', ')}; tachyon-top ${command} --help lists ${command}'s flags)`);
	}

	const closest = typed.startsWith('--') ? closestFlag(command, name) : undefined;
	return usageError(`unknown flag ${typed.replace(/=.*$/, '')}${closest ? `; did you mean --${closest.name}?` : ''} (tachyon-top ${command} --help lists ${command}'s flags)`);
}

function checkChoice(flag: FlagSpec, value: string): string {
	if (flag.choices && !flag.choices.includes(value)) {
		throw usageError(`invalid value for --${flag.name}: \`${value}\` (choose from ${flag.choices.join(', ')})`);
	}

	return value;
}

/** A value for a flag may look like a negative number, never like another flag. */
function isValue(arg: string | undefined): arg is string {
	return arg !== undefined && (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg));
}

/** Parses one command's options: flags from the table that the command takes, and positionals. */
export function parseOptions(command: CommandName, args: readonly string[]): ParsedArgs {
	const values = new Map<string, string | true>();
	const order: string[] = [];
	const positionals: string[] = [];
	let help = false;
	const set = (flag: FlagSpec, value: string | true) => {
		values.set(flag.name, value);
		order.push(flag.name);
	};

	const accepts = (flag: FlagSpec | undefined): flag is FlagSpec => flag?.commands.includes(command) === true;
	for (let index = 0; index < args.length; index++) {
		const arg = args[index]!;
		if (arg === '--') {
			positionals.push(...args.slice(index + 1));
			break;
		}

		if (arg === '-h' || arg === '--help') {
			help = true;
			continue;
		}

		if (arg.startsWith('--')) {
			const equals = arg.indexOf('=');
			const name = arg.slice(2, equals < 0 ? undefined : equals);
			const flag = flagByName(name);
			if (!accepts(flag)) {
				throw unknownFlag(command, arg, args[index + 1]);
			}

			if (flag.value === undefined) {
				if (equals >= 0) {
					throw usageError(`--${flag.name} takes no value (got \`${arg}\`)`);
				}

				set(flag, true);
			} else if (equals >= 0) {
				set(flag, checkChoice(flag, arg.slice(equals + 1)));
			} else if (flag.implicit !== undefined) {
				set(flag, flag.implicit);
			} else if (isValue(args[index + 1])) {
				set(flag, checkChoice(flag, args[++index]!));
			} else {
				throw usageError(`--${flag.name} needs a value: ${flagSignatureShort(flag)}${flag.choices ? ` (one of ${flag.choices.join(', ')})` : ''}`);
			}

			continue;
		}

		if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) {
			// -a, -ab (switches grouped), -r 10k, -r10k.
			for (let at = 1; at < arg.length; at++) {
				const letter = arg[at]!;
				const flag = flagByShort(letter);
				if (!accepts(flag)) {
					throw unknownFlag(command, `-${letter}`, args[index + 1]);
				}

				if (flag.value === undefined) {
					set(flag, true);
					continue;
				}

				const attached = arg.slice(at + 1).replace(/^=/, '');
				if (attached !== '') {
					set(flag, checkChoice(flag, attached));
				} else if (isValue(args[index + 1])) {
					set(flag, checkChoice(flag, args[++index]!));
				} else {
					throw usageError(`-${letter} needs a value: ${flagSignatureShort(flag)}`);
				}

				break;
			}

			continue;
		}

		positionals.push(arg);
	}

	return {values, order, positionals, help};
}

function flagSignatureShort(flag: FlagSpec): string {
	return `${flag.short === undefined ? '' : `-${flag.short} ${flag.value}, `}--${flag.name} ${flag.value}`;
}

/** The command, or a usage error that lists the commands. */
export function commandOf(word: string): CommandName {
	const found = commandNames.find(name => name === word);
	if (found) {
		return found;
	}

	if (word === '--pid' || word === '-p' || word.startsWith('--pid=')) {
		throw usageError(`unknown flag ${word.replace(/=.*$/, '')}; the PID is positional: tachyon-top attach ${/=(\d+)$/.exec(word)?.[1] ?? 'PID'}`);
	}

	if (word.startsWith('-')) {
		const flag = flagTable.find(candidate => `--${candidate.name}` === word || `-${candidate.short}` === word);
		throw usageError(flag
			? `${word} comes after a command: tachyon-top ${flag.commands[0]} ${word}${flag.value ? ` ${flag.value}` : ''} ... (commands: ${commandNames.join(', ')})`
			: `unknown flag ${word} (tachyon-top --help lists the commands)`);
	}

	const close = [...commandNames, 'agent', 'completion'].find(name => distance(word, name) <= 2);
	throw usageError(`Unknown command \`${word}\`${close ? `; did you mean ${close}?` : ''} (commands: ${commandNames.join(', ')}, agent, completion; tachyon-top --help)`);
}

/** The PID among positional arguments, wherever it stood. */
export function pidFrom(input: readonly string[], command: string): number {
	const numbers = input.filter(arg => /^\d+$/.test(arg));
	const others = input.filter(arg => !/^\d+$/.test(arg));
	if (numbers.length !== 1 || others.length > 0) {
		throw usageError(`Expected one process id: tachyon-top ${command} [options] PID${others.length > 0 ? ` (got \`${others.join(' ')}\`)` : ''}`);
	}

	return Number(numbers[0]);
}
