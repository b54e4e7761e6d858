// Typed libc bindings through koffi, loaded once per thread on first use.
// Only reads: process_vm_readv never writes into the target; ptrace is used
// by --blocking to stop and resume threads, never to poke memory.
import koffi from 'koffi';

type ReadFn = (pid: number, local: Uint32Array, localCount: number, remote: Uint32Array, remoteCount: number, flags: number) => number;
type PtraceFn = (request: number, pid: number, addr: bigint | number, data: bigint | number) => number;
type WaitpidFn = (pid: number, status: Int32Array, options: number) => number;
type StrerrorFn = (errno: number) => string;
type GettidFn = () => number;
type PrctlFn = (option: number, arg2: number, arg3: number, arg4: number, arg5: number) => number;
type Pipe2Fn = (fds: Int32Array, flags: number) => number;
type WriteFn = (fd: number, data: Uint8Array, length: number) => number;
type CloseFn = (fd: number) => number;

export type Libc = {
	readonly processVmReadv: ReadFn;
	readonly ptrace: PtraceFn;
	readonly waitpid: WaitpidFn;
	readonly strerror: StrerrorFn;
	readonly prctl: PrctlFn;
	readonly gettid: GettidFn;
	readonly pipe2: Pipe2Fn;
	/** write(2) and close(2) for descriptors Node's fs did not open (a worker warns when fs closes those). */
	readonly write: WriteFn;
	readonly close: CloseFn;
	readonly errno: () => number;
	readonly address: (buffer: ArrayBufferView) => bigint;
};

let cached: Libc | undefined;

export function libc(): Libc {
	if (cached) {
		return cached;
	}

	if (process.platform !== 'linux') {
		throw new Error(`tachyon-top's sampler needs Linux, got \`${process.platform}\``);
	}

	const lib = koffi.load('libc.so.6');
	cached = {
		processVmReadv: lib.func('long process_vm_readv(int pid, void *local, unsigned long liovcnt, void *remote, unsigned long riovcnt, unsigned long flags)') as unknown as ReadFn,
		ptrace: lib.func('long ptrace(int request, int pid, void *addr, void *data)') as unknown as PtraceFn,
		waitpid: lib.func('int waitpid(int pid, int *status, int options)') as unknown as WaitpidFn,
		strerror: lib.func('const char *strerror(int errnum)') as unknown as StrerrorFn,
		prctl: lib.func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)') as unknown as PrctlFn,
		gettid: lib.func('int gettid()') as unknown as GettidFn,
		pipe2: lib.func('int pipe2(int *fds, int flags)') as unknown as Pipe2Fn,
		write: lib.func('long write(int fd, void *data, unsigned long length)') as unknown as WriteFn,
		close: lib.func('int close(int fd)') as unknown as CloseFn,
		errno: () => koffi.errno(),
		address: (buffer: ArrayBufferView) => koffi.address(buffer),
	};
	return cached;
}

export const errno = {
	EPERM: 1,
	ESRCH: 3,
	EFAULT: 14,
	EIO: 5,
	EINVAL: 22,
	ECHILD: 10,
} as const;

/** A failed system call, carrying errno so callers can tell "target gone" from "no permission". */
export class SyscallError extends Error {
	readonly call: string;
	readonly pid: number;
	readonly code: number;
	constructor(call: string, pid: number, code: number) {
		super(`${call}(pid ${pid}) failed: ${libc().strerror(code)} (errno ${code})`);
		this.call = call;
		this.pid = pid;
		this.code = code;
		this.name = 'SyscallError';
	}
}
