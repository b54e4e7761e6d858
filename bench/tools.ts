// The three samplers the bench compares, how to point each at a process at a given rate, and
// how to read back how many samples each one took.
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cache = process.env['TACHYON_TOP_CACHE'] ?? path.join(root, '.cache');

export const workloadLoop = path.join(root, 'bench', 'workload-loop.py');
export const fixedWork = path.join(root, 'bench', 'fixed-work.py');

function existing(file: string): string | undefined {
	return fs.existsSync(file) ? file : undefined;
}

/** The 3.15 interpreter (Tachyon's home) and the 3.13 one (the newest austin 3.7 reads). */
export const python315 = existing(path.join(cache, 'pythons', '3.15', 'usr', 'bin', 'python3.15'));
export const python313 = existing(path.join(cache, 'pythons', '3.13', 'usr', 'bin', 'python3.13'));
export const austinPath = existing(path.join(cache, 'pythons', 'austin', 'usr', 'bin', 'austin'));

export type ToolName = 'ours' | 'tachyon' | 'austin';

export type Invocation = {readonly command: string; readonly args: string[]};

/** `rateHz` 0 means "as fast as it goes". */
export function invocation(tool: ToolName, pid: number, rateHz: number, durationS: number): Invocation {
	switch (tool) {
		case 'ours': {
			return {command: process.execPath, args: [path.join(root, 'dist', 'source', 'cli.js'), 'attach', '-r', rateHz === 0 ? '1mhz' : String(rateHz), '-d', String(durationS), '--pstats', '-l', '3', String(pid)]};
		}

		case 'tachyon': {
			// Tachyon's -r takes no "mhz"; 1000khz asks for a 1 µs interval as ours does.
			return {command: python315!, args: ['-m', 'profiling.sampling', 'attach', '-r', rateHz === 0 ? '1000khz' : String(rateHz), '-d', String(durationS), '--pstats', '-l', '3', String(pid)]};
		}

		case 'austin': {
			return {command: austinPath!, args: ['-i', `${rateHz === 0 ? 1 : Math.round(1e6 / rateHz)}us`, '-x', String(durationS), '-p', String(pid), '-o', '/dev/null']};
		}
	}
}

export type Capture = {readonly samples: number; readonly seconds: number};

/** The sample count and sampling time a tool reports at its end. */
export function parseCapture(tool: ToolName, output: string): Capture | undefined {
	const plain = output.replaceAll(/\u001B\[[\d;]*m/g, '');
	if (tool === 'austin') {
		const samples = /Error rate : (\d+)\/(\d+)/.exec(plain);
		const seconds = /Sampling duration : ([\d.]+) s/.exec(plain);
		return samples && seconds ? {samples: Number(samples[2]), seconds: Number(seconds[1])} : undefined;
	}

	// Both print "Captured N samples in T seconds" (ours with thousands separators).
	const match = /Captured ([\d,]+) samples? in ([\d.]+) seconds/.exec(plain);
	return match ? {samples: Number(match[1]!.replaceAll(',', '')), seconds: Number(match[2])} : undefined;
}
