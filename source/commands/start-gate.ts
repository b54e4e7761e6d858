// run's start gate: the script waits at the door until the sampler has attached and read the
// process once, so it is sampled from its first line, however long tachyon-top and the
// sampler worker take to start on a busy machine (Tachyon's `run` waits for its coordinator's
// "ready" the same way, but then lets the script go before it attaches).
//
// The door is a sitecustomize module: its directory leads PYTHONPATH, so the interpreter
// imports it as it starts (site.py, once the runtime is up) and it blocks reading a pipe whose
// other end the sampler worker holds. The worker writes one byte once its first read of the
// process succeeded; the script then runs exactly as `python script.py` (or `-m module`) would:
// same sys.argv, sys.path, __main__, exit code and errors. Before waiting, the module undoes
// itself (PYTHONPATH, sys.path, its variables), so neither the script nor its children see a
// trace of it, and after the wait it hands over to the interpreter's own sitecustomize, if any.
// If the pipe closes without the byte (the sampler failed, tachyon-top died), the script never
// runs. An interpreter that skips site (-S, -I) or PYTHONPATH (-E) just runs ungated.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {libc} from '../../sampler/libc.js';

const gateModule = `# tachyon-top's start gate (source/commands/start-gate.ts): holds the script until sampled.
def _tachyon_top_gate():
    import os, sys
    env = os.environ
    fd = int(env.pop('TACHYON_TOP_GATE_FD'))
    here = os.path.abspath(env.pop('TACHYON_TOP_GATE_DIR'))
    saved = env.pop('TACHYON_TOP_GATE_PYTHONPATH', None)
    if saved is None:
        env.pop('PYTHONPATH', None)
    else:
        env['PYTHONPATH'] = saved
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or '.') != here]
    try:
        go = os.read(fd, 1)
    except KeyboardInterrupt:
        import signal
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        go = b''
    finally:
        os.close(fd)
    if go != b'g':
        os._exit(1)
    me = sys.modules.pop('sitecustomize')
    try:
        import sitecustomize
    except ImportError as error:
        sys.modules['sitecustomize'] = me
        if error.name != 'sitecustomize':
            raise
_tachyon_top_gate()
del _tachyon_top_gate
`;

const oCloexec = 0o2_000_000;

export type StartGate = {
	/** The environment to start the interpreter with (the gate on PYTHONPATH). */
	readonly env: NodeJS.ProcessEnv;
	/** The pipe's read end, to hand to the interpreter as fd `childFd`. */
	readonly readFd: number;
	/** The write end: the sampler worker opens the gate through it (SamplerOptions.gateFd). */
	readonly writeFd: number;
	/** Closes our copy of the read end once the interpreter has it. */
	handedOver(): void;
	/** Removes the gate's directory. */
	remove(): void;
};

/** A gate for an interpreter that will find the pipe's read end as its fd `childFd`. */
export function openStartGate(childFd: number): StartGate {
	const fds = new Int32Array(2);
	if (libc().pipe2(fds, oCloexec) !== 0) {
		throw new Error(`pipe2 failed: ${libc().strerror(libc().errno())}`);
	}

	const [readFd, writeFd] = [fds[0]!, fds[1]!];
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tachyon-top-gate-'));
	fs.writeFileSync(path.join(dir, 'sitecustomize.py'), gateModule);
	const saved = process.env['PYTHONPATH'];
	const env: NodeJS.ProcessEnv = {
		...process.env,
		PYTHONPATH: saved === undefined || saved === '' ? dir : `${dir}${path.delimiter}${saved}`,
		TACHYON_TOP_GATE_FD: String(childFd),
		TACHYON_TOP_GATE_DIR: dir,
		...(saved === undefined ? {} : {TACHYON_TOP_GATE_PYTHONPATH: saved}),
	};
	let handedOver = false;
	return {
		env,
		readFd,
		writeFd,
		handedOver() {
			if (!handedOver) {
				handedOver = true;
				fs.closeSync(readFd);
			}
		},
		remove() {
			fs.rmSync(dir, {recursive: true, force: true});
		},
	};
}
