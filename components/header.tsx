// The live view's three header lines: what is sampled, how well, and what the view shows.
import {Box, Text} from 'ink';
import type {LiveSnapshot} from '../source/live-store.js';
import {sortNames} from './function-table/columns.js';
import {fit, formatCount, formatDuration, formatHz, formatPercent} from './format.js';
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
	const shownProcess = process ? `process ${process.number}/${process.count} │ ` : '';
	const first = ` ${shownProcess}PID ${snapshot.pid} │ Python ${snapshot.version} │ up ${formatDuration(snapshot.elapsedS)} │ `;
	const thread = ` │ thread ${threadLabel(snapshot)} │ `;
	const badge = ` ${snapshot.mode.toUpperCase()} `;
	const used = 'tachyon-top'.length + first.length + badge.length + thread.length;
	const ratePercent = snapshot.requestedHz > 0 ? (snapshot.achievedHz / snapshot.requestedHz) * 100 : 0;
	const second = `rate ${formatHz(snapshot.achievedHz)} of ${formatHz(snapshot.requestedHz)} (${formatPercent(ratePercent)}%) │ errors ${formatPercent(snapshot.errorPercent)}% │ GIL ${formatPercent(snapshot.gilPercent)}% │ CPU ${formatPercent(snapshot.cpuPercent)}% │ GC ${formatPercent(snapshot.gcPercent)}% │ ${formatCount(snapshot.totalSamples)} samples`;
	const warning = snapshot.behind ? ' ⚠ sampler falling behind' : '';
	const third = [
		`sort: ${sortNames[snapshot.sort]}`,
		`functions ${snapshot.functionCount}${snapshot.filter ? ` (${snapshot.rows.length} shown)` : ''}`,
		...(snapshot.filter ? [`filter: ${snapshot.filter} (c clears)`] : []),
	].join(' │ ');
	const state = stateText(snapshot);
	return (
		<Box flexDirection='column'>
			<Box>
				<Text {...theme.title()}>tachyon-top</Text>
				<Text>{first}</Text>
				<Text {...theme.badge()}>{badge}</Text>
				<Text>{thread}</Text>
				<Text {...theme.dim()}>{fit(snapshot.command, Math.max(0, width - used - 1))}</Text>
			</Box>
			<Box>
				<Text>{fit(second, Math.max(0, width - warning.length - 1))}</Text>
				{warning ? <Text {...theme.warning()}>{warning}</Text> : undefined}
			</Box>
			<Box>
				<Text>{fit(third, Math.max(0, width - state.length - 1))}</Text>
				{state ? <Text {...(snapshot.status === 'sampling' ? theme.badge() : theme.warning())}>{state}</Text> : undefined}
			</Box>
		</Box>
	);
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
