// Issue 14's threads at scale: `-a` at 100 Hz on a process with 1,000 live threads (parked on
// an Event) must deliver ≥ 95 % of the ticks asked for. A tick is counted once per sample of the
// main thread in the collapsed output (each tick holds one record per thread); Tachyon's `-a` is
// measured the same way on the same target.
import {execFile} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {startTarget} from '../processes.js';
import type {BenchOptions, BenchRow, BenchSection} from '../section.js';
import {python315, root} from '../tools.js';

const threads = 1000;
const rateHz = 100;

/** The main thread's sample count in a collapsed file: the ticks delivered. */
function ticksOf(file: string, pid: number): number {
	let ticks = 0;
	for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
		if (line.startsWith(`tid:${pid};`)) {
			ticks += Number(line.slice(line.lastIndexOf(' ') + 1));
		}
	}

	return ticks;
}

async function run({short, log}: BenchOptions): Promise<BenchRow[]> {
	const metric = `-a on ${threads} threads at ${rateHz} Hz: ticks delivered`;
	if (!python315) {
		return [{metric, unit: '%', note: 'needs Python 3.15 (scripts/install-test-pythons.sh)'}];
	}

	const seconds = short ? 2 : 10;
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tachyon-top-bench-threads-'));
	const target = await startTarget(python315, [path.join(root, 'bench', 'many-threads-target.py'), String(threads)], /ready/);
	try {
		const capture = async (command: string, args: string[], file: string) => {
			await promisify(execFile)(command, [...args, 'attach', '-a', '-r', String(rateHz), '-d', String(seconds), '--collapsed', '-o', file, String(target.pid)], {timeout: (seconds + 120) * 1000});
			return (ticksOf(file, target.pid) / (rateHz * seconds)) * 100;
		};

		const ours = await capture(process.execPath, [path.join(root, 'dist', 'source', 'cli.js')], path.join(dir, 'ours.txt'));
		const tachyon = await capture(python315, ['-m', 'profiling.sampling'], path.join(dir, 'tachyon.txt'));
		const load = os.loadavg()[0]!.toFixed(1);
		log(`threads: ours ${ours.toFixed(1)} %, Tachyon ${tachyon.toFixed(1)} % of ${rateHz * seconds} ticks (load ${load})`);
		return [{
			metric, ours, tachyon, unit: '%', ratio: ours / tachyon, target: '≥ 95 %', met: ours >= 95,
			note: `${seconds} s captures, one after the other; load average ${load}`,
		}];
	} finally {
		await target.stop();
		fs.rmSync(dir, {recursive: true, force: true});
	}
}

const section: BenchSection = {name: 'threads', run};
export default section;
