// How many samples a thread was in each state the sampler observes: the HTML reports' thread
// states, the live header's shares and the recent window's trends all count the same way.
import {ThreadStatus} from '../common/profile-types.js';

export type StatusCounts = {
	samples: number;
	hasGil: number;
	gilRequested: number;
	/** On a CPU, out of `cpuKnown` (samples whose run state the sampler read). */
	onCpu: number;
	cpuKnown: number;
	hasException: number;
	inGc: number;
};

export function emptyStatusCounts(): StatusCounts {
	return {samples: 0, hasGil: 0, gilRequested: 0, onCpu: 0, cpuKnown: 0, hasException: 0, inGc: 0};
}

/** Counts `count` samples taken in `status` (ThreadStatus bits). */
export function addStatus(counts: StatusCounts, status: number, count: number): void {
	counts.samples += count;
	counts.hasGil += status & ThreadStatus.hasGil ? count : 0;
	counts.gilRequested += status & ThreadStatus.gilRequested ? count : 0;
	counts.hasException += status & ThreadStatus.hasException ? count : 0;
	counts.inGc += status & ThreadStatus.inGc ? count : 0;
	if ((status & ThreadStatus.unknown) === 0) {
		counts.cpuKnown += count;
		counts.onCpu += status & ThreadStatus.onCpu ? count : 0;
	}
}

export function statusCounts(cells: Iterable<{readonly status: number; readonly count: number}>): StatusCounts {
	const counts = emptyStatusCounts();
	for (const cell of cells) {
		addStatus(counts, cell.status, cell.count);
	}

	return counts;
}
