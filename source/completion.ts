// `tachyon-top completion bash|zsh|fish`: a completion script written from the flag table,
// so every command completes exactly its own flags, choices complete their values, paths
// complete files and PIDs complete running Python processes.
import {UserError} from '../common/errors.js';
import {commandNames, commands, flagsOf, type CommandName, type FlagSpec} from './flags.js';

export const shells = ['bash', 'zsh', 'fish'] as const;

/** Python processes' PIDs, as the shell lists them. */
const pythonPids = String.raw`ps -eo pid=,comm= 2>/dev/null | awk '$2 ~ /^python/ {print $1}'`;

/** The first clause of a flag's help: short enough for a completion menu. */
function brief(flag: FlagSpec): string {
	const text = flag.help.split(/[:;(]/)[0]!.trim();
	return text.length > 70 ? `${text.slice(0, 69)}…` : text;
}

function spellings(flag: FlagSpec): string[] {
	return [...(flag.short === undefined ? [] : [`-${flag.short}`]), `--${flag.name}`];
}

function bash(): string {
	const valueCases = new Map<string, string>();
	for (const command of commandNames) {
		for (const flag of flagsOf(command)) {
			if (flag.value === undefined || flag.implicit !== undefined) {
				continue;
			}

			const action = flag.choices
				? `COMPREPLY=($(compgen -W "${flag.choices.join(' ')}" -- "$cur"))`
				: (flag.complete === undefined ? 'COMPREPLY=()' : `COMPREPLY=($(compgen -${flag.complete === 'directory' ? 'd' : 'f'} -- "$cur"))`);
			for (const spelling of spellings(flag)) {
				valueCases.set(spelling, action);
			}
		}
	}

	const perCommand = commandNames.map(command => `\t\t${command}) flags="${flagsOf(command).flatMap(flag => spellings(flag)).join(' ')} --help" ;;`);
	return `# tachyon-top completion for bash. Load it with: source <(tachyon-top completion bash)
_tachyon_top() {
	local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" command="" flags="" i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case "\${COMP_WORDS[i]}" in
			${[...commandNames, 'completion'].join('|')}) command="\${COMP_WORDS[i]}"; break ;;
		esac
	done
	if [[ -z $command ]]; then
		COMPREPLY=($(compgen -W "${commandNames.join(' ')} completion --help --version" -- "$cur"))
		return
	fi
	if [[ $command == completion ]]; then
		COMPREPLY=($(compgen -W "${shells.join(' ')}" -- "$cur"))
		return
	fi
	case "$prev" in
${[...valueCases].map(([spelling, action]) => `\t\t${spelling}) ${action}; return ;;`).join('\n')}
	esac
	case "$command" in
${perCommand.join('\n')}
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$flags" -- "$cur"))
	elif [[ $command == attach || $command == dump ]]; then
		COMPREPLY=($(compgen -W "$(${pythonPids})" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -F _tachyon_top tachyon-top
`;
}

/** Text inside a zsh _arguments spec: brackets, colons and quotes escaped. */
function zshText(text: string): string {
	return text.replaceAll('\\', '\\\\').replaceAll('\'', '\'\\\'\'').replaceAll('[', '\\[').replaceAll(']', '\\]').replaceAll(':', '\\:');
}

function zshSpec(flag: FlagSpec): string {
	const names = spellings(flag);
	const exclusive = names.length > 1 ? `(${names.join(' ')})` : '';
	const alternatives = names.length > 1 ? `{${names.join(',')}}` : names[0]!;
	let value = '';
	if (flag.value !== undefined) {
		const action = flag.choices ? `(${flag.choices.join(' ')})` : (flag.complete === undefined ? ' ' : (flag.complete === 'directory' ? '_directories' : '_files'));
		value = `${flag.implicit === undefined ? '' : '='}:${zshText(flag.value)}:${action}`;
	}

	const name = flag.implicit === undefined ? alternatives : `${alternatives}=-`;
	return `${exclusive === '' ? '' : `'${exclusive}'`}${name}'[${zshText(brief(flag))}]${value}'`;
}

function zshPositional(command: CommandName): string {
	switch (command) {
		case 'attach':
		case 'dump': {
			return '\':PID:_tachyon_top_pids\'';
		}

		case 'replay': {
			return '\':binary capture:_files -g "*.bin"\'';
		}

		case 'run': {
			return '\':script:_files\' \'*::arguments:_normal\'';
		}
	}
}

function zsh(): string {
	const cases = commandNames.map(command => `\t\t${command})\n\t\t\t_arguments -s \\\n${[...flagsOf(command).map(flag => zshSpec(flag)), '\'(-h --help)\'{-h,--help}\'[this help]\'', zshPositional(command)].map(line => `\t\t\t\t${line}`).join(' \\\n')} ;;`);
	return `#compdef tachyon-top
# tachyon-top completion for zsh. Load it with: source <(tachyon-top completion zsh)
# (or save it as _tachyon-top in a directory of your $fpath).
_tachyon_top_pids() {
	local -a pids
	pids=(\${(f)"$(${pythonPids})"})
	_describe 'Python process' pids
}
_tachyon_top() {
	local context state line
	if (( CURRENT == 2 )); then
		local -a subcommands
		subcommands=(
${commandNames.map(command => `\t\t\t'${command}:${zshText(commands[command].brief)}'`).join('\n')}
			'completion:print a shell completion script'
		)
		_describe command subcommands
		return
	fi
	local command=\${words[2]}
	shift words
	(( CURRENT-- ))
	case $command in
${cases.join('\n')}
		completion) _values shell ${shells.join(' ')} ;;
	esac
}
if [[ $zsh_eval_context[-1] == loadautoload ]]; then
	_tachyon_top "$@"
else
	compdef _tachyon_top tachyon-top
fi
`;
}

function fishText(text: string): string {
	return text.replaceAll('\\', '\\\\').replaceAll('\'', '\\\'');
}

function fish(): string {
	const lines = [
		'# tachyon-top completion for fish. Load it with: tachyon-top completion fish | source',
		'# (or save it as ~/.config/fish/completions/tachyon-top.fish).',
		'complete -c tachyon-top -f',
		...commandNames.map(command => `complete -c tachyon-top -n __fish_use_subcommand -a ${command} -d '${fishText(commands[command].brief)}'`),
		'complete -c tachyon-top -n __fish_use_subcommand -a completion -d \'print a shell completion script\'',
		`complete -c tachyon-top -n '__fish_seen_subcommand_from completion' -a '${shells.join(' ')}'`,
		`complete -c tachyon-top -n '__fish_seen_subcommand_from attach dump' -a '(${fishText(pythonPids)})'`,
		'complete -c tachyon-top -n \'__fish_seen_subcommand_from run replay\' -F',
	];
	for (const command of commandNames) {
		for (const flag of flagsOf(command)) {
			const parts = [`complete -c tachyon-top -n '__fish_seen_subcommand_from ${command}'`];
			if (flag.short !== undefined) {
				parts.push(`-s ${flag.short}`);
			}

			parts.push(`-l ${flag.name}`);
			if (flag.value !== undefined) {
				parts.push(flag.choices ? `-x -a '${flag.choices.join(' ')}'` : (flag.complete === undefined ? '-x' : '-r -F'));
			}

			parts.push(`-d '${fishText(brief(flag))}'`);
			lines.push(parts.join(' '));
		}
	}

	return lines.join('\n') + '\n';
}

export function completionScript(args: readonly string[]): string {
	const shell = args[0];
	if (args.length !== 1 || !shells.includes(shell as never)) {
		throw new UserError(`Expected a shell: tachyon-top completion ${shells.join('|')}${shell === undefined ? '' : ` (got \`${args.join(' ')}\`)`}`, 2);
	}

	return shell === 'bash' ? bash() : (shell === 'zsh' ? zsh() : fish());
}
