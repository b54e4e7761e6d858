// What the TUI costs: the live view redrawing at 10 Hz with 50 rows against a real 3.15
// workload, as % of a core on top of the sampler worker; whether the sampler keeps its rate
// while the main thread is busy; and how long the picker takes to list 1,000 processes.
import {EventEmitter} from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {Writable} from 'node:stream';
import {clockTicks, readStat} from '../../sampler/proc.js';
import type {SamplerStats} from '../../sampler/protocol.js';
import {delay, startTarget} from '../processes.js';
import type {BenchOptions, BenchRow, BenchSection} from '../section.js';
import {python315} from '../tools.js';

/** A workload with 60 distinct hot functions, so the table has well over 50 rows. */
function manyFunctionsScript(dir: string): string {
	const functions = Array.from({length: 60}, (_, index) => `def work_${index}():\n    total = 0\n    for i in range(${200 + (index * 40)}):\n        total += i\n    return total\n`);
	const file = path.join(dir, 'many_functions.py');
	fs.writeFileSync(file, `${functions.join('\n')}\nprint("ready", flush=True)\nwhile True:\n${Array.from({length: 60}, (_, index) => `    work_${index}()`).join('\n')}\n`);
	return file;
}

/** A terminal-sized sink for Ink: counts what it is sent. */
class FakeTerminal extends Writable {
	readonly columns = 160;
	readonly rows = 58;
	readonly isTTY = true;
	bytes = 0;
	override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
		this.bytes += chunk.length;
		callback();
	}
}

/** Enough of a TTY stdin for Ink's useInput. */
function fakeStdin(): NodeJS.ReadStream {
	const stdin = new EventEmitter() as unknown as NodeJS.ReadStream & Record<string, unknown>;
	Object.assign(stdin, {
		isTTY: true, setRawMode() {}, setEncoding() {}, resume() {}, pause() {}, ref() {}, unref() {}, read: () => null,
	});
	return stdin;
}

/** CPU of this process's main thread (the UI's thread), from /proc, in µs. */
function mainThreadCpuUs(): number {
	const stat = readStat(process.pid, process.pid);
	return stat ? ((stat.utimeTicks + stat.stimeTicks) * 1e6) / clockTicks : 0;
}

const cpuUs = () => {
	const usage = process.cpuUsage();
	return usage.user + usage.system;
};

/** Main-thread CPU (process CPU minus the sampler worker's own) as % of a core over `seconds`. */
async function measureUi(profile: {readonly stats: SamplerStats}, seconds: number, busy: boolean): Promise<{uiPercent: number; rateHz: number}> {
	const startStats = profile.stats;
	const startCpu = cpuUs();
	const started = performance.now();
	const end = started + (seconds * 1000);
	while (performance.now() < end) {
		if (busy) {
			// Hog the main thread 90 % of the time, in slices, as a heavy export or redraw would.
			const until = performance.now() + 90;
			while (performance.now() < until) {
				// Spin.
			}

			await delay(10);
		} else {
			await delay(100);
		}
	}

	const elapsedUs = (performance.now() - started) * 1000;
	const stats = profile.stats;
	const workerUs = stats.cpuUs - startStats.cpuUs;
	const attempts = stats.attempts - startStats.attempts;
	const sampledUs = stats.elapsedUs - startStats.elapsedUs;
	return {uiPercent: ((cpuUs() - startCpu - workerUs) / elapsedUs) * 100, rateHz: sampledUs > 0 ? (attempts / sampledUs) * 1e6 : 0};
}

/** A fake /proc with `count` Python processes (real ELF file behind each map line). */
function fakeProc(count: number, dir: string, pythonBinary: string): string {
	const proc = path.join(dir, 'proc');
	fs.mkdirSync(proc);
	fs.writeFileSync(path.join(proc, 'stat'), `cpu 1 2 3 4\nbtime ${Math.floor(Date.now() / 1000) - 3600}\n`);
	const inode = fs.statSync(pythonBinary).ino;
	const otherLines = Array.from({length: 40}, (_, index) => `7f00000${index.toString(16).padStart(2, '0')}000-7f00000${index.toString(16).padStart(2, '0')}fff r-xp 00000000 fe:01 ${1000 + index}   /usr/lib/x86_64-linux-gnu/lib${index}.so`).join('\n');
	for (let pid = 100_000; pid < 100_000 + count; pid++) {
		const base = path.join(proc, String(pid));
		fs.mkdirSync(base);
		fs.writeFileSync(path.join(base, 'maps'), `55d0c0a00000-55d0c0a2a000 r--p 00000000 fe:01 ${inode}   ${pythonBinary}\n55d0c0a2a000-55d0c0d2a000 r-xp 0002a000 fe:01 ${inode}   ${pythonBinary}\n${otherLines}\n`);
		fs.writeFileSync(path.join(base, 'stat'), `${pid} (python3.15) S 1 ${pid} ${pid} 0 -1 4194304 100 0 0 0 ${pid % 97} 3 0 0 20 0 1 0 ${1000 + pid} 20000000 4000 18446744073709551615\n`);
		fs.writeFileSync(path.join(base, 'cmdline'), `${pythonBinary}\0worker_${pid}.py\0--flag\0`);
		fs.writeFileSync(path.join(base, 'status'), 'Name:\tpython3.15\nUid:\t0\t0\t0\t0\n');
		fs.writeFileSync(path.join(base, 'comm'), 'python3.15\n');
	}

	return proc;
}

async function run({short, log}: BenchOptions): Promise<BenchRow[]> {
	if (!python315) {
		throw new Error('the bench needs python3.15 in .cache/pythons: run scripts/setup.sh');
	}

	// React's production build (its dev build records a measure per render), and Ink drawing
	// frames (it draws only on unmount when CI is set): both read when these modules load.
	process.env['NODE_ENV'] = 'production';
	const ci = process.env['CI'];
	delete process.env['CI'];
	const [{createElement}, {render}, {LiveView}, {LiveStore, liveSamplerOptions}, {ProcessLister}, {startProfiling}, {frameCounts, installFastOutput}] = await Promise.all([
		import('react'), import('ink'), import('../../components/live-view.js'), import('../../live/live-store.js'), import('../../sampler/process-list.js'),
		import('../../live/start-profiling.js'), import('../../components/fast-output.js'),
	]);
	if (!installFastOutput()) {
		throw new Error('components/fast-output.ts could not patch this Ink: the live view would draw through Ink\'s slow path (is Ink still 6.x?)');
	}

	if (ci !== undefined) {
		process.env['CI'] = ci;
	}

	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tachyon-top-bench-ui-'));
	const rows: BenchRow[] = [];
	const target = await startTarget(python315, [manyFunctionsScript(dir)], /ready/);
	const seconds = short ? 3 : 15;
	const warmUpMs = 2000;
	try {
		// The baseline: the same sampler feeding a profile, as `attach` does, with no live view.
		log(`sampler alone (no live view), ${seconds} s`);
		const {profile: alone, sampler} = startProfiling(liveSamplerOptions({pid: target.pid, intervalUs: 1000}));
		await delay(1000);
		const samplerAlone = await measureUi(alone, seconds, false);
		sampler.stop();
		await sampler.finished;
		const store = new LiveStore({pid: target.pid, intervalUs: 1000, outputDir: dir}).start();
		while (store.getSnapshot().rows.length < 55) {
			await delay(100);
		}

		// Warm-ups before each measured phase: the first seconds of a store (every function
		// and stack new, code not yet optimised) and of a view cost more than the steady
		// state, which is what is measured; the short run's 3 s phases would be mostly warm-up.
		await delay(warmUpMs);
		log(`store only (no drawing), ${seconds} s`);
		const storeOnly = await measureUi(store.profile, seconds, false);
		const terminal = new FakeTerminal();
		let renders = 0;
		const app = render(createElement(LiveView, {store, onQuit() {}}), {
			stdout: terminal as unknown as NodeJS.WriteStream, stdin: fakeStdin(), maxFps: 20, patchConsole: false, exitOnCtrlC: false,
			incrementalRendering: false,
			onRender() {
				renders++;
			},
		});
		await delay(warmUpMs);
		const shownRows = store.getSnapshot().rows.length;
		log(`live view drawing ${Math.min(shownRows, terminal.rows - 7)} rows at 10 Hz, ${seconds} s`);
		const rendersBefore = renders;
		const bytesBefore = terminal.bytes;
		const framesBefore = {...frameCounts};
		const mainBefore = mainThreadCpuUs();
		const drawStarted = performance.now();
		const drawing = await measureUi(store.profile, seconds, false);
		const mainThreadPercent = ((mainThreadCpuUs() - mainBefore) / ((performance.now() - drawStarted) * 1000)) * 100;
		const fastFrames = frameCounts.fast - framesBefore.fast;
		const inkFrames = frameCounts.ink - framesBefore.ink;
		const redrawsPerSecond = (renders - rendersBefore) / seconds;
		if (fastFrames === 0) {
			throw new Error(`the live view drew ${inkFrames} frames and none took components/fast-output.ts's fast path: the figures would measure Ink's slow path`);
		}

		log(`sampler rate while the main thread is busy 90 % of the time, ${seconds} s`);
		const busy = await measureUi(store.profile, seconds, true);
		app.unmount();
		// The flame graph (f) of the same view: a call tree built and laid out per tick, then drawn.
		let flameRenders = 0;
		const flameTerminal = new FakeTerminal();
		const flameApp = render(createElement(LiveView, {store, onQuit() {}, initialScreen: 'flame'}), {
			stdout: flameTerminal as unknown as NodeJS.WriteStream, stdin: fakeStdin(), maxFps: 20, patchConsole: false, exitOnCtrlC: false,
			incrementalRendering: false,
			onRender() {
				flameRenders++;
			},
		});
		await delay(warmUpMs);
		log(`flame graph drawing at 10 Hz, ${seconds} s`);
		const flameRendersBefore = flameRenders;
		const flameFramesBefore = {...frameCounts};
		const flame = await measureUi(store.profile, seconds, false);
		flameApp.unmount();
		const flameFast = frameCounts.fast - flameFramesBefore.fast;
		const flameMs = ((flame.uiPercent - storeOnly.uiPercent) / 100) * seconds * 1000 / Math.max(1, flameRenders - flameRendersBefore);
		const flameOnTop = flame.uiPercent - samplerAlone.uiPercent;
		store.stop();
		const drawMs = ((drawing.uiPercent - storeOnly.uiPercent) / 100) * seconds * 1000 / Math.max(1, renders - rendersBefore);
		const onTop = drawing.uiPercent - samplerAlone.uiPercent;
		const load = os.loadavg()[0]!.toFixed(1);
		rows.push({
			metric: 'live view at 10 Hz, 50 rows: CPU on top of the sampler',
			ours: onTop,
			unit: '% of a core',
			target: '≤ 5 %',
			met: onTop <= 5,
			note: `process CPU less the sampler worker's own, live view drawing ${drawing.uiPercent.toFixed(2)} % vs the same sampler feeding a profile with no view ${samplerAlone.uiPercent.toFixed(2)} %; store alone ${storeOnly.uiPercent.toFixed(2)} %; the main thread alone ${mainThreadPercent.toFixed(2)} %; ${redrawsPerSecond.toFixed(1)} redraws/s, ${(((terminal.bytes - bytesBefore) / seconds) / 1024).toFixed(1)} KiB/s to the terminal; load average ${load} on ${os.availableParallelism()} cores`,
		}, {
			metric: 'live view: CPU per redraw (Ink layout + output)',
			ours: drawMs,
			unit: 'ms',
			note: `drawing minus store-only CPU, per frame Ink wrote; ${fastFrames} of ${fastFrames + inkFrames} frames assembled by components/fast-output.ts, the rest by Ink's own grid`,
		}, {
			metric: 'sampler rate with the main thread 90 % busy vs idle',
			ours: busy.rateHz,
			unit: 'samples/s',
			ratio: drawing.rateHz > 0 ? busy.rateHz / drawing.rateHz : undefined,
			target: '≥ 0.95 × idle (the rate must not drop)',
			met: drawing.rateHz > 0 && busy.rateHz / drawing.rateHz >= 0.95,
			note: `idle ${drawing.rateHz.toFixed(0)} samples/s, requested 1000`,
		}, {
			metric: 'flame graph (f) at 10 Hz: CPU on top of the sampler',
			ours: flameOnTop,
			unit: '% of a core',
			target: '≤ 5 % (the live view\'s budget)',
			met: flameOnTop <= 5,
			note: `${flame.uiPercent.toFixed(2)} % vs the sampler alone ${samplerAlone.uiPercent.toFixed(2)} %; the call tree of the 60 functions rebuilt once per tick; ${((flameRenders - flameRendersBefore) / seconds).toFixed(1)} redraws/s`,
		}, {
			metric: 'flame graph: CPU per redraw (tree, layout, Ink)',
			ours: flameMs,
			unit: 'ms',
			note: `flame drawing minus store-only CPU, per frame; ${flameFast} of ${flameRenders - flameRendersBefore} frames by the fast path`,
		});
	} finally {
		await target.stop();
	}

	log('picker: listing 1,000 processes from a fake /proc');
	const proc = fakeProc(1000, dir, python315);
	const lister = new ProcessLister({procRoot: proc});
	let started = performance.now();
	const first = lister.list();
	const coldMs = performance.now() - started;
	const warm: number[] = [];
	for (let round = 0; round < (short ? 3 : 10); round++) {
		started = performance.now();
		lister.list();
		warm.push(performance.now() - started);
	}

	warm.sort((a, b) => a - b);
	const warmMs = warm[Math.floor(warm.length / 2)]!;
	rows.push({
		metric: 'picker: list 1,000 Python processes',
		ours: warmMs,
		unit: 'ms',
		target: '≤ 200 ms',
		met: warmMs <= 200 && first.length === 1000,
		note: `median of ${warm.length} refreshes; first listing (reads the interpreter's ELF once) ${coldMs.toFixed(0)} ms; ${first.length} listed`,
	});
	fs.rmSync(dir, {recursive: true, force: true});
	return rows;
}

const section: BenchSection = {name: 'ui', order: 50, run};
export default section;
