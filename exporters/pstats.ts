// The pstats-style text table (Tachyon's default output), with a header on how sampling went.
import type {ProfilingMode} from '../common/profile-types.js';
import {functionStats, sortRows, type SortKey} from './function-stats.js';
import type {Profile} from './model.js';
import {opcodeCounts} from './opcode-stats.js';
import {formatOpcode} from '../sampler/opcodes.js';
import {shortFilename} from './paths.js';
import {terminalText} from '../common/terminal-text.js';

export type PstatsTextOptions = {
	readonly sort?: SortKey;
	readonly limit?: number;
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

export function samplingHeader(profile: Profile): string {
	const summary = profile.summary();
	const lines = [
		`Captured ${summary.attempts.toLocaleString('en-US')} samples in ${summary.durationS.toFixed(2)} seconds from PID ${profile.meta.pid} (Python ${terminalText(profile.meta.pythonVersion)})`,
		`Sample rate: ${summary.rate.toFixed(2)} samples/sec (requested ${(1e6 / profile.meta.intervalUs).toFixed(0)})`,
		`Error rate: ${summary.errorRate.toFixed(2)}%`,
		`Missed samples: ${summary.missed.toLocaleString('en-US')} (${Math.max(0, summary.missedRate).toFixed(2)}%)`,
	];
	if (profile.endReason === 'exited') {
		lines.push(`Process ${profile.meta.pid} exited during sampling; the samples taken until then are shown.`);
	}

	return lines.join('\n');
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
	const shown = sortRows(rows, options.sort ?? 'nsamples').slice(0, limit > 0 ? limit : undefined);
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
			((row.directSamples / totalDirect) * 100).toFixed(1).padStart(8),
			(row.directTimeUs / tot.divisor).toFixed(3).padStart(totWidth),
			((row.cumulativeSamples / totalDirect) * 100).toFixed(1).padStart(8),
			(row.cumulativeTimeUs / cum.divisor).toFixed(3).padStart(cumWidth),
			location,
		].join('  '));
	}

	if (profile.meta.opcodes) {
		lines.push('', ...opcodeRows(profile, limit, mode));
	}

	lines.push(
		'',
		'Legend:',
		'  nsamples: direct/cumulative samples (direct = executing the line, cumulative = on the stack)',
		'  sample%: direct samples / all samples; cumul%: cumulative samples / all samples',
		'  tottime, cumtime: the real time those samples stand for, from their timestamps',
	);
	if (rows.length > shown.length) {
		lines.push(`  (${rows.length - shown.length} more rows; use -l/--limit to see them)`);
	}

	return lines.join('\n') + '\n';
}
