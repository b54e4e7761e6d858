// How a process is named to the person reading: by the host's PID, with its PID inside its
// own PID namespace (a container) where that differs, as `top` on the host and `ps` inside
// would show it.

/** "PID 4242", or "PID 4242 (PID 7 in its container)". */
export function pidLabel(pid: number, namespacePid?: number): string {
	return namespacePid === undefined || namespacePid === pid ? `PID ${pid}` : `PID ${pid} (PID ${namespacePid} in its container)`;
}
