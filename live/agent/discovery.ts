// `agent --match REGEX` / `--all-python`: finds the Python processes to profile with the
// picker's lister, polled. A process is taken only once it looks the same on two polls in a
// row: a fork about to exec still maps its parent's Python, and would be read as garbage.
import {ProcessLister, type ProcessEntry} from '../../sampler/process-list.js';

export type DiscoveryOptions = {
	/** Matched against the command line as the picker shows it (interpreter name and arguments); undefined: every Python. */
	readonly match: RegExp | undefined;
	readonly lister?: ProcessLister;
};

export class ProcessDiscovery {
	/** Processes seen once and waiting for a second look (poll again soon to take them quickly). */
	get waiting(): number {
		return this.pending.size;
	}

	private readonly match: RegExp | undefined;
	private readonly lister: ProcessLister;
	/** Matching processes seen once: pid → command line then. */
	private readonly pending = new Map<number, string>();
	/** Processes we may not read, reported once each. */
	private readonly unreadable = new Set<number>();

	constructor(options: DiscoveryOptions) {
		this.match = options.match;
		this.lister = options.lister ?? new ProcessLister();
	}

	/**
	 * The matching processes that are new (not in `known`) and settled. `onUnreadable` hears
	 * once about each matching process we may not read.
	 */
	poll(known: ReadonlySet<number>, onUnreadable?: (entry: ProcessEntry) => void): ProcessEntry[] {
		const found: ProcessEntry[] = [];
		const seen = new Set<number>();
		for (const entry of this.lister.list()) {
			if (this.match && !this.match.test(entry.command)) {
				continue;
			}

			seen.add(entry.pid);
			if (known.has(entry.pid)) {
				continue;
			}

			if (entry.unreadable !== undefined) {
				if (!this.unreadable.has(entry.pid)) {
					this.unreadable.add(entry.pid);
					onUnreadable?.(entry);
				}

				continue;
			}

			if (this.pending.get(entry.pid) === entry.command) {
				this.pending.delete(entry.pid);
				found.push(entry);
			} else {
				this.pending.set(entry.pid, entry.command);
			}
		}

		// Forget processes that are gone (their pids may come back as other processes).
		for (const pid of this.pending.keys()) {
			if (!seen.has(pid)) {
				this.pending.delete(pid);
			}
		}

		for (const pid of this.unreadable) {
			if (!seen.has(pid)) {
				this.unreadable.delete(pid);
			}
		}

		return found;
	}
}
