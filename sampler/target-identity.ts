// Is the process we sample still the one we attached to? A PID is a name, not an identity:
// the target may die and its PID go to another process (another Python, maybe with the same
// address layout, whose stacks would read as the target's), or the target may exec another
// program under the same PID (the runtime moves; reads of the old one go torn or, worse, read
// something else).
//
// We keep /proc/PID/stat open from the attach on: that file descriptor stays bound to the
// process it was opened for, so once that process is gone it reads ESRCH, whatever process
// gets the PID next. Its start time never changes; its code and stack addresses (startcode,
// endcode, startstack) change when it execs a new program.
import fs from 'node:fs';

export type IdentityCheck = 'same' | 'gone' | 'exec';

/** The fields of a /proc/PID/stat line we compare: state, and the image's addresses. */
function parse(text: string): {state: string; start: string; image: string} | undefined {
	const close = text.lastIndexOf(')');
	if (close < 0) {
		return undefined;
	}

	// Field N of stat is index N - 3 after the command's closing parenthesis.
	const fields = text.slice(close + 2).split(' ');
	if (fields.length < 26) {
		return undefined;
	}

	return {state: fields[0]!, start: fields[19]!, image: `${fields[23]!}-${fields[24]!}-${fields[25]!}`};
}

export class TargetIdentity {
	readonly pid: number;
	private fd: number | undefined;
	private readonly buffer = Buffer.alloc(1024);
	private start: string | undefined;
	private image: string | undefined;

	constructor(pid: number) {
		this.pid = pid;
		try {
			this.fd = fs.openSync(`/proc/${pid}/stat`, 'r');
		} catch {
			this.fd = undefined;
		}

		const now = this.read();
		this.start = now?.start;
		this.image = now?.image;
	}

	/** `gone`: exited (a zombie too), or its PID is another process's now; `exec`: it runs a new program. */
	check(): IdentityCheck {
		const now = this.read();
		if (now === undefined || now.state === 'Z' || now.state === 'X' || now.start !== this.start) {
			return 'gone';
		}

		// Addresses read as 0 where we may not see them: no change can be told then.
		return now.image !== this.image && now.image !== '0-0-0' && this.image !== '0-0-0' ? 'exec' : 'same';
	}

	/**
	 * Another process has the PID now: /proc/PID names a process started at another time. The
	 * start time alone decides: a target caught between running and zombie read 'R' from a fresh
	 * stat and 'Z' from our descriptor a moment later, which was taken for a reused PID and cost
	 * a 30 ms script every sample it had (4 of 80 runs at load 8).
	 */
	pidTaken(): boolean {
		let text: string;
		try {
			text = fs.readFileSync(`/proc/${this.pid}/stat`, 'latin1');
		} catch {
			return false; // No process has the PID now.
		}

		const now = parse(text);
		return now !== undefined && this.start !== undefined && now.start !== this.start;
	}

	/** Takes the program running now as the target's (after an exec was followed). */
	acceptImage(): void {
		this.image = this.read()?.image ?? this.image;
	}

	close(): void {
		if (this.fd !== undefined) {
			fs.closeSync(this.fd);
			this.fd = undefined;
		}
	}

	private read(): ReturnType<typeof parse> {
		if (this.fd === undefined) {
			return undefined;
		}

		try {
			const length = fs.readSync(this.fd, this.buffer, 0, this.buffer.length, 0);
			return parse(this.buffer.toString('latin1', 0, length));
		} catch {
			// ESRCH: the process this descriptor was opened for is gone (its PID may live on in another).
			return undefined;
		}
	}
}
