// Everything tachyon-top learns from /proc: which files a process maps, its threads,
// their run state, its command line. Pure reads of small text files.
import fs from 'node:fs';

export type Mapping = {
	readonly start: bigint;
	readonly end: bigint;
	readonly offset: bigint;
	readonly perms: string;
	/** The file's path when it was mapped (without the kernel's " (deleted)"). */
	readonly path: string;
	/** Deleted or replaced on disk since it was mapped: the path no longer names this file. */
	readonly deleted: boolean;
};

export function processExists(pid: number): boolean {
	return fs.existsSync(`/proc/${pid}`);
}

export function readMaps(pid: number): Mapping[] {
	const text = fs.readFileSync(`/proc/${pid}/maps`, 'utf8');
	const maps: Mapping[] = [];
	for (const line of text.split('\n')) {
		// 55d0c0a00000-55d0c0a2a000 r--p 00000000 fe:01 1234   /usr/bin/python3.11
		const match = /^([\da-f]+)-([\da-f]+) (\S+) ([\da-f]+) \S+ \d+\s*(.*)$/.exec(line);
		if (!match) {
			continue;
		}

		maps.push({
			start: BigInt('0x' + match[1]!),
			end: BigInt('0x' + match[2]!),
			perms: match[3]!,
			offset: BigInt('0x' + match[4]!),
			path: match[5]!.replace(/ \(deleted\)$/, ''),
			deleted: match[5]!.endsWith(' (deleted)'),
		});
	}

	return maps;
}

export function readCmdline(pid: number): string[] {
	try {
		return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((part, index, all) => part !== '' || index < all.length - 1);
	} catch {
		return [];
	}
}

export function readComm(pid: number, tid = pid): string {
	try {
		return fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
	} catch {
		return '';
	}
}

/**
 * A thread's name as Python knows it, where the OS can tell: 3.14+ name OS threads after
 * `Thread.name`; older versions leave every thread named after the interpreter, which says
 * nothing, so those get '' (the main thread is always `MainThread`). The names come from the
 * target's threading module (thread-names.ts), with this as the fallback.
 */
export function threadName(pid: number, tid: number): string {
	if (tid === pid) {
		return 'MainThread';
	}

	const comm = readComm(pid, tid);
	return comm === readComm(pid, pid) ? '' : comm;
}

export type Stat = {
	readonly state: string;
	readonly ppid: number;
	readonly utimeTicks: number;
	readonly stimeTicks: number;
	readonly startTicks: number;
	readonly rssPages: number;
};

/** Parses a /proc stat line. The command may hold spaces and parentheses, so fields start after the last ')'. */
export function parseStat(text: string): Stat | undefined {
	const close = text.lastIndexOf(')');
	if (close < 0) {
		return undefined;
	}

	const fields = text.slice(close + 2).split(' ');
	return {
		state: fields[0] ?? '?',
		ppid: Number(fields[1]),
		utimeTicks: Number(fields[11]),
		stimeTicks: Number(fields[12]),
		startTicks: Number(fields[19]),
		rssPages: Number(fields[21]),
	};
}

export function readStat(pid: number, tid?: number): Stat | undefined {
	try {
		return parseStat(fs.readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8'));
	} catch {
		return undefined;
	}
}

/**
 * The process is gone, a zombie, or on its way out (a SIGKILL pending, or its main thread past
 * the point of no return): what makes ptrace and process_vm_readv say EPERM or EFAULT for a
 * target we were reading a moment ago, which is no permission problem.
 */
export function processEnding(pid: number): boolean {
	const stat = readStat(pid);
	if (!stat || stat.state === 'Z' || stat.state === 'X') {
		return true;
	}

	try {
		const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
		const sigkill = 1n << 8n;
		for (const key of ['SigPnd', 'ShdPnd']) {
			const mask = new RegExp(`^${key}:\\s*([\\da-f]+)`, 'm').exec(status)?.[1];
			if (mask !== undefined && (BigInt(`0x${mask}`) & sigkill) !== 0n) {
				return true;
			}
		}

		return false;
	} catch {
		return true;
	}
}

/** µs a thread has waited on a run queue for a CPU, from /proc/PID/task/TID/schedstat (run ns, wait ns, slices). */
export function readRunQueueWaitUs(pid: number, tid: number): number | undefined {
	try {
		const wait = Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
		return Number.isFinite(wait) ? wait / 1000 : undefined;
	} catch {
		return undefined;
	}
}

export function listPids(): number[] {
	return fs.readdirSync('/proc').filter(name => /^\d+$/.test(name)).map(Number);
}

/** Clock ticks per second for stat times; 100 on every Linux we target. */
export const clockTicks = 100;

export function bootTimeSeconds(): number {
	const match = /^btime (\d+)/m.exec(fs.readFileSync('/proc/stat', 'utf8'));
	return match ? Number(match[1]) : 0;
}

/** When the process started (ms since the epoch), from its stat start time and the boot time; undefined once it is gone. */
export function processStartMs(pid: number): number | undefined {
	const stat = readStat(pid);
	return stat ? (bootTimeSeconds() + (stat.startTicks / clockTicks)) * 1000 : undefined;
}

/** Descendants of pid, breadth first, from one scan of /proc. */
export function descendants(pid: number): number[] {
	const children = new Map<number, number[]>();
	for (const other of listPids()) {
		const stat = readStat(other);
		if (stat) {
			const list = children.get(stat.ppid) ?? [];
			list.push(other);
			children.set(stat.ppid, list);
		}
	}

	const found: number[] = [];
	const queue = [pid];
	while (queue.length > 0) {
		for (const child of children.get(queue.shift()!) ?? []) {
			found.push(child);
			queue.push(child);
		}
	}

	return found;
}
