// --subprocesses: finds the target's descendants as they come, cheaply enough to look every
// few tens of ms from the sampling loop. Each thread's children are listed in
// /proc/PID/task/TID/children (no scan of every process in /proc, which is what made the old
// follower slow to notice children on a busy machine), breadth first, so children of children
// are found too.
//
// A process is tried as a Python target once it looks the same on two looks in a row (a
// fork about to exec still shows, and maps, its parent: sampling it would read the parent's
// copy), or at once if it was already there on the first look (it has been running). One
// that changes its command line later (it exec'd) is tried again.
import path from 'node:path';
import {childrenOf, readCmdline} from './proc.js';

/** Tries of a process that is no readable Python, before we stop trying (until it execs). */
const maxTries = 50;

type Candidate = {
	command: string;
	/** Seen with this command line on consecutive looks. */
	stable: boolean;
	tries: number;
	/** Why the last try failed. */
	why: string;
};

/** Does a command line look like a Python interpreter's (to report one that ended unread)? */
export function looksLikePython(command: string[]): boolean {
	return /python/i.test(path.basename(command[0] ?? ''));
}

export class ChildWatcher {
	private readonly rootPid: number;
	private readonly candidates = new Map<number, Candidate>();
	private looks = 0;

	constructor(rootPid: number) {
		this.rootPid = rootPid;
	}

	/** The root's descendants now, breadth first. */
	descendants(): number[] {
		const found: number[] = [];
		const queue = [this.rootPid];
		const seen = new Set(queue);
		while (queue.length > 0) {
			for (const child of childrenOf(queue.shift()!)) {
				if (!seen.has(child)) {
					seen.add(child);
					found.push(child);
					queue.push(child);
				}
			}
		}

		return found;
	}

	/**
	 * One look: the descendants to try opening now (`skip`: those already sampled), and the
	 * candidates that are gone since the last look, with their last command line and why the
	 * last try failed (never tried: '').
	 */
	look(skip: (pid: number) => boolean): {ready: number[]; vanished: Array<{pid: number; command: string[]; why: string}>} {
		const first = this.looks++ === 0;
		const now = new Set<number>();
		const ready: number[] = [];
		for (const pid of this.descendants()) {
			if (skip(pid)) {
				continue;
			}

			now.add(pid);
			const command = readCmdline(pid).join('\0');
			if (command === '') {
				continue; // A zombie, or gone already.
			}

			const known = this.candidates.get(pid);
			if (!known || known.command !== command) {
				this.candidates.set(pid, {command, stable: first, tries: 0, why: ''});
			} else {
				known.stable = true;
			}

			const candidate = this.candidates.get(pid)!;
			if (candidate.stable && candidate.tries < maxTries) {
				ready.push(pid);
			}
		}

		const vanished: Array<{pid: number; command: string[]; why: string}> = [];
		for (const [pid, candidate] of this.candidates) {
			if (!now.has(pid)) {
				this.candidates.delete(pid);
				if (!skip(pid)) {
					vanished.push({pid, command: candidate.command.split('\0'), why: candidate.why});
				}
			}
		}

		return {ready, vanished};
	}

	/** A try of `pid` failed (not Python, not yet readable): it is tried again on later looks, up to maxTries. */
	failed(pid: number, why: string): void {
		const candidate = this.candidates.get(pid);
		if (candidate) {
			candidate.tries++;
			candidate.why = why;
		}
	}

	/** `pid` is sampled now, or its sampling ended: no candidate any more. */
	forget(pid: number): void {
		this.candidates.delete(pid);
	}
}
