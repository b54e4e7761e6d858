// run: starts the script (or module) with a Python interpreter; the sampler attaches to it.
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import type {Readable} from 'node:stream';
import {UserError} from '../../common/errors.js';
import {readStat} from '../../sampler/proc.js';
import {openStartGate, type StartGate} from './start-gate.js';

export type ScriptOptions = {
	readonly target: string[];
	readonly module: boolean;
	readonly python: string | undefined;
};

export type RunningScript = {
	readonly pid: number;
	/** The write end of the script's start gate: the sampler lets the script go through it (SamplerOptions.gateFd). */
	readonly gateFd: number;
	/** Ends the script if it is still running (after -d, or on Ctrl-C). */
	stop(): void;
	/** The script's exit code, 128 + N when a signal N ended it, 0 when our stop() did. */
	exitCode(): Promise<number>;
};

/**
 * Whether `python -m name` would find the module, asked of that Python as Tachyon asks its own
 * (importlib.util.find_spec with the current directory first on the path, as -m puts it); a
 * package's parent is imported to look inside it. Undefined when the Python cannot be asked.
 */
function moduleExists(python: string, name: string): boolean | undefined {
	const probe = 'import importlib.util, sys\ntry:\n    found = importlib.util.find_spec(sys.argv[1]) is not None\nexcept (ImportError, ValueError):\n    found = False\nsys.exit(0 if found else 3)';
	const result = spawnSync(python, ['-c', `import sys; sys.path.insert(0, ''); exec(${JSON.stringify(probe)})`, name], {stdio: 'ignore', timeout: 30_000});
	return result.status === 0 ? true : (result.status === 3 ? false : undefined);
}

function commandFor(options: ScriptOptions): {python: string; args: string[]} {
	const [first, ...rest] = options.target;
	// Tachyon's words, at once, rather than a target that exits before it could be sampled.
	if (!options.module && !fs.existsSync(first!)) {
		throw new UserError(`Script '${first}' not found.`);
	}

	const python = options.python ?? process.env['TACHYON_TOP_PYTHON'] ?? 'python3';
	if (options.module && moduleExists(python, first!) === false) {
		throw new UserError(`Module '${first}' not found.`);
	}

	return {python, args: options.module ? ['-m', first!, ...rest] : [first!, ...rest]};
}

/** Fails as Tachyon does when the script or module is not there, before anything else is started. */
export function checkScript(options: ScriptOptions): void {
	commandFor(options);
}

/**
 * Starts the script behind its start gate (start-gate.ts): it waits until the sampler given
 * `gateFd` has read it once. `quiet`: the script's stdio goes nowhere (the live view, whose
 * screen it would scribble on), else it is the terminal's.
 */
export function startScript(options: ScriptOptions, quiet = false): RunningScript {
	const {python, args} = commandFor(options);
	const io = quiet ? 'ignore' : 'inherit';
	const gate = openStartGate(3);
	return track(gate, python, () => spawn(python, args, {stdio: [io, io, io, gate.readFd], env: gate.env}));
}

/** The running script's pid as the intermediate reports it, or why it could not start. */
function readReport(child: ChildProcess): Promise<string> {
	return new Promise(resolve => {
		let text = '';
		const done = () => {
			resolve(text);
		};

		const report = child.stdio[3] as Readable;
		report.on('data', (data: Buffer) => {
			text += data.toString();
		});
		report.on('end', done);
		report.on('error', done);
		child.on('error', done);
	});
}

/**
 * run --blocking: the script as a grandchild. A tracee's ptrace stops can be waited for by
 * any thread of its tracer's process: were the script Node's own child, libuv's reaping on
 * SIGCHLD (waitpid on the child's pid) would take the stops of its main thread for an exit,
 * and the sampler worker's waits would hang. A grandchild is no child of libuv's: its parent
 * is an intermediate (the same Python, with -I -S).
 *
 * The intermediate forks, the fork execs the script's command line (stdin, stdout and stderr
 * are the terminal's, untouched), and it reports the pid on fd 3 only once the exec happened
 * (a close-on-exec pipe reads EOF then), so the sampler never reads the intermediate's own
 * interpreter in the fork. Then it waits: INT, TERM and HUP sent to it by a process (our
 * stop(), kill) are passed on; the same signals from the terminal (Ctrl-C) reached the script
 * already, as they reach its whole process group. It ends as the script ended: the same exit
 * code, or the same signal.
 *
 * Once the terminal has sent the script a signal of its own, ours are held back: the script
 * acts on its own first (a Ctrl-C's KeyboardInterrupt, its traceback, its cleanup) and is sent
 * ours only if it still runs graceS later, and never while the terminal's signal is still
 * pending in it (ShdPnd), but for holdCapS at most (a script that blocks it). Our SIGTERM
 * follows Ctrl-C by a few ms (record stops, the profile is written, main's child.stop()), and
 * under --blocking the script's SIGINT can still be pending then: it was generated while a
 * sample held the script stopped, and the script then waited for a CPU. With both pending the
 * kernel takes them in one return to user space, SIGINT's handler frame set up and SIGTERM's
 * default action killing the process before the handler runs: the Ctrl-C never reached Python
 * (seen in a trace: signal_deliver sig=2 then sig=15 3 µs apart, 8 ms after the Ctrl-C and
 * 1.5 ms after our SIGTERM).
 */
const graceS = 1;
const holdCapS = 5;
const intermediate = `
import os, signal, sys, time
argv = sys.argv[1:]
os.set_inheritable(3, False)
passed = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
waited = passed | {signal.SIGCHLD}
mask = signal.pthread_sigmask(signal.SIG_BLOCK, waited)
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.execvp(argv[0], argv)
    except OSError as error:
        os.write(w, str(error).encode())
    os._exit(127)
os.close(w)
failed = os.read(r, 4096)
os.write(3, failed if failed else b'%d\\n' % pid)
os.close(3)
def pending(sig):
    try:
        with open('/proc/%d/status' % pid) as status_file:
            for line in status_file:
                if line.startswith('ShdPnd:'):
                    return int(line.split()[1], 16) >> (sig - 1) & 1
    except (OSError, ValueError):
        pass
    return 0
own, held, since, status = set(), [], 0.0, 0
while True:
    info = signal.sigtimedwait(waited, 0.01) if held else signal.sigwaitinfo(waited)
    if info is None:
        pass
    elif info.si_signo == signal.SIGCHLD:
        got, status = os.waitpid(pid, os.WNOHANG)
        if got == pid:
            break
    elif info.si_code > 0:
        own.add(info.si_signo)
    elif own:
        since = since if held else time.monotonic()
        held.append(info.si_signo)
    else:
        os.kill(pid, info.si_signo)
    if held:
        waited_for = time.monotonic() - since
        if waited_for >= ${graceS} and not any(pending(sig) for sig in own) or waited_for >= ${holdCapS}:
            for sig in held:
                os.kill(pid, sig)
            own, held = set(), []
if os.WIFSIGNALED(status):
    sig = os.WTERMSIG(status)
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except Exception:
        pass
    try:
        signal.signal(sig, signal.SIG_DFL)
    except (OSError, ValueError):
        pass
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
    os.kill(os.getpid(), sig)
    os._exit(128 + sig)
os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)
`;

/** `quiet`: the script's stdio goes nowhere (what the live view wants), else it is the terminal's. */
export async function startScriptBlocking(options: ScriptOptions, quiet = false): Promise<RunningScript> {
	const {python, args} = commandFor(options);
	const stdio = quiet ? 'ignore' : 'inherit';
	// The intermediate ignores the gate (-I -S) and passes its fd 4 on to the script.
	const gate = openStartGate(4);
	let child!: ChildProcess;
	const running = track(gate, python, () => {
		child = spawn(python, ['-I', '-S', '-c', intermediate, python, ...args], {stdio: [stdio, stdio, stdio, 'pipe', gate.readFd], env: gate.env});
		return child;
	});
	const report = await readReport(child);
	const pid = /^(\d+)\n$/.exec(report)?.[1];
	if (pid === undefined) {
		running.stop();
		fs.closeSync(running.gateFd);
		throw new UserError(report === '' ? `${python} did not start the script: with --blocking it starts it through a few lines of Python, which need Python 3.4+` : `Cannot start ${python}: ${report.trim()}`, 2);
	}

	const scriptPid = Number(pid);
	return {
		pid: scriptPid,
		gateFd: running.gateFd,
		stop() {
			// The script may have ended a moment before the intermediate did: then its exit code stands.
			const stat = readStat(scriptPid);
			if (stat && stat.ppid === child.pid && stat.state !== 'Z' && stat.state !== 'X') {
				running.stop();
			}
		},
		exitCode: async () => running.exitCode(),
	};
}

/** The shell's convention for a process a signal ended: 128 + the signal's number. */
function signalExitCode(signal: NodeJS.Signals): number {
	return 128 + (os.constants.signals[signal] ?? 0);
}

/**
 * Starts the process (the script itself, or the intermediate) with the gate's read end, and
 * gives its exit code and stop(). The gate's directory goes when the process ends.
 */
function track(gate: StartGate, python: string, start: () => ChildProcess): RunningScript {
	let child: ChildProcess;
	try {
		child = start();
	} finally {
		gate.handedOver();
	}

	let stoppedByUs = false;
	const exited = new Promise<number>(resolve => {
		child.on('exit', (code, signal) => {
			gate.remove();
			// The script's own exit code stands even when our stop() came too late to matter.
			resolve(code ?? (signal === 'SIGTERM' && stoppedByUs ? 0 : signalExitCode(signal!)));
		});
		child.on('error', () => {
			gate.remove();
			resolve(127);
		});
	});
	if (child.pid === undefined) {
		fs.closeSync(gate.writeFd);
		throw new UserError(`Cannot start ${python}: not found (set --python or TACHYON_TOP_PYTHON)`, 2);
	}

	const {pid} = child;
	return {
		pid,
		gateFd: gate.writeFd,
		stop() {
			// A process that has exited but is not reaped yet (a zombie) keeps its exit code: no signal.
			const state = readStat(pid)?.state;
			if (child.exitCode === null && child.signalCode === null && state !== undefined && state !== 'Z' && state !== 'X') {
				stoppedByUs = true;
				child.kill('SIGTERM');
			}
		},
		exitCode: async () => exited,
	};
}
