// Everything tachyon-top learns from /proc: which files a process maps, its threads,
// their run state, its command line, its owner. Pure reads of small text files. The readers
// the picker uses take the /proc to read (`root`): the bench points them at a fake tree.
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

/** The maps file's text as it is (the picker scans it for python files without parsing every line); throws as the read does. */
export function readMapsText(pid: number, root = '/proc'): string {
	return fs.readFileSync(`${root}/${pid}/maps`, 'latin1');
}

export function readCmdline(pid: number, root = '/proc'): string[] {
	try {
		return fs.readFileSync(`${root}/${pid}/cmdline`, 'utf8').split('\0').filter((part, index, all) => part !== '' || index < all.length - 1);
	} catch {
		return [];
	}
}

export function readComm(pid: number, tid = pid, root = '/proc'): string {
	try {
		return fs.readFileSync(tid === pid ? `${root}/${pid}/comm` : `${root}/${pid}/task/${tid}/comm`, 'utf8').trim();
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

/** One field of /proc/PID/status (`Uid`, `TracerPid`, ...), its text after the colon; undefined once the process is gone. */
export function readStatusField(pid: number, key: string, root = '/proc'): string | undefined {
	try {
		return new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(fs.readFileSync(`${root}/${pid}/status`, 'utf8'))?.[1]?.trim();
	} catch {
		return undefined;
	}
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

export function readStat(pid: number, tid?: number, root = '/proc'): Stat | undefined {
	try {
		return parseStat(fs.readFileSync(tid === undefined ? `${root}/${pid}/stat` : `${root}/${pid}/task/${tid}/stat`, 'utf8'));
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

/** The fields of /proc/PID/task/TID/schedstat, each in ns: time run on a CPU, time waited on a run queue, then time slices. */
const schedstatField = {runNs: 0, waitNs: 1} as const;

/** One field of a thread's schedstat line, in µs; undefined when it cannot be read (gone, or a kernel without scheduler statistics). */
function readSchedstatUs(pid: number, tid: number, field: typeof schedstatField[keyof typeof schedstatField]): number | undefined {
	try {
		const ns = Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[field]);
		return Number.isFinite(ns) ? ns / 1000 : undefined;
	} catch {
		return undefined;
	}
}

/**
 * µs of CPU a thread has run, from its schedstat (run ns), else its stat's ticks (a kernel
 * without scheduler statistics shows "0 0 0" there); undefined once it is gone.
 */
export function readRunTimeUs(pid: number, tid: number): number | undefined {
	const run = readSchedstatUs(pid, tid, schedstatField.runNs);
	if (run !== undefined && run > 0) {
		return run;
	}

	const stat = readStat(pid, tid);
	return stat ? (stat.utimeTicks + stat.stimeTicks) * 10_000 : undefined;
}

/** µs a thread has waited on a run queue for a CPU, from its schedstat (wait ns). */
export function readRunQueueWaitUs(pid: number, tid: number): number | undefined {
	return readSchedstatUs(pid, tid, schedstatField.waitNs);
}

/** The thread ids of pid now; empty once it is gone. */
export function listTasks(pid: number): number[] {
	try {
		return fs.readdirSync(`/proc/${pid}/task`).map(Number).filter(Number.isInteger);
	} catch {
		return [];
	}
}

/** The children of every thread of pid, from each /proc/PID/task/TID/children file. */
export function childrenOf(pid: number): number[] {
	const found: number[] = [];
	for (const tid of listTasks(pid)) {
		try {
			for (const child of fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').split(' ')) {
				if (child !== '' && child !== '\n') {
					found.push(Number(child));
				}
			}
		} catch {
			// The thread ended since the listing.
		}
	}

	return found;
}

export function listPids(): number[] {
	return fs.readdirSync('/proc').filter(name => /^\d+$/.test(name)).map(Number);
}

/** Clock ticks per second for stat times; 100 on every Linux we target. */
export const clockTicks = 100;

/** When the machine booted (s since the epoch); 0 where `root` has no stat file. */
export function bootTimeSeconds(root = '/proc'): number {
	try {
		const match = /^btime (\d+)/m.exec(fs.readFileSync(`${root}/stat`, 'utf8'));
		return match ? Number(match[1]) : 0;
	} catch {
		return 0;
	}
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
