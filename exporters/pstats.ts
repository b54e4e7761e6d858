// The pstats-style text table (Tachyon's default output), with a header on how sampling went.
import {thousands} from '../common/thousands.js';
import type {ProfilingMode} from '../common/profile-types.js';
import {functionStats, sortRows, type FunctionRow, type SortKey} from './function-stats.js';
import type {Profile} from './model.js';
import {opcodeCounts} from './opcode-stats.js';
import {formatOpcode} from '../sampler/opcodes.js';
import {shortFilename} from './paths.js';
import {pythonFixed} from './python-fixed.js';
import {pidLabel} from '../common/pid-label.js';
import {terminalText} from '../common/terminal-text.js';

export type PstatsTextOptions = {
	readonly sort?: SortKey;
	readonly limit?: number;
	/** The "Summary of Interesting Functions" after the table, as Tachyon prints it (default true). */
	readonly summary?: boolean;
	/** The samples a mode keeps (default: the profile's capture mode). */
	readonly mode?: ProfilingMode | undefined;
};

function unitFor(maxUs: number): {label: string; divisor: number} {
	if (maxUs >= 1e6) {
		return {label: 's', divisor: 1e6};
	}

	if (maxUs >= 1e3) {
		return {label: 'ms', divisor: 1e3};
	}

	return {label: 'μs', divisor: 1};
}

/**
 * Why samples came late or were missed, when they did: the sampler waited for a CPU, or its
 * reads were slow. Only a capture's own statistics know (a replayed file does not).
 */
function stallLine(summary: ReturnType<Profile['summary']>): string | undefined {
	if (summary.late === undefined || (summary.late === 0 && summary.missed === 0)) {
		return undefined;
	}

	const waited = summary.cpuWaitS === undefined ? undefined : summary.cpuWaitS;
	const reason = waited !== undefined && waited >= summary.durationS * 0.01
		? `the sampler waited ${waited.toFixed(2)} s for a CPU (a busy machine)`
		: 'its reads took longer than the interval';
	const skipped = summary.missed > 0 ? '; stalls over a second are not caught up (the missed samples)' : '';
	return `Late samples: ${thousands(summary.late)} (${summary.lateRate.toFixed(2)}%), taken back to back after stalls: ${reason}${skipped}`;
}

/** `1,234`: counts as Tachyon prints them (`{n:n}` in an English locale). */
const count = thousands;

/**
 * Tachyon's warning when the sampler fell behind: samples expected over the time sampled
 * minus samples taken. Not after Ctrl-C (as Tachyon), where the span was cut short anyway.
 */
export function missedSamplesWarning(profile: Profile): string | undefined {
	const stats = profile.sampledStats;
	const expected = Math.floor(stats.elapsedUs / profile.meta.intervalUs);
	const missed = expected - stats.attempts;
	if (missed <= 0 || profile.endReason === 'stopped') {
		return undefined;
	}

	return `Warning: missed ${missed} samples from the expected total of ${expected} (${((missed / expected) * 100).toFixed(2)}%)`;
}

/** How sampling went. `exitNote`: say that the target exited (default), where nothing else says it. */
export function samplingHeader(profile: Profile, options: {exitNote?: boolean} = {}): string {
	const summary = profile.summary();
	const lines = [
		`Captured ${count(summary.attempts)} sample${summary.attempts === 1 ? '' : 's'} in ${summary.durationS.toFixed(2)} seconds from ${pidLabel(profile.meta.pid, profile.meta.nsPid)} (Python ${terminalText(profile.meta.pythonVersion)})`,
		`Sample rate: ${summary.rate.toFixed(2)} samples/sec (requested ${(1e6 / profile.meta.intervalUs).toFixed(0)})`,
		`Error rate: ${summary.errorRate.toFixed(2)}%`,
	];
	const warning = missedSamplesWarning(profile);
	if (warning) {
		lines.push(warning);
	}

	for (const exec of profile.execs) {
		lines.push(terminalText(`Process ${profile.meta.pid} exec'd at ${(exec.atUs / 1e6).toFixed(2)} s into ${exec.command.join(' ')} (Python ${exec.pythonVersion}); later samples are of that program.`));
	}

	const stalls = stallLine(summary);
	if (stalls) {
		lines.push(stalls);
	}

	if (profile.endReason === 'exited' && options.exitNote !== false) {
		lines.push(`Process ${profile.meta.pid} exited during sampling; the samples taken until then are shown.`);
	}

	return lines.join('\n');
}

type SummaryEntry = {readonly name: string; readonly direct: number; readonly cumulative: number};

/**
 * Tachyon's "Summary of Interesting Functions": the rows shown, summed per function (lines
 * merged), and the top three by three measures, worded and ordered as Tachyon prints them.
 */
function summarySection(shown: readonly FunctionRow[], totalDirect: number): string[] {
	const byFunction = new Map<string, {name: string; direct: number; cumulative: number}>();
	for (const row of shown) {
		const file = row.synthetic ? '~' : shortFilename(row.filename);
		const key = `${file}:${row.funcname}`;
		const entry = byFunction.get(key) ?? {name: terminalText(`${file}:(${row.funcname})`), direct: 0, cumulative: 0};
		entry.direct += row.directSamples;
		entry.cumulative += row.cumulativeSamples;
		byFunction.set(key, entry);
	}

	const entries = [...byFunction.values()];
	const percent = (value: number) => pythonFixed(totalDirect > 0 ? (value / totalDirect) * 100 : 0, 1);
	const top = (title: string, key: (entry: SummaryEntry) => number, line: (entry: SummaryEntry) => string | undefined) => [
		'',
		`${title}:`,
		// A stable sort, largest first: ties keep the table's order, as Python's sorted(reverse=True).
		...entries.toSorted((a, b) => key(b) - key(a)).slice(0, 3).flatMap(entry => {
			const text = line(entry);
			return text === undefined ? [] : [`  ${text}`];
		}),
	];
	return [
		'',
		'Summary of Interesting Functions:',
		...top('Functions with Highest Direct/Cumulative Ratio (Hot Spots)', entry => (entry.cumulative > 0 ? entry.direct / entry.cumulative : 0),
			entry => (entry.direct > 0 && entry.cumulative > 0
				? `${pythonFixed(entry.direct / entry.cumulative, 3)} direct/cumulative ratio, ${percent(entry.direct)}% direct samples: ${entry.name}`
				: undefined)),
		...top('Functions with Highest Call Frequency (Indirect Calls)', entry => entry.cumulative - entry.direct,
			entry => (entry.cumulative > entry.direct
				? `${entry.cumulative - entry.direct} indirect calls, ${percent(entry.cumulative)}% total stack presence: ${entry.name}`
				: undefined)),
		...top('Functions with Highest Call Magnification (Cumulative/Direct)', entry => (entry.direct > 0 ? entry.cumulative / entry.direct : 0),
			entry => (entry.direct > 0 && entry.cumulative > entry.direct
				? `${pythonFixed(entry.cumulative / entry.direct, 1)}x call magnification, ${entry.cumulative - entry.direct} indirect calls from ${entry.direct} direct: ${entry.name}`
				: undefined)),
	];
}

/** Milliseconds or microseconds, as a person reads a sample's share of time. */
function formatPerSample(us: number): string {
	return us >= 1000 ? `${(us / 1000).toFixed(3)} ms` : `${us.toFixed(1)} μs`;
}

/** With --opcodes: the instructions the samples were executing, by share, as the article shows. */
function opcodeRows(profile: Profile, limit: number, mode: ProfilingMode): string[] {
	const counts = opcodeCounts(profile, {mode});
	const total = counts.reduce((sum, entry) => sum + entry.samples, 0);
	if (total === 0) {
		return ['Opcodes: none recorded.'];
	}

	const shown = counts.slice(0, limit > 0 ? limit : undefined);
	const names = shown.map(entry => formatOpcode(profile.meta.pythonVersion, entry.opcode));
	const width = Math.max(...names.map(name => name.length));
	const lines = ['Opcodes (the instruction each sample\'s innermost Python frame was executing):', `  ${'opcode'.padEnd(width)}  ${'sample%'.padStart(8)}  ${'nsamples'.padStart(9)}`];
	for (const [index, entry] of shown.entries()) {
		lines.push(`  ${names[index]!.padEnd(width)}  ${((entry.samples / total) * 100).toFixed(1).padStart(7)}%  ${String(entry.samples).padStart(9)}`);
	}

	if (counts.length > shown.length) {
		lines.push(`  (${counts.length - shown.length} more opcodes)`);
	}

	return lines;
}

export function pstatsText(profile: Profile, options: PstatsTextOptions = {}): string {
	const mode = options.mode ?? profile.meta.mode;
	const {rows, totalSamples} = functionStats(profile, {mode});
	const header = samplingHeader(profile);
	if (totalSamples === 0 || rows.length === 0) {
		return `${header}\n\nNo samples were collected.${mode === 'cpu' ? ' (In cpu mode only threads running on a CPU are sampled.)' : ''}\n`;
	}

	const totalDirect = rows.reduce((sum, row) => sum + row.directSamples, 0) || 1;
	const limit = options.limit ?? 15;
	const shown = sortRows(rows, options.sort ?? 'nsamples', 'first-seen').slice(0, limit > 0 ? limit : undefined);
	const tot = unitFor(Math.max(...shown.map(row => row.directTimeUs)));
	const cum = unitFor(Math.max(...shown.map(row => row.cumulativeTimeUs)));
	const totHeader = `tottime (${tot.label})`;
	const cumHeader = `cumtime (${cum.label})`;
	const totWidth = Math.max(12, totHeader.length);
	const cumWidth = Math.max(12, cumHeader.length);
	const lines = [
		header,
		'',
		'Profile Stats:',
		`${'nsamples'.padStart(15)}  ${'sample%'.padStart(8)}  ${totHeader.padStart(totWidth)}  ${'cumul%'.padStart(8)}  ${cumHeader.padStart(cumWidth)}  filename:lineno(function)`,
	];
	for (const row of shown) {
		// Names come from the target (or an archive): the table goes to a terminal.
		const location = terminalText(row.synthetic ? `~:0(${row.funcname})` : `${shortFilename(row.filename)}:${row.line}(${row.funcname})`);
		lines.push([
			`${row.directSamples}/${row.cumulativeSamples}`.padStart(15),
			pythonFixed((row.directSamples / totalDirect) * 100, 1).padStart(8),
			pythonFixed(row.directTimeUs / tot.divisor, 3).padStart(totWidth),
			pythonFixed((row.cumulativeSamples / totalDirect) * 100, 1).padStart(8),
			pythonFixed(row.cumulativeTimeUs / cum.divisor, 3).padStart(cumWidth),
			location,
		].join('  '));
	}

	if (profile.meta.opcodes) {
		lines.push('', ...opcodeRows(profile, limit, mode));
	}

	const sampleUs = profile.sampleTimeUs();
	lines.push(
		'',
		'Legend:',
		'  nsamples: direct/cumulative samples (direct = executing the line, cumulative = on the stack)',
		'  sample%: direct samples / all samples; cumul%: cumulative samples / all samples',
		`  tottime, cumtime: direct / cumulative samples × ${formatPerSample(sampleUs)}, the time sampled (${(profile.sampledTimeUs() / 1e6).toFixed(3)} s) shared equally among the ${count(profile.ticks)} sampling ticks`,
		'    (an estimate: every thread sampled at a tick stands for that tick\'s time, so one thread\'s direct times add up to the time sampled)',
		'  filename:lineno(function): the line each sample was executing in that function',
	);
	if (rows.length > shown.length) {
		lines.push(`  (${rows.length - shown.length} more rows; use -l/--limit to see them)`);
	}

	if (options.summary !== false) {
		lines.push(...summarySection(shown, totalDirect));
	}

	return lines.join('\n') + '\n';
}
