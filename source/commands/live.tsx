// The TUI commands: `tachyon-top` (picker), `attach --live PID`, `run --live script.py`.
// Ink draws on the alternate screen; leaving it is idempotent and happens on every way out
// (q, Ctrl-C, SIGTERM, SIGHUP, a crash), so the terminal is always given back as it was.
import {render} from 'ink';
import {App} from '../../components/app.js';
import {installFastOutput} from '../../components/fast-output.js';
import {mouseOff, mouseOn} from '../../components/use-keys.js';
import {UserError} from '../../common/errors.js';
import type {ProfilingMode} from '../../common/profile-types.js';
import type {NativeStacksMode} from '../../sampler/protocol.js';
import {descendants} from '../../sampler/proc.js';
import {openTarget} from '../../sampler/target.js';
import {LiveProcesses, liveFollower} from '../../live/live-processes.js';
import type {SubprocessFollower} from '../../live/subprocesses.js';
import {LiveStore} from '../../live/live-store.js';
import {ProcessLister} from '../../sampler/process-list.js';
import {startScript, startScriptBlocking} from './run.js';

export type LiveOptions = {
	/** attach --live; undefined with no script opens the picker. */
	readonly pid?: number;
	/** run --live: the script (or module) and its arguments. */
	readonly script?: {readonly target: string[]; readonly module: boolean; readonly python: string | undefined};
	readonly intervalUs: number;
	/** -d: stop sampling after this many seconds (the view stays, with its data); 0 for no limit. */
	readonly durationS?: number;
	/** --opcodes: the opcode mix of the selected function under the table. */
	readonly opcodes?: boolean;
	/** --subprocesses: follow the target's Python descendants, each with its own profile ([ and ] switch). */
	readonly subprocesses?: boolean;
	/** --blocking: stop the target's threads for each sample. */
	readonly blocking?: boolean;
	/** --native-stacks[=all]: start with native stacks on (`n` turns them off and on). */
	readonly nativeStacks?: NativeStacksMode;
	/** --mode: the mode the view starts in (m changes it). */
	readonly mode?: ProfilingMode;
};

const enterAlternateScreen = '\u001B[?1049h\u001B[H';
const leaveAlternateScreen = '\u001B[?1049l\u001B[?25h';

export async function runLive(options: LiveOptions): Promise<number> {
	if (!process.stdout.isTTY || !process.stdin.isTTY) {
		throw new UserError('The live view needs a terminal (stdin and stdout must be a TTY); use --pstats or another format to write a report instead', 2);
	}

	const sampling = {intervalUs: options.intervalUs, opcodes: options.opcodes, blocking: options.blocking, ...(options.mode === undefined ? {} : {mode: options.mode})};
	const stopsThreads = options.blocking === true || options.nativeStacks !== undefined;
	// Native stacks at the start, and where `n` cannot turn them on: a script run as Node's own
	// child must not be stopped by ptrace (see startScriptBlocking), so run --live starts it for
	// that only when asked (--native-stacks or --blocking).
	const native = {
		...(options.nativeStacks ? {nativeStacks: options.nativeStacks} : {}),
		...(options.script && !stopsThreads ? {nativeStacksUnavailable: 'run --live starts the script for it only with --native-stacks (or --blocking)'} : {}),
	};
	let stopScript: (() => void) | undefined;
	let initial: LiveStore | undefined;
	let follower: SubprocessFollower | undefined;
	if (options.script) {
		// Its output would scribble over the view, so it goes nowhere (as Tachyon's). With
		// --blocking it must not be Node's own child (see startScriptBlocking).
		const script = stopsThreads ? await startScriptBlocking(options.script, true) : startScript(options.script, true);
		stopScript = () => {
			// The whole tree it started goes too: a multiprocessing forkserver and pool workers
			// would otherwise live on under init.
			const tree = descendants(script.pid);
			script.stop();
			for (const pid of tree) {
				try {
					process.kill(pid, 'SIGTERM');
				} catch {
					// Gone already.
				}
			}
		};

		// --subprocesses: the script's sampler follows its children from the script's first line.
		follower = options.subprocesses ? liveFollower(script.pid, sampling) : undefined;
		initial = new LiveStore({pid: script.pid, ...sampling, ...native, durationS: options.durationS, waitForRuntimeMs: 5000, subprocesses: options.subprocesses === true, gateFd: script.gateFd, ...(follower ? {follower} : {})}).start();
	} else if (options.pid !== undefined) {
		openTarget(options.pid); // A process we cannot read fails here, as one line, before the screen changes.
		follower = options.subprocesses ? liveFollower(options.pid, sampling) : undefined;
		initial = new LiveStore({pid: options.pid, ...sampling, ...native, durationS: options.durationS, subprocesses: options.subprocesses === true, ...(follower ? {follower} : {})}).start();
	}

	const processes = initial && follower ? new LiveProcesses(initial, follower, sampling) : undefined;

	let current = initial;
	let restored = false;
	const restore = () => {
		if (!restored) {
			restored = true;
			current?.stop();
			processes?.stop();
			stopScript?.();

			process.stdout.write(mouseOff + leaveAlternateScreen);
		}
	};

	const onSignal = () => {
		restore();
		process.exit(130);
	};

	process.on('SIGTERM', onSignal);
	process.on('SIGHUP', onSignal);
	process.on('exit', restore);
	// Ink's frame assembly, made cheaper for frames like ours (components/fast-output.ts).
	const fastOutput = installFastOutput();
	if (!fastOutput) {
		process.stderr.write('tachyon-top: this Ink version is not the one the fast frame assembly was written for; drawing with Ink\'s own (slower) path\n');
	}

	// Clicks and the wheel (components/live-view.tsx handleMouse); the keyboard does everything without them.
	process.stdout.write(enterAlternateScreen + mouseOn);
	try {
		const lister = new ProcessLister();
		const app = render(
			<App
				store={initial}
				{...(processes ? {processes} : {})}
				lister={lister}
				attach={entry => new LiveStore({pid: entry.pid, ...sampling}).start()}
				onStore={store => {
					current = store;
				}}
			/>,
			{
				// The store already coalesces to one snapshot per 100 ms; Ink's own throttle at
				// exactly 100 ms dropped every other tick (4.9 redraws/s measured), so it gets headroom.
				maxFps: 20,
				// Off: Ink 6.8's incremental writer moves the cursor up one line too few after a
				// frame that ends in a newline, so every frame after the first landed one line low
				// (seen in tmux at 120×30). Full frames are ~4 KB at 10 Hz.
				incrementalRendering: false,
				patchConsole: false,
				exitOnCtrlC: true,
			},
		);
		await app.waitUntilExit();
	} finally {
		restore();
		process.off('SIGTERM', onSignal);
		process.off('SIGHUP', onSignal);
	}

	return 0;
}
