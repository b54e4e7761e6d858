// What to tell someone who may not read a process: which of the kernel's rules stands in the way.
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

/**
 * The one-line advice for a process we may not read: first the plain ways (the target's own
 * user, or sudo), then the capability, given to a copy of node kept for tachyon-top rather than
 * to the system's node, which would hand it to every Node script on the machine.
 */
export function permissionError(pid: number, what: string): UserError {
	const scope = ptraceScope();
	const yama = scope === undefined
		? 'kernel.yama.ptrace_scope is not set on this machine'
		: `kernel.yama.ptrace_scope is ${scope}${scope >= 1 ? ` (try: sudo sysctl kernel.yama.ptrace_scope=0${scope === 3 ? ', needs a reboot at 3' : ''})` : ''}`;
	const copy = '/usr/local/bin/node-ptrace';
	return new UserError(`permission denied ${what} process ${pid}: run tachyon-top as the target's user, or with sudo; to trace without sudo, grant CAP_SYS_PTRACE to a copy of node kept for tachyon-top, not to every Node (sudo cp "$(command -v node)" ${copy} && sudo setcap cap_sys_ptrace+ep ${copy}, then: ${copy} "$(command -v tachyon-top)" attach ${pid}); ${yama}`);
}
