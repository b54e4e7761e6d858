// Shared by the live-view tests: a real Python workload with a hot function on the main thread
// and a sleeping one on a second thread, and a live store sampling it until both show up.
import fs from 'node:fs';
import path from 'node:path';
import {LiveStore} from '../live/live-store.js';
import {delay, startPython, tempDir, type PythonProcess, type TestPython} from './helpers.js';

export const workloadSource = `
import threading, time

def hot_loop_alpha():
    total = 0
    for i in range(200000):
        total += i * i
    return total

def sleeper_beta():
    # Long sleeps: a thread woken 20 times a second stays runnable (state R, on CPU for cpu
    # mode) on a loaded machine while it waits for a CPU, a third of its samples at load 30.
    time.sleep(2)

def worker():
    while True:
        sleeper_beta()

def main():
    threading.Thread(target=worker, name="sleepy", daemon=True).start()
    print("ready", flush=True)
    while True:
        hot_loop_alpha()

main()
`;

export function writeWorkload(dir = tempDir()): string {
	const file = path.join(dir, 'live_workload.py');
	fs.writeFileSync(file, workloadSource);
	return file;
}

export type LiveTarget = {readonly python: PythonProcess; readonly store: LiveStore; readonly dir: string};

/** Starts the workload and a store on it; resolves once both functions were sampled. */
export async function startLiveTarget(interpreter: TestPython): Promise<LiveTarget> {
	const dir = tempDir('tachyon-top-live-');
	const python = await startPython(interpreter, writeWorkload(dir));
	const store = new LiveStore({pid: python.pid, intervalUs: 1000, outputDir: dir}).start();
	// Generous: at a load average of 40–50 on two cores a fresh store took over 20 s to show both.
	const deadline = Date.now() + 60_000;
	for (;;) {
		const names = new Set(store.getSnapshot().rows.map(row => row.funcname));
		if (names.has('hot_loop_alpha') && names.has('sleeper_beta')) {
			break;
		}

		if (Date.now() > deadline) {
			throw new Error(`live store never saw both functions: ${[...names].join(', ')} (${store.getSnapshot().status} ${store.getSnapshot().message ?? ''})`);
		}

		await delay(100);
	}

	return {python, store, dir};
}

export const keys = {
	up: '\u001B[A',
	down: '\u001B[B',
	right: '\u001B[C',
	left: '\u001B[D',
	enter: '\r',
	escape: '\u001B',
	backspace: '\u007F',
} as const;

/** Share (0–100) of the view's samples spent directly in `name`, from the store's snapshot. */
export function directShare(store: LiveStore, name: string): number {
	const snapshot = store.getSnapshot();
	const direct = snapshot.rows.filter(row => row.funcname === name).reduce((sum, row) => sum + row.directSamples, 0);
	return snapshot.totalSamples > 0 ? (direct / snapshot.totalSamples) * 100 : 0;
}

/** Lines of the table body (rows start with the cursor column). */
export function tableRows(frame: string): string[] {
	const lines = frame.split('\n');
	const heading = lines.findIndex(line => /\bfunction\b.*\bfile\b/.test(line));
	return heading < 0 ? [] : lines.slice(heading + 1).filter(line => /^[› ] +\d/.test(line));
}

/** Waits until `check` passes on the latest frame (renders follow the store's 10 Hz tick); generous, for a loaded machine. */
export async function waitForFrame(lastFrame: () => string | undefined, check: (frame: string) => boolean, timeoutMs = 20_000): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const frame = lastFrame() ?? '';
		if (check(frame)) {
			return frame;
		}

		if (Date.now() > deadline) {
			throw new Error(`frame never matched:\n${frame}`);
		}

		await delay(50);
	}
}
