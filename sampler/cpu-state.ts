// Whether a thread of the target is on a CPU, from /proc/PID/task/TID/stat.
//
// Why a module: cpu mode, the live view and the leaf `<native>` marker ask this of every
// sampled thread on every sample, so the stat files are kept open and re-read from offset 0
// (one pread, no open/close per sample). With --blocking the answer must come from before the
// threads were stopped (a stopped thread is never running), which the freezer records.
import fs from 'node:fs';
import {ThreadStatus} from '../common/profile-types.js';

export class CpuStates {
	/** --blocking: each thread's on-CPU state from just before its threads were stopped. */
	runningBeforePause: ReadonlyMap<number, boolean> | undefined;
	private readonly pid: number;
	private readonly files = new Map<number, number>();
	private readonly buffer = Buffer.alloc(512);

	constructor(pid: number) {
		this.pid = pid;
	}

	/** ThreadStatus.onCpu, 0, or ThreadStatus.unknown when /proc does not say. */
	state(tid: number): number {
		const before = this.runningBeforePause?.get(tid);
		if (before !== undefined) {
			return before ? ThreadStatus.onCpu : 0;
		}

		let fd = this.files.get(tid);
		try {
			if (fd === undefined) {
				fd = fs.openSync(`/proc/${this.pid}/task/${tid}/stat`, 'r');
				this.files.set(tid, fd);
			}

			const length = fs.readSync(fd, this.buffer, 0, this.buffer.length, 0);
			const close = this.buffer.lastIndexOf(0x29, length); // ')'
			return close >= 0 && this.buffer[close + 2] === 0x52 ? ThreadStatus.onCpu : 0; // 'R'
		} catch {
			if (fd !== undefined) {
				fs.closeSync(fd);
				this.files.delete(tid);
			}

			return ThreadStatus.unknown;
		}
	}

	/** Closes the stat files of threads not sampled now, once they pile up (threads come and go). */
	forgetGone(listedThreads: number, sampledTids: () => ReadonlySet<number>): void {
		if (this.files.size > (2 * listedThreads) + 64) {
			const live = sampledTids();
			for (const [tid, fd] of this.files) {
				if (!live.has(tid)) {
					fs.closeSync(fd);
					this.files.delete(tid);
				}
			}
		}
	}

	/** Releases the /proc file descriptors. */
	close(): void {
		for (const fd of this.files.values()) {
			fs.closeSync(fd);
		}

		this.files.clear();
	}
}
