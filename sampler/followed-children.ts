// --subprocesses, in the worker: the target's Python descendants, each read in the same loop as
// the target, at the same ticks. A child needs no sampler of its own to start (a worker costs
// ~100 ms of CPU to start, 0.4-0.6 s of wall time at load 14, longer than many children live):
// it is read from the first look that finds it a readable Python, 20-40 ms after it appears.
// Each child's batches carry its pid; a Python child that ends before it could be read once is
// reported (child-unread), never silently dropped.
import {ChildWatcher, looksLikePython} from './child-watcher.js';
import {readCmdline} from './proc.js';
import type {SamplerOptions, WorkerMessage} from './protocol.js';
import {TargetSession, type WorkerStats} from './target-session.js';

/** How often the loop looks for new children (and for children that exec'd), µs. */
const lookEveryUs = 20_000;
/** As Tachyon: at most this many children are sampled. */
const maxChildren = 100;

type Child = {
	readonly session: TargetSession;
	/** Its command line when opened: another one means it exec'd, and is another program now. */
	readonly command: string;
	/** The worker's missed and late counts when it was opened, so its own stats start from 0. */
	readonly missedAtStart: number;
	readonly lateAtStart: number;
	sampled: boolean;
};

export class FollowedChildren {
	private readonly watcher: ChildWatcher;
	private readonly options: SamplerOptions;
	private readonly post: (message: WorkerMessage, transfer?: ArrayBuffer[]) => void;
	private readonly workerStats: () => WorkerStats;
	private readonly children = new Map<number, Child>();
	private lastLook = Number.NEGATIVE_INFINITY;
	private opened = 0;

	/** `options`: the target's; each child is read with the same, its own pid aside. */
	constructor(options: SamplerOptions, post: (message: WorkerMessage, transfer?: ArrayBuffer[]) => void, workerStats: () => WorkerStats) {
		this.watcher = new ChildWatcher(options.pid);
		this.options = options;
		this.post = post;
		this.workerStats = workerStats;
	}

	/** Reads every child at `nowUs`; one that is gone ends. */
	tick(nowUs: number): void {
		for (const [pid, child] of this.children) {
			const outcome = child.session.tick(nowUs);
			if (outcome === 'sampled') {
				child.sampled = true;
			} else if (outcome === 'gone') {
				this.end(pid, 'exited', nowUs);
			}
		}
	}

	/** Every lookEveryUs: new children are opened, gone or exec'd ones ended, and Python ones that left unread reported. */
	look(nowUs: number): void {
		if (nowUs - this.lastLook < lookEveryUs) {
			return;
		}

		this.lastLook = nowUs;
		for (const [pid, child] of this.children) {
			const command = readCmdline(pid).join('\0');
			if (command !== child.command || child.session.gone()) {
				this.end(pid, 'exited', nowUs); // Gone, or exec'd: if it is Python now, the watcher finds it again.
			}
		}

		const {ready, vanished} = this.watcher.look(pid => this.children.has(pid));
		for (const {pid, command, why} of vanished) {
			if (looksLikePython(command)) {
				this.post({type: 'child-unread', pid, command, why: why === '' ? 'it ended before it could be read' : `it ended before it could be read (${why})`});
			}
		}

		for (const pid of ready) {
			if (this.opened >= maxChildren) {
				break;
			}

			this.open(pid);
		}
	}

	/** Each child's samples since its last batch. */
	sendBatches(nowUs: number): void {
		for (const [pid, child] of this.children) {
			this.sendBatch(pid, child, nowUs);
		}
	}

	/** Ends one child's sampling at the main thread's request (its live view closed). */
	stop(pid: number, nowUs: number): void {
		if (this.children.has(pid)) {
			this.end(pid, 'stopped', nowUs);
		}
	}

	/** Ends every child: the capture is over. */
	close(nowUs: number): void {
		for (const pid of [...this.children.keys()]) {
			this.end(pid, 'stopped', nowUs);
		}
	}

	private open(pid: number): void {
		const opened = TargetSession.tryOpen({...this.options, pid});
		if (typeof opened === 'string') {
			this.watcher.failed(pid, opened);
			return;
		}

		this.watcher.forget(pid);
		this.opened++;
		const {missed, late} = this.workerStats();
		this.children.set(pid, {session: opened, command: opened.target.command.join('\0'), missedAtStart: missed, lateAtStart: late ?? 0, sampled: false});
		const {target} = opened;
		this.post({type: 'child-attached', target: {pid, version: target.version.text, binary: target.binary, command: target.command, startedAt: Date.now()}});
	}

	private sendBatch(pid: number, child: Child, nowUs: number): void {
		const worker = this.workerStats();
		const {batch, transfer} = child.session.takeBatch(nowUs, {
			...worker, missed: worker.missed - child.missedAtStart, late: (worker.late ?? 0) - child.lateAtStart,
		});
		this.post({...batch, pid}, transfer);
	}

	private end(pid: number, reason: 'exited' | 'stopped', nowUs: number): void {
		const child = this.children.get(pid)!;
		this.children.delete(pid);
		this.sendBatch(pid, child, nowUs);
		child.session.close();
		if (!child.sampled && reason === 'exited') {
			this.post({type: 'child-unread', pid, command: child.session.target.command, why: 'it ended before its first sample'});
		}

		this.post({type: 'child-ended', pid, reason});
	}
}
