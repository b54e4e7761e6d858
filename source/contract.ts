// Which flags go together: Tachyon's command-line contract (profiling/sampling/cli.py's
// _validate_args), plus ours where a flag would otherwise do nothing. Each broken rule is a
// usage error (exit 2) naming the options, checked before anything is started.
import {UserError} from '../common/errors.js';
import {formats, formatIds, type FormatId} from '../exporters/formats.js';
import type {ParsedArgs} from './argv.js';
import {formatOfFlag, type CommandName} from './flags.js';

const usageError = (message: string) => new UserError(message, 2);

/** The output format the flags choose (pstats when none); more than one is an error. */
export function chosenFormat(parsed: ParsedArgs): FormatId {
	const chosen: FormatId[] = [];
	for (const name of new Set(parsed.order)) {
		const format = name === 'diff-flamegraph' ? 'diff-flamegraph' : formatOfFlag(name);
		if (format !== undefined) {
			chosen.push(format);
		}
	}

	if (chosen.length > 1) {
		throw usageError(`Choose one output format, got ${chosen.map(id => `--${formats[id].flag}`).join(' and ')}`);
	}

	return chosen[0] ?? 'pstats';
}

/** Formats that carry what --opcodes records (Tachyon's list, and our pstats table's opcode section). */
const opcodeFormats: readonly FormatId[] = ['gecko', 'flamegraph', 'diff-flamegraph', 'heatmap', 'binary', 'pstats'];
const htmlFormats = formatIds.filter(id => formats[id].html);
/** pstats-only options, in the order Tachyon names them. */
const pstatsOptions = ['sort', 'limit', 'no-summary', 'pstats-layout'] as const;

function names(parsed: ParsedArgs, candidates: readonly string[]): string[] {
	return candidates.filter(name => parsed.values.has(name)).map(name => `--${name}`);
}

/** Tachyon's "Options --a, --b are ..." wording, singular for one. */
function options(issues: readonly string[], verb: 'are' | 'shape'): string {
	const singular = {are: 'is', shape: 'shapes'}[verb];
	return issues.length === 1 ? `Option ${issues[0]!} ${singular}` : `Options ${issues.join(', ')} ${verb}`;
}

export function checkContract(command: CommandName, parsed: ParsedArgs): void {
	const has = (name: string) => parsed.values.has(name);
	const format = command === 'dump' ? undefined : chosenFormat(parsed);

	// Async-aware stacks are rebuilt from the tasks: options about threads' own stacks do not apply.
	if (has('async-aware')) {
		const issues = [
			...names(parsed, ['native', 'no-gc', 'native-stacks']),
			...(format === 'binary' ? ['--binary'] : []),
			...(has('mode') && parsed.values.get('mode') !== 'wall' ? [`--mode=${String(parsed.values.get('mode'))}`] : []),
			...(has('all-threads') ? ['--all-threads'] : []),
		];
		if (issues.length > 0) {
			throw usageError(`${options(issues, 'are')} incompatible with --async-aware. Async-aware profiling uses task-based stack reconstruction.`);
		}
	} else if (has('async-mode')) {
		throw usageError('--async-mode requires --async-aware to be enabled.');
	}

	if (format === undefined) {
		return;
	}

	const formatFlag = `--${formats[format].flag}`;
	if (has('live')) {
		if (format !== 'pstats' || has('pstats') || has('output')) {
			throw usageError(`--live is incompatible with ${format === 'pstats' ? (has('output') ? '--output' : '--pstats') : formatFlag}. Live mode uses a TUI interface: export from it with e.`);
		}

		const issues = names(parsed, [...pstatsOptions, 'compression', 'browser']);
		if (issues.length > 0) {
			throw usageError(`${options(issues, 'are')} incompatible with --live. Live mode uses a TUI interface with its own controls (s/S sort, e exports).`);
		}

		// Sampled with every thread and state, shown as chosen on screen; these would change nothing there.
		const unsupported = names(parsed, ['native', 'no-gc', 'async-aware', 'realtime-stats']);
		if (unsupported.length > 0) {
			throw usageError(`${unsupported.join(', ')} ${unsupported.length > 1 ? 'are' : 'is'} not available in the live view; use it with a report format instead`);
		}

		return;
	}

	if (format === 'gecko' && has('mode')) {
		throw usageError('--mode option is incompatible with --gecko. Gecko format automatically includes both GIL-holding and CPU status analysis.');
	}

	const pstatsFile = format === 'pstats' && has('output');
	if (has('opcodes') && (!opcodeFormats.includes(format) || pstatsFile)) {
		throw usageError(`--opcodes is only compatible with --live, ${opcodeFormats.filter(id => id !== 'pstats').map(id => `--${formats[id].flag}`).join(', ')} and the pstats table (not ${pstatsFile ? 'the pstats file, -o' : formatFlag}): ${formatFlag}${pstatsFile ? ' -o' : ''} has nowhere to put the instructions`);
	}

	if (format !== 'pstats') {
		const issues = names(parsed, pstatsOptions);
		if (issues.length > 0) {
			throw usageError(`${options(issues, 'are')} only valid with --pstats, not ${formatFlag}`);
		}
	} else if (pstatsFile) {
		const issues = names(parsed, ['sort', 'limit', 'no-summary']);
		if (issues.length > 0) {
			throw usageError(`${options(issues, 'shape')} the pstats table printed on stdout; with -o the pstats file holds every row (sort it when you load it: python -m pstats FILE)`);
		}
	} else if (has('pstats-layout')) {
		throw usageError('--pstats-layout chooses the layout of the pstats file: give it a file with -o FILE');
	}

	if (has('compression') && format !== 'binary') {
		throw usageError(`--compression applies to --binary, not ${formatFlag}`);
	}

	if (has('browser') && !htmlFormats.includes(format)) {
		throw usageError(`--browser opens HTML outputs (${htmlFormats.map(id => `--${formats[id].flag}`).join(', ')}), not ${formatFlag}`);
	}
}
