// Whether a thread of the target is on a CPU, from /proc/PID/task/TID/stat, and, for a blocked
// one, which futex it waits on, from /proc/PID/task/TID/syscall.
//
// Why a module: cpu mode, the live view and the leaf `<native>` marker ask this of every
// sampled thread on every sample, so the stat files are kept open and re-read from offset 0
// (one pread, no open/close per sample). With --blocking the answer must come from before the
// threads were stopped (a stopped thread is never running), which the freezer records.
import fs from 'node:fs';
import {ThreadStatus} from '../common/profile-types.js';

/** futex(2) on x86-64: the system call a thread blocked on a lock or condition variable sits in. */
const futexSyscall = 202;

export class CpuStates {
	/** --blocking: each thread's on-CPU state from just before its threads were stopped. */
	runningBeforePause: ReadonlyMap<number, boolean> | undefined;
	private readonly pid: number;
	private readonly files = new Map<number, number>();
	private readonly syscallFiles = new Map<number, number>();
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

	/**
	 * The address a blocked thread waits on in futex(2), from /proc/PID/task/TID/syscall (the
	 * system call it sits in and its arguments; "running" for a thread on a CPU); 0 when it is
	 * not in futex(2) or /proc does not say. Kept open and re-read, as the stat files.
	 */
	futexAddress(tid: number): number {
		let fd = this.syscallFiles.get(tid);
		try {
			if (fd === undefined) {
				fd = fs.openSync(`/proc/${this.pid}/task/${tid}/syscall`, 'r');
				this.syscallFiles.set(tid, fd);
			}

			const length = fs.readSync(fd, this.buffer, 0, 64, 0);
			// "202 0x7f3a5c0d88f0 0x89 0x0 ..." (number, then the arguments in hex).
			const text = this.buffer.toString('latin1', 0, length);
			const space = text.indexOf(' ');
			if (space < 0 || Number(text.slice(0, space)) !== futexSyscall) {
				return 0;
			}

			const end = text.indexOf(' ', space + 1);
			const address = Number(text.slice(space + 1, end < 0 ? length : end));
			return Number.isFinite(address) ? address : 0;
		} catch {
			if (fd !== undefined) {
				fs.closeSync(fd);
				this.syscallFiles.delete(tid);
			}

			return 0;
		}
	}

	/** Closes the /proc files of threads not sampled now, once they pile up (threads come and go). */
	forgetGone(listedThreads: number, sampledTids: () => ReadonlySet<number>): void {
		for (const files of [this.files, this.syscallFiles]) {
			if (files.size > (2 * listedThreads) + 64) {
				const live = sampledTids();
				for (const [tid, fd] of files) {
					if (!live.has(tid)) {
						fs.closeSync(fd);
						files.delete(tid);
					}
				}
			}
		}
	}

	/** Releases the /proc file descriptors. */
	close(): void {
		for (const files of [this.files, this.syscallFiles]) {
			for (const fd of files.values()) {
				fs.closeSync(fd);
			}

			files.clear();
		}
	}
}
