// What to tell someone who may not read a process: which of the kernel's rules stood in the way,
// worked out from what we can see (our capabilities and user, the target's users and dumpable
// flag, Yama's scope, whether the target descends from us), so the advice fits the cause: root
// in a container without CAP_SYS_PTRACE is not told to "use sudo", the owner of a non-dumpable
// process is not told to "run as the target's user".
import fs from 'node:fs';
import {UserError} from '../common/errors.js';

/** The value of kernel.yama.ptrace_scope, or undefined where Yama is not enabled. */
export function ptraceScope(): number | undefined {
	try {
		return Number(fs.readFileSync('/proc/sys/kernel/yama/ptrace_scope', 'utf8').trim());
	} catch {
		return undefined;
	}
}

/** What the kernel's ptrace access check (__ptrace_may_access, Yama) looks at. */
export type PermissionFacts = {
	readonly pid: number;
	/** Our uid and gid (the target's real, effective and saved ids must all equal them). */
	readonly uid: number;
	readonly gid: number;
	readonly capSysPtrace: boolean;
	readonly yamaScope: number | undefined;
	/** The target's real, effective and saved uids and gids, from /proc/PID/status. */
	readonly targetUids: readonly number[] | undefined;
	readonly targetGids: readonly number[] | undefined;
	readonly targetUser: string | undefined;
	/** False when the target is not dumpable (its /proc files then belong to root). */
	readonly dumpable: boolean | undefined;
	/** The target descends from us (Yama 1 lets ancestors read). */
	readonly descendant: boolean;
};

const capSysPtraceBit = 19n;
const nodeCopy = '/usr/local/bin/node-ptrace';

function statusIds(status: string, field: 'Uid' | 'Gid'): number[] | undefined {
	const match = new RegExp(`^${field}:\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)`, 'm').exec(status);
	return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

function userName(uid: number): string | undefined {
	try {
		const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find(entry => entry.split(':')[2] === String(uid));
		return line?.split(':')[0];
	} catch {
		return undefined;
	}
}

function descendsFromUs(pid: number): boolean {
	let at = pid;
	for (let depth = 0; depth < 4096 && at > 1; depth++) {
		let status: string;
		try {
			status = fs.readFileSync(`/proc/${at}/status`, 'utf8');
		} catch {
			return false;
		}

		at = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0);
		if (at === process.pid) {
			return true;
		}
	}

	return false;
}

/** The facts about us and `pid`, read where they can be (each may be unknown). */
export function permissionFacts(pid: number): PermissionFacts {
	let capSysPtrace = false;
	let status = '';
	try {
		const effective = /^CapEff:\s+([\da-f]+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
		capSysPtrace = effective !== undefined && ((BigInt(`0x${effective}`) >> capSysPtraceBit) & 1n) === 1n;
		status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	} catch {
		// Unknown: the advice stays general.
	}

	const targetUids = statusIds(status, 'Uid');
	let dumpable: boolean | undefined;
	try {
		// A process that is not dumpable has the files of its /proc directory owned by root (task_dump_owner).
		const owner = fs.statSync(`/proc/${pid}/cmdline`).uid;
		dumpable = targetUids === undefined || targetUids[1] === 0 ? undefined : owner !== 0;
	} catch {
		dumpable = undefined;
	}

	return {
		pid,
		uid: process.geteuid?.() ?? -1,
		gid: process.getegid?.() ?? -1,
		capSysPtrace,
		yamaScope: ptraceScope(),
		targetUids,
		targetGids: statusIds(status, 'Gid'),
		targetUser: targetUids === undefined ? undefined : userName(targetUids[0]!),
		dumpable,
		descendant: descendsFromUs(pid),
	};
}

/** The first of the kernel's rules that forbids the access, as far as the facts tell. */
export type PermissionCause =
	| {readonly kind: 'yama-3'}
	| {readonly kind: 'root-without-capability'; readonly owner: string | undefined}
	| {readonly kind: 'owned-by-root'}
	| {readonly kind: 'other-user'; readonly owner: string | undefined}
	| {readonly kind: 'not-dumpable'}
	| {readonly kind: 'yama-2'}
	| {readonly kind: 'yama-1'}
	| {readonly kind: 'refused-with-capability'}
	| {readonly kind: 'unknown'};

export function permissionCause(facts: PermissionFacts): PermissionCause {
	if (facts.yamaScope === 3) {
		return {kind: 'yama-3'};
	}

	const owner = facts.targetUser ?? (facts.targetUids ? `uid ${facts.targetUids[0]}` : undefined);
	const otherUser = (facts.targetUids !== undefined && facts.targetUids.some(id => id !== facts.uid))
		|| (facts.targetGids !== undefined && facts.targetGids.some(id => id !== facts.gid));
	if (facts.capSysPtrace) {
		return {kind: 'refused-with-capability'};
	}

	if (otherUser && facts.uid === 0) {
		return {kind: 'root-without-capability', owner};
	}

	if (otherUser && facts.targetUids?.[0] === 0) {
		return {kind: 'owned-by-root'};
	}

	if (otherUser) {
		return {kind: 'other-user', owner};
	}

	if (facts.dumpable === false) {
		return {kind: 'not-dumpable'};
	}

	if (facts.yamaScope === 2) {
		return {kind: 'yama-2'};
	}

	if (facts.yamaScope === 1 && !facts.descendant) {
		return {kind: 'yama-1'};
	}

	return {kind: 'unknown'};
}

/**
 * The one-line advice for what failed (`what`: "reading", "stopping the threads of", …), from
 * the facts: the first rule that forbids the access, and what lifts that rule. The capability
 * is offered on a copy of node kept for tachyon-top, never on the system's node, which would
 * hand it to every Node script on the machine.
 */
export function permissionAdvice(facts: PermissionFacts, what: string): string {
	const {pid} = facts;
	const head = `permission denied ${what} process ${pid}`;
	const capability = `grant CAP_SYS_PTRACE to a copy of node kept for tachyon-top, not to every Node (sudo cp "$(command -v node)" ${nodeCopy} && sudo setcap cap_sys_ptrace+ep ${nodeCopy}, then: ${nodeCopy} "$(command -v tachyon-top)" attach ${pid})`;
	const cause = permissionCause(facts);
	switch (cause.kind) {
		case 'yama-3': {
			return `${head}: kernel.yama.ptrace_scope is 3, which forbids reading any process, even as root, until the machine reboots with a lower setting`;
		}

		case 'root-without-capability': {
			return `${head}: tachyon-top runs as root but without CAP_SYS_PTRACE (a container started without --cap-add SYS_PTRACE?), and process ${pid} belongs to ${cause.owner ?? 'another user'}: give the capability (docker run --cap-add SYS_PTRACE, securityContext.capabilities.add: [SYS_PTRACE]) or run tachyon-top as ${cause.owner ?? "the target's user"}`;
		}

		case 'owned-by-root': {
			return `${head}: it belongs to root: run tachyon-top with sudo; to trace without sudo, ${capability}`;
		}

		case 'other-user': {
			return `${head}: it belongs to ${cause.owner ?? 'another user'}: run tachyon-top as ${cause.owner ?? "the target's user"} (sudo -u ${cause.owner ?? 'USER'} tachyon-top …) or with sudo; to trace without sudo, ${capability}`;
		}

		case 'not-dumpable': {
			return `${head}: it is not dumpable (it called prctl(PR_SET_DUMPABLE, 0), or runs a setuid, setgid or file-capability program), so even its own user may not read it: run tachyon-top with sudo, or ${capability}`;
		}

		case 'yama-2': {
			return `${head}: kernel.yama.ptrace_scope is 2, so only a process with CAP_SYS_PTRACE may read another: run tachyon-top with sudo, or ${capability}; or lower it (sudo sysctl kernel.yama.ptrace_scope=1)`;
		}

		case 'yama-1': {
			return `${head}: kernel.yama.ptrace_scope is 1, so a process may read only its own descendants: start the program under tachyon-top (tachyon-top run …), run tachyon-top with sudo, or allow it (sudo sysctl kernel.yama.ptrace_scope=0); or ${capability}`;
		}

		case 'refused-with-capability': {
			return `${head}: refused even with CAP_SYS_PTRACE: a security module (AppArmor, SELinux), a seccomp filter (a container's) or another user namespace forbids it; check the container's or the module's rules (docker run --security-opt seccomp=unconfined, kernel log for apparmor="DENIED")`;
		}

		case 'unknown': {
			return `${head}: run tachyon-top as the target's user, or with sudo; to trace without sudo, ${capability}`;
		}
	}
}

/**
 * The same advice in a few words, for one line of the process picker (at most 50 columns beside
 * "PID 12345 (user): "): the cause, then what lifts it; the full advice comes on attaching.
 */
export function shortPermissionAdvice(facts: PermissionFacts): string {
	const cause = permissionCause(facts);
	switch (cause.kind) {
		case 'yama-3': {
			return 'ptrace_scope 3 forbids it for all, until a reboot';
		}

		case 'root-without-capability': {
			return 'root, but no CAP_SYS_PTRACE: --cap-add SYS_PTRACE';
		}

		case 'owned-by-root': {
			return 'owned by root: run tachyon-top with sudo';
		}

		case 'other-user': {
			const owner = cause.owner ?? 'its user';
			return `owned by ${owner}: run as ${owner} or with sudo`;
		}

		case 'not-dumpable': {
			return 'not dumpable: run with sudo or CAP_SYS_PTRACE';
		}

		case 'yama-2': {
			return 'ptrace_scope 2: run with sudo or CAP_SYS_PTRACE';
		}

		case 'yama-1': {
			return 'ptrace_scope 1: start it with run, or use sudo';
		}

		case 'refused-with-capability': {
			return 'refused despite CAP_SYS_PTRACE: AppArmor, seccomp?';
		}

		case 'unknown': {
			return 'run as its user or with sudo';
		}
	}
}

export function permissionError(pid: number, what: string): UserError {
	return new UserError(permissionAdvice(permissionFacts(pid), what));
}
