// run's start gate, the sampler's side (the script's side, and why: source/commands/start-gate.ts).
// The interpreter reaches the gate late in its start-up (site.py imports it as sitecustomize);
// the worker reads it until it is there, then lets it go, so the capture starts at the script's
// first line. An interpreter that never comes to the gate (one that skips site or PYTHONPATH)
// is let go as soon as it runs code of its own, or at the deadline.
import {libc} from './libc.js';
import {readRunTimeUs} from './proc.js';
import {TargetGoneError, TornReadError} from './remote-memory.js';
import {describeReadError} from './target.js';
import type {Unwinder} from './unwinder.js';

/** The gate's function, as the sitecustomize module names it. */
const gateFunction = '_tachyon_top_gate';
const goByte = new Uint8Array([0x67]); // 'g'
const napCell = new Int32Array(new SharedArrayBuffer(4));

/** Where the script's main thread is: at the gate, still starting (or torn), running ungated, or gone. */
type Place = 'gate' | 'starting' | 'running' | 'gone';

function placeOf(unwinder: Unwinder): Place {
	let count: number;
	try {
		count = unwinder.sample(performance.now());
	} catch (error) {
		if (error instanceof TargetGoneError) {
			return 'gone';
		}

		if (error instanceof TornReadError) {
			return 'starting';
		}

		throw describeReadError(unwinder.target.pid, error);
	}

	const main = unwinder.samples.slice(0, count).find(sample => sample.tid === unwinder.target.pid);
	if (!main) {
		return 'starting';
	}

	let python = false;
	for (let index = 0; index < main.depth; index++) {
		const {filename, funcname} = unwinder.frameTable.defs[main.frames[index]!]!;
		if (funcname === gateFunction) {
			return 'gate';
		}

		if (filename === '<frozen site>' || filename.endsWith('/site.py')) {
			return 'starting';
		}

		python ||= filename !== '~';
	}

	return python ? 'running' : 'starting';
}

/**
 * How long the gate's waits may last for the script `pid`: until its main thread has run
 * `cpuMs` of CPU, or, starved or blocked, `wallMs` passed. Its own CPU time, not wall time: on
 * a busy machine, start-up or a slow sitecustomize of 100 ms of CPU took over a second of wall
 * time, and a wall deadline of a second then started the capture inside the gate (its frames
 * in the profile). Both waits share one limit.
 */
export function gateLimit(pid: number, cpuMs: number, wallMs: number): () => boolean {
	const wallEnd = performance.now() + wallMs;
	const cpuStart = readRunTimeUs(pid, pid) ?? 0;
	return () => performance.now() >= wallEnd || (readRunTimeUs(pid, pid) ?? Number.POSITIVE_INFINITY) - cpuStart >= cpuMs * 1000;
}

/**
 * Reads the script until it waits at the gate (or runs ungated, or is gone, or its limit is
 * spent, or a stop is asked). Each read proves the sampler can read it; none is recorded.
 */
export function waitForGate(unwinder: Unwinder, limitPassed: () => boolean, stopRequested: () => boolean): void {
	while (placeOf(unwinder) === 'starting' && !limitPassed() && !stopRequested()) {
		Atomics.wait(napCell, 0, 0, 1);
	}
}

/**
 * After the gate opened: reads the script until its main thread runs code of its own (past
 * the gate function, the interpreter's own sitecustomize it hands over to, the rest of site),
 * so that no recorded sample shows tachyon-top's door; the capture starts where `python
 * script.py` would be after start-up. A torn read or a frameless moment there ('starting') is
 * no reason to start: woken late on a busy machine, the script showed a gate row of a few samples.
 */
export function waitPastGate(unwinder: Unwinder, limitPassed: () => boolean, stopRequested: () => boolean): void {
	for (let place = placeOf(unwinder); place === 'gate' || place === 'starting'; place = placeOf(unwinder)) {
		if (limitPassed() || stopRequested()) {
			return;
		}

		Atomics.wait(napCell, 0, 0, 1);
	}
}

/**
 * Opens the gate (one byte) or shuts it for good (closing the pipe without the byte: the script
 * never runs). Through libc: the descriptor is the main thread's, which fs in a worker warns
 * about closing. A script gone already fails the write (EPIPE; Node ignores SIGPIPE).
 */
export function closeGate(fd: number, go: boolean): void {
	if (go) {
		libc().write(fd, goByte, 1);
	}

	libc().close(fd);
}
