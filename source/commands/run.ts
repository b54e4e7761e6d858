// run: starts the script (or module) with a Python interpreter; the sampler attaches to it.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import {UserError} from '../../sampler/errors.js';

export type ScriptOptions = {
	readonly target: string[];
	readonly module: boolean;
	readonly python: string | undefined;
};

export type RunningScript = {
	readonly pid: number;
	/** Ends the script if it is still running (after -d, or on Ctrl-C). */
	stop(): void;
	/** The script's exit code (0 when it was stopped by us). */
	exitCode(): Promise<number>;
};

export function startScript(options: ScriptOptions): RunningScript {
	const [first, ...rest] = options.target;
	if (!options.module && !fs.existsSync(first!)) {
		throw new UserError(`No such script: ${first}`, 2);
	}

	const python = options.python ?? process.env['TACHYON_TOP_PYTHON'] ?? 'python3';
	const args = options.module ? ['-m', first!, ...rest] : [first!, ...rest];
	const child = spawn(python, args, {stdio: 'inherit'});
	let stoppedByUs = false;
	const exited = new Promise<number>(resolve => {
		child.on('exit', (code, signal) => {
			resolve(stoppedByUs ? 0 : (code ?? (signal === 'SIGINT' ? 130 : 1)));
		});
		child.on('error', () => {
			resolve(127);
		});
	});
	if (child.pid === undefined) {
		throw new UserError(`Cannot start ${python}: not found (set --python or TACHYON_TOP_PYTHON)`, 2);
	}

	return {
		pid: child.pid,
		stop() {
			if (child.exitCode === null && child.signalCode === null) {
				stoppedByUs = true;
				child.kill('SIGTERM');
			}
		},
		exitCode: async () => exited,
	};
}
