// --live --subprocesses: the target and each Python descendant its sampler follows, one live
// store (and one profile) per process, and which of them the view shows. Switching only
// changes what is shown: every process keeps being sampled.
import {SubprocessFollower} from './subprocesses.js';
import {LiveStore, liveSamplerOptions} from './live-store.js';

export type ProcessesSnapshot = {
	/** The store shown. */
	readonly store: LiveStore;
	/** 0-based position of the shown store in `stores`. */
	readonly index: number;
	/** The target first, then its children in the order they were found. */
	readonly stores: readonly LiveStore[];
};

export type LiveProcessesOptions = {
	readonly intervalUs: number;
	readonly opcodes?: boolean;
	readonly blocking?: boolean;
	readonly outputDir?: string;
	readonly hz?: number;
};

type Listener = () => void;

/** The follower for a live view's target (give it to the target's LiveStore as `follower`). */
export function liveFollower(pid: number, options: LiveProcessesOptions): SubprocessFollower {
	return new SubprocessFollower({sampler: liveSamplerOptions({pid, ...options}), mode: 'wall', timeline: false, recent: true});
}

export class LiveProcesses {
	private readonly follower: SubprocessFollower;
	private readonly listeners = new Set<Listener>();
	private readonly stores: LiveStore[];
	private snapshot: ProcessesSnapshot;

	/** Shows `root` and each child `follower` (the root store's, see liveFollower) finds. */
	constructor(root: LiveStore, follower: SubprocessFollower, options: LiveProcessesOptions) {
		this.stores = [root];
		this.snapshot = {store: root, index: 0, stores: [root]};
		this.follower = follower;
		const childOptions = {intervalUs: options.intervalUs, opcodes: options.opcodes ?? false, blocking: options.blocking ?? false, ...(options.outputDir === undefined ? {} : {outputDir: options.outputDir}), ...(options.hz === undefined ? {} : {hz: options.hz})};
		follower.listen(child => {
			this.stores.push(new LiveStore({pid: child.pid, child, ...childOptions, subprocesses: true}).start());
			this.update(this.snapshot.index);
		});
	}

	subscribe = (listener: Listener): (() => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	getSnapshot = (): ProcessesSnapshot => this.snapshot;

	/** `[`/`]`: the previous or next process, wrapping around. */
	cycle(step: 1 | -1): void {
		const count = this.stores.length;
		this.update((this.snapshot.index + step + count) % count);
	}

	/** Stops following and every store's sampling; the data stays for exports. */
	stop(): void {
		void this.follower.stop();
		for (const store of this.stores) {
			store.stop();
		}
	}

	private update(index: number): void {
		this.snapshot = {store: this.stores[index]!, index, stores: [...this.stores]};
		for (const listener of this.listeners) {
			listener();
		}
	}
}
