// The live view's three header lines: what is sampled, how well, and what the view shows.
import type {TextProps} from 'ink';
import type {LiveSnapshot} from '../live/live-store.js';
import {pidLabel} from '../common/pid-label.js';
import {sortNames} from './function-table/columns.js';
import {fit, formatCount, formatDuration, formatHz, formatMicroseconds, formatPercent} from './format.js';
import {shownName} from './names.js';
import {sparkline} from './sparkline.js';
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
	return `${snapshot.tid}${name ? ` ${shownName(name)}` : ''} (${index + 1}/${snapshot.threads.length})`;
}

export function Header({snapshot, width, process}: HeaderProps) {
	return <RawLines lines={headerLines(snapshot, width, process)} width={Math.max(1, width - 1)} />;
}

/** The three lines, styled, each at most `width - 1` columns. */
export function headerLines(snapshot: LiveSnapshot, width: number, process?: HeaderProps['process']): string[] {
	const shownProcess = process ? `process ${process.number}/${process.count} │ ` : '';
	const uptime = snapshot.uptimeS === undefined ? '' : `up ${formatDuration(snapshot.uptimeS)} │ `;
	const first = ` ${shownProcess}${pidLabel(snapshot.pid, snapshot.nsPid)} │ Python ${snapshot.version} │ ${uptime}`;
	const thread = ` │ thread ${threadLabel(snapshot)} │ `;
	const badge = ` ${snapshot.mode.toUpperCase()} `;
	const used = 'tachyon-top'.length + first.length + badge.length + thread.length;
	const state = stateText(snapshot);
	const tail = (text: string, style: TextProps) => (text ? paint(text, style) : '');
	// A line wider than the terminal would wrap there: in the rare case the parts don't fit
	// (a narrow terminal, a long thread name), the line is cut, without its colours.
	const fitted = (line: string) => (textWidth(line) <= width - 1 ? line : fit(stripColours(line), width - 1));
	// The warning is never cut: the figures before it give way (⚠ counted as two columns, as some terminals draw it).
	const warning = snapshot.behind ? ' ⚠ sampler falling behind' : '';
	const second = joinParts(figureParts(snapshot, width), width - 1 - (warning ? warning.length + 1 : 0));
	const third = joinParts(viewParts(snapshot), width - 1 - textWidth(state));
	return [
		fitted(paint('tachyon-top', theme.title()) + first + paint(badge, theme.badge()) + thread + tail(fit(shownName(snapshot.command), Math.max(0, width - used - 1)), theme.dim())),
		second + tail(warning, theme.warning()),
		fitted(fit(third, Math.max(0, width - 1 - textWidth(state))) + tail(state, snapshot.status === 'sampling' ? theme.badge() : theme.warning())),
	];
}

/** Parts joined by ` │ ` while they fit in `width`, in order (later parts give way first). */
function joinParts(parts: readonly string[], width: number): string {
	let line = '';
	for (const part of parts) {
		const next = line ? `${line} │ ${part}` : part;
		if (textWidth(next) > width) {
			break;
		}

		line = next;
	}

	return line;
}

/** How well sampling goes, with the last minute's trends (rate, CPU, GIL) as sparklines. */
function figureParts(snapshot: LiveSnapshot, width: number): string[] {
	const spark = width >= 120 ? 12 : 6;
	const {trends} = snapshot;
	const ratePercent = snapshot.requestedHz > 0 ? (snapshot.achievedHz / snapshot.requestedHz) * 100 : 0;
	return [
		`rate ${formatHz(snapshot.achievedHz)} (${formatPercent(ratePercent)}%) ${sparkline(trends.rate, spark, {max: snapshot.requestedHz})}`,
		// --blocking's cost comes before the trends: it is what the user chose to pay for.
		...(snapshot.pauseUs === undefined ? [] : [`pause ${formatMicroseconds(snapshot.pauseUs)}/sample`]),
		`CPU ${formatPercent(snapshot.cpuPercent)}% ${sparkline(trends.cpu, spark, {max: 100})}`,
		`GIL ${formatPercent(snapshot.gilPercent)}% ${sparkline(trends.gil, spark, {max: 100})}`,
		`GC ${formatPercent(snapshot.gcPercent)}%`,
		`errors ${formatPercent(snapshot.errorPercent)}%`,
		`${formatCount(snapshot.totalSamples)} samples`,
		`of ${formatHz(snapshot.requestedHz)}`,
	];
}

/** What the table shows: the window, the order, the rows, the filter. */
function viewParts(snapshot: LiveSnapshot): string[] {
	const {window} = snapshot;
	const span = window.on ? `last ${window.lengthS} s${window.spanS < window.lengthS - 0.5 ? ` (${Math.floor(window.spanS)} s so far)` : ''}` : 'since start';
	return [
		`${window.on ? 'WINDOW' : 'window'}: ${span}`,
		// `n`: what is sampled, beside what is shown (only while native stacks are on or switching).
		...(snapshot.nativeStacks.state === 'off' ? [] : [`native ${snapshot.nativeStacks.state}`]),
		`sort: ${sortNames[snapshot.sort]}`,
		...(snapshot.filter ? [`filter: ${shownName(snapshot.filter)} (c clears)`] : []),
		`${snapshot.lines ? 'lines' : 'functions'} ${snapshot.functionCount}${snapshot.filter ? ` (${snapshot.rows.length} shown)` : ''}`,
		`sampled ${formatDuration(snapshot.elapsedS)}`,
	];
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
