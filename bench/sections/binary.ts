// The binary format's two figures, ours against Tachyon (CPython 3.15's own sampler) in this run:
// bytes per sample of a --binary capture at the highest rate on the article's workload, and how
// fast each tool replays a capture to pstats. Both replay the same (Tachyon's) file.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {readBinaryProfile} from '../../exporters/binary-reader.js';
import {pstatsFile} from '../../exporters/pstats-file.js';
import type {BenchOptions, BenchRow, BenchSection} from '../section.js';
import {startTarget} from '../processes.js';
import {python315, root, workloadLoop} from '../tools.js';

const cli = path.join(root, 'dist', 'source', 'cli.js');

/** Samples in a binary file, from its header. */
function sampleCount(file: string): number {
	return Number(fs.readFileSync(file).readBigUInt64LE(28));
}

async function capture(tool: 'ours' | 'tachyon', file: string, durationS: number): Promise<{bytes: number; samples: number}> {
	const target = await startTarget(python315!, [workloadLoop], /\[workload\] pid=/);
	try {
		const [command, args] = tool === 'ours'
			? [process.execPath, [cli, 'attach', '-r', '1mhz', '-d', String(durationS), '--binary', '-o', file, String(target.pid)]]
			: [python315!, ['-m', 'profiling.sampling', 'attach', '-r', '1000khz', '-d', String(durationS), '--binary', '-o', file, String(target.pid)]];
		execFileSync(command, args, {stdio: 'pipe', timeout: (durationS + 60) * 1000});
		return {bytes: fs.statSync(file).size, samples: sampleCount(file)};
	} finally {
		await target.stop();
	}
}

/** Samples per second of a whole `replay --pstats -o` command (process start included, for both tools). */
function replayRate(tool: 'ours' | 'tachyon', file: string, out: string): number {
	const [command, args] = tool === 'ours'
		? [process.execPath, [cli, 'replay', '--pstats', '-o', out, file]]
		: [python315!, ['-m', 'profiling.sampling', 'replay', '--pstats', '-o', out, file]];
	const start = performance.now();
	execFileSync(command, args, {stdio: 'pipe', timeout: 300_000});
	return sampleCount(file) / ((performance.now() - start) / 1000);
}

const section: BenchSection = {
	name: 'binary format',
	order: 50,
	async run(options: BenchOptions): Promise<BenchRow[]> {
		if (python315 === undefined) {
			return [{metric: 'binary format', unit: '', note: 'skipped: python3.15 (Tachyon) is not installed'}];
		}

		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tachyon-top-bench-binary-'));
		try {
			const durationS = options.short ? 1 : 10;
			options.log(`binary: capturing ${durationS} s at 1 MHz with each tool`);
			const ours = await capture('ours', path.join(dir, 'ours.bin'), durationS);
			const tachyon = await capture('tachyon', path.join(dir, 'tachyon.bin'), durationS);
			const oursPerSample = ours.bytes / Math.max(1, ours.samples);
			const tachyonPerSample = tachyon.bytes / Math.max(1, tachyon.samples);
			const sizeRatio = oursPerSample / tachyonPerSample;

			options.log('binary: replaying Tachyon\'s capture to pstats with each tool');
			const file = path.join(dir, 'tachyon.bin');
			const runs = options.short ? 1 : 3;
			const best = (tool: 'ours' | 'tachyon') => Math.max(...Array.from({length: runs}, () => replayRate(tool, file, path.join(dir, `${tool}.pstats`))));
			const oursRate = best('ours');
			const tachyonRate = best('tachyon');
			// The same work in-process, without node's start-up: what the reader itself sustains.
			const bytes = fs.readFileSync(file);
			const start = performance.now();
			const {profile} = readBinaryProfile(bytes);
			pstatsFile(profile);
			const inProcess = profile.samples / ((performance.now() - start) / 1000);
			return [
				{
					metric: 'binary size at 1 MHz (attach, article workload)',
					ours: round(oursPerSample, 3),
					tachyon: round(tachyonPerSample, 3),
					unit: 'bytes/sample',
					ratio: round(sizeRatio, 2),
					target: '≤ 1 × Tachyon',
					met: sizeRatio <= 1,
					note: `ours ${ours.samples} samples in ${ours.bytes} B; Tachyon ${tachyon.samples} samples in ${tachyon.bytes} B`,
				},
				{
					metric: 'replay to pstats (whole command, Tachyon\'s file)',
					ours: Math.round(oursRate),
					tachyon: Math.round(tachyonRate),
					unit: 'samples/s',
					ratio: round(oursRate / tachyonRate, 2),
					target: '≥ 2,000,000 samples/s',
					met: oursRate >= 2e6,
					note: `${sampleCount(file)} samples; reader + pstats in-process: ${Math.round(inProcess)} samples/s`,
				},
			];
		} finally {
			fs.rmSync(dir, {recursive: true, force: true});
		}
	},
};

function round(value: number, digits: number): number {
	return Number(value.toFixed(digits));
}

export default section;
