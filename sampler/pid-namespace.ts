// Thread ids of a target in another PID namespace (a container): the interpreter records the
// ids its threads have there (gettid() inside: 1, 2, ...), while /proc here, and everything we
// report, use the host's. /proc/PID/task/TID/status's NSpid line gives both: the host id first,
// the innermost namespace's last.
import fs from 'node:fs';

/** Re-read the task list on a miss at most this often: a thread id unknown now is a thread just started. */
const rescanMs = 50;

/** The NSpid line of a /proc status file: the ids from the outermost namespace in. */
function nspidOf(statusFile: string): number[] | undefined {
	try {
		const line = /^NSpid:\s+(.+)$/m.exec(fs.readFileSync(statusFile, 'latin1'))?.[1];
		return line?.trim().split(/\s+/).map(Number);
	} catch {
		return undefined;
	}
}

/** The process's id in its own PID namespace, where it differs from ours (else undefined). */
export function namespacePid(pid: number): number | undefined {
	const ids = nspidOf(`/proc/${pid}/status`);
	return ids && ids.length > 1 && ids.at(-1) !== pid ? ids.at(-1) : undefined;
}

export class ThreadIdMap {
	/** The target lives in a PID namespace of its own: its thread ids need translating. */
	readonly nested: boolean;
	private readonly pid: number;
	private readonly hostOf = new Map<number, number>();
	private lastScan = -1e9;

	constructor(pid: number) {
		this.pid = pid;
		this.nested = namespacePid(pid) !== undefined;
	}

	/** The host's id for a thread id as the target knows it; 0 when there is no such thread (yet). */
	toHost(tid: number): number {
		if (!this.nested || tid === 0) {
			return tid;
		}

		let host = this.hostOf.get(tid);
		if (host === undefined && performance.now() - this.lastScan >= rescanMs) {
			this.scan();
			host = this.hostOf.get(tid);
		}

		return host ?? 0;
	}

	/** The target's own ids of its threads now (the ids its struct pthreads hold). */
	targetIds(): Set<number> {
		if (!this.nested) {
			return taskIds(this.pid);
		}

		this.scan();
		return new Set(this.hostOf.keys());
	}

	private scan(): void {
		this.lastScan = performance.now();
		this.hostOf.clear();
		for (const host of taskIds(this.pid)) {
			const inner = nspidOf(`/proc/${this.pid}/task/${host}/status`)?.at(-1);
			if (inner !== undefined) {
				this.hostOf.set(inner, host);
			}
		}
	}
}

/** The process's thread ids, from /proc/PID/task (the host's). */
export function taskIds(pid: number): Set<number> {
	try {
		return new Set(fs.readdirSync(`/proc/${pid}/task`).map(Number));
	} catch {
		return new Set();
	}
}
