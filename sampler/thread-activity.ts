// Whether any thread of the target has run since the last look, from /proc alone: a process
// whose threads all sleep and have not been scheduled since cannot have changed its memory, so
// `--async-aware all` may repeat its last rewrite without copying and comparing the pages of
// every task (10,000 parked tasks: ~3,100 pages, 4.5–5.5 ms of CPU a sample, for a program
// that did nothing).
//
// Why these files, and in this order. Each look reads, for every thread, its switch-in count
// (the third field of /proc/PID/task/TID/schedstat, which the scheduler bumps each time the
// thread is put on a CPU, before it runs a user instruction), then its wchan (a kernel function
// name only while the thread is off its run queue, asleep; "0" while it runs, is runnable or
// is waking), then the count again. A look is *still* for a thread when both counts agree and it
// was asleep between them. If a thread was still at look j and its count at look k equals the
// count at the end of look j, it was asleep at j and never put back on a CPU since: it ran no
// user code in between. The count of context switches in /proc/PID/task/TID/status would not
// do: it is bumped when a thread is switched *out*, after the thread already reads as asleep.
//
// Where the kernel keeps no switch-in count (schedstat "0 0 0") or names no wchan (no kernel
// symbols), no look is ever quiet, and the caller reads the pages as before. A look costs
// ~13 µs of CPU for one thread, ~57 for eight (three preads a thread, one for the count),
// so processes with many threads are not looked at.
import fs from 'node:fs';

/** Past this many threads, a look costs more than it can save; no look is quiet. */
const maxThreads = 64;

type ThreadFiles = {
	schedstat: number;
	wchan: number;
	/** The switch-in count at the end of the last look; -1 when that look was not still. */
	lastCount: number;
};

export class ThreadActivity {
	private readonly pid: number;
	private readonly threads = new Map<number, ThreadFiles>();
	private statFd: number | undefined;
	private readonly buffer = Buffer.alloc(512);
	/** False once the kernel showed no switch-in count (schedstat "0 0 0"): no look is made again. */
	private usable = true;

	constructor(pid: number) {
		this.pid = pid;
	}

	/** The threads each look reads (0 before the first look, or past maxThreads). */
	get watched(): number {
		return this.threads.size;
	}

	/**
	 * Looks at every thread; true when every one was still at this look and at the last one, and
	 * none has been put on a CPU since the last look ended: the memory is as it was then. The
	 * first look, and any after the threads changed, is never quiet.
	 */
	quietSinceLastLook(): boolean {
		if (!this.usable) {
			return false;
		}

		try {
			const count = this.threadCount();
			if (count !== this.threads.size) {
				this.rescan(count);
				return false;
			}

			let quiet = true;
			for (const files of this.threads.values()) {
				const before = this.switchIns(files.schedstat);
				const asleep = this.asleep(files.wchan);
				const after = this.switchIns(files.schedstat);
				const still = asleep && before === after;
				quiet &&= still && before === files.lastCount;
				files.lastCount = still ? after : -1;
			}

			return quiet;
		} catch {
			// A thread exited (its files read ESRCH) or the process is gone: start again next look.
			this.closeThreads();
			return false;
		}
	}

	/** Releases the /proc file descriptors. */
	close(): void {
		this.closeThreads();
		if (this.statFd !== undefined) {
			fs.closeSync(this.statFd);
			this.statFd = undefined;
		}
	}

	/** num_threads, the 20th field of /proc/PID/stat (the 18th after the command's closing parenthesis). */
	private threadCount(): number {
		this.statFd ??= fs.openSync(`/proc/${this.pid}/stat`, 'r');
		const {buffer} = this;
		const length = this.read(this.statFd);
		let at = buffer.lastIndexOf(0x29, length) + 2; // After ") ".
		for (let field = 0; field < 17 && at > 1; field++) {
			at = buffer.indexOf(0x20, at) + 1;
		}

		return at > 0 ? this.numberAt(at, length) : Number.NaN;
	}

	private rescan(count: number): void {
		this.closeThreads();
		if (count > maxThreads) {
			return;
		}

		for (const tid of fs.readdirSync(`/proc/${this.pid}/task`)) {
			const files: ThreadFiles = {schedstat: -1, wchan: -1, lastCount: -1};
			this.threads.set(Number(tid), files);
			files.schedstat = fs.openSync(`/proc/${this.pid}/task/${tid}/schedstat`, 'r');
			files.wchan = fs.openSync(`/proc/${this.pid}/task/${tid}/wchan`, 'r');
		}

		// A kernel without scheduler statistics shows "0 0 0" for every thread: no look can tell,
		// and none is made again. (One without symbols shows "0" for every wchan: every look is
		// made, and none is quiet.)
		const first = this.threads.values().next().value;
		if (first && this.switchIns(first.schedstat) === 0) {
			this.usable = false;
			this.closeThreads();
		}
	}

	/** Times the thread was put on a CPU (schedstat's third field). */
	private switchIns(fd: number): number {
		const length = this.read(fd);
		return this.numberAt(this.buffer.lastIndexOf(0x20, length - 1) + 1, length);
	}

	/** Off its run queue: wchan names where it sleeps ("0" while it runs or may run). */
	private asleep(fd: number): boolean {
		const length = this.read(fd);
		return length > 0 && !(this.buffer[0] === 0x30 && (length === 1 || this.buffer[1] === 0x0A)); // Not "0".
	}

	/**
	 * Reads the file again from its start into the buffer; returns its length. Bytes, not a
	 * string: a look is made at every sample, and parsing the few numbers it needs from the bytes
	 * leaves nothing for the collector.
	 */
	private read(fd: number): number {
		return fs.readSync(fd, this.buffer, 0, this.buffer.length, 0);
	}

	/** The decimal number starting at `at` (NaN where none does: then no look is quiet). */
	private numberAt(at: number, length: number): number {
		let value = 0;
		let digits = 0;
		for (let index = at; index < length; index++, digits++) {
			const byte = this.buffer[index]!;
			if (byte < 0x30 || byte > 0x39) {
				break;
			}

			value = (value * 10) + (byte - 0x30);
		}

		return digits > 0 ? value : Number.NaN;
	}

	private closeThreads(): void {
		for (const files of this.threads.values()) {
			for (const fd of [files.schedstat, files.wchan]) {
				if (fd >= 0) {
					fs.closeSync(fd);
				}
			}
		}

		this.threads.clear();
	}
}
