// The live view's three header lines: what is sampled, how well, and what the view shows.
import type {TextProps} from 'ink';
import type {LiveSnapshot} from '../live/live-store.js';
import {sortNames} from './function-table/columns.js';
import {fit, formatCount, formatDuration, formatHz, formatMicroseconds, formatPercent} from './format.js';
import {paint} from './paint.js';
import {RawLines} from './raw-lines.js';
import {stripColours, textWidth} from './text-width.js';
import {theme} from './theme.js';

export type HeaderProps = {
	readonly snapshot: LiveSnapshot;
	readonly width: number;
	/** --subprocesses: which process is shown, 1-based, of how many. */
	readonly process?: {readonly number: number; readonly count: number};
};

/** Header height in lines, for the layout. */
export const headerHeight = 3;

export function threadLabel(snapshot: LiveSnapshot): string {
	if (snapshot.tid === undefined) {
		return 'ALL';
	}

	const index = snapshot.threads.findIndex(thread => thread.tid === snapshot.tid);
	const name = snapshot.threads[index]?.name;
	return `${snapshot.tid}${name ? ` ${name}` : ''} (${index + 1}/${snapshot.threads.length})`;
}

export function Header({snapshot, width, process}: HeaderProps) {
	return <RawLines lines={headerLines(snapshot, width, process)} width={Math.max(1, width - 1)} />;
}

/** The three lines, styled, each at most `width - 1` columns. */
export function headerLines(snapshot: LiveSnapshot, width: number, process?: HeaderProps['process']): string[] {
	const shownProcess = process ? `process ${process.number}/${process.count} │ ` : '';
	const uptime = snapshot.uptimeS === undefined ? '' : `up ${formatDuration(snapshot.uptimeS)} │ `;
	const first = ` ${shownProcess}PID ${snapshot.pid} │ Python ${snapshot.version} │ ${uptime}`;
	const thread = ` │ thread ${threadLabel(snapshot)} │ `;
	const badge = ` ${snapshot.mode.toUpperCase()} `;
	const used = 'tachyon-top'.length + first.length + badge.length + thread.length;
	const ratePercent = snapshot.requestedHz > 0 ? (snapshot.achievedHz / snapshot.requestedHz) * 100 : 0;
	const pause = snapshot.pauseUs === undefined ? '' : ` │ pause ${formatMicroseconds(snapshot.pauseUs)}/sample`;
	const second = `rate ${formatHz(snapshot.achievedHz)} of ${formatHz(snapshot.requestedHz)} (${formatPercent(ratePercent)}%)${pause} │ errors ${formatPercent(snapshot.errorPercent)}% │ GIL ${formatPercent(snapshot.gilPercent)}% │ CPU ${formatPercent(snapshot.cpuPercent)}% │ GC ${formatPercent(snapshot.gcPercent)}% │ ${formatCount(snapshot.totalSamples)} samples`;
	const warning = snapshot.behind ? ' ⚠ sampler falling behind' : '';
	const third = [
		`sort: ${sortNames[snapshot.sort]}`,
		`functions ${snapshot.functionCount}${snapshot.filter ? ` (${snapshot.rows.length} shown)` : ''}`,
		`sampled ${formatDuration(snapshot.elapsedS)}`,
		...(snapshot.filter ? [`filter: ${snapshot.filter} (c clears)`] : []),
	].join(' │ ');
	const state = stateText(snapshot);
	const tail = (text: string, style: TextProps) => (text ? paint(text, style) : '');
	// A line wider than the terminal would wrap there: in the rare case the parts don't fit
	// (a narrow terminal, a long thread name), the line is cut, without its colours.
	const fitted = (line: string) => (textWidth(line) <= width - 1 ? line : fit(stripColours(line), width - 1));
	return [
		paint('tachyon-top', theme.title()) + first + paint(badge, theme.badge()) + thread + tail(fit(snapshot.command, Math.max(0, width - used - 1)), theme.dim()),
		fit(second, Math.max(0, width - warning.length - 1)) + tail(warning, theme.warning()),
		fit(third, Math.max(0, width - state.length - 1)) + tail(state, snapshot.status === 'sampling' ? theme.badge() : theme.warning()),
	].map(line => fitted(line));
}

function stateText(snapshot: LiveSnapshot): string {
	switch (snapshot.status) {
		case 'attaching': {
			return ' attaching… ';
		}

		case 'exited': {
			return ` ${snapshot.message ?? 'sampling ended'}: data kept, e exports `;
		}

		case 'error': {
			return ` ${snapshot.message ?? 'error'} `;
		}

		default: {
			return snapshot.paused ? ' PAUSED ' : '';
		}
	}
}
