// The binary format's two figures, ours against Tachyon (CPython 3.15's own sampler) in this run:
// bytes per sample of a --binary capture at the highest rate on the article's workload, and how
// fast each tool replays a capture to pstats. Both replay the same (Tachyon's) file.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {readBinaryProfile} from '../../exporters/binary-reader.js';
import {BinaryWriter, fileSink} from '../../exporters/binary-writer.js';
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

/**
 * A replay input big enough that the work, not process start-up, dominates: the samples of a
 * real capture, repeated in time until there are at least `minimum`.
 */
function tiledCapture(source: string, file: string, minimum: number): void {
	const {profile} = readBinaryProfile(fs.readFileSync(source), {timeline: true});
	const timeline = profile.timeline!;
	const span = (timeline.time[timeline.length - 1] ?? 0) + profile.meta.intervalUs;
	const writer = new BinaryWriter(fileSink(file), {intervalUs: profile.meta.intervalUs, meta: profile.meta, compression: 'auto', startTimeUs: 0});
	for (let round = 0; round * timeline.length < minimum; round++) {
		for (let index = 0; index < timeline.length; index++) {
			writer.addSample(profile, timeline.tid[index]!, timeline.status[index]!, timeline.stack[index]!, timeline.time[index]! + (round * span));
		}
	}

	writer.finish(profile);
}

/** Seconds a command takes, best of `runs`. */
function seconds(command: string, args: string[], runs: number): number {
	let best = Infinity;
	for (let run = 0; run < runs; run++) {
		const start = performance.now();
		try {
			execFileSync(command, args, {stdio: 'pipe', timeout: 300_000});
		} catch (error) {
			throw new Error(`${command} ${args.join(' ')} failed: ${String((error as {stderr?: unknown}).stderr ?? error)}`, {cause: error});
		}

		best = Math.min(best, (performance.now() - start) / 1000);
	}

	return best;
}

/** Whole `replay --pstats -o` command, and the same tool doing nothing (its start-up), in seconds. */
function replayTimes(tool: 'ours' | 'tachyon', file: string, out: string, runs: number): {whole: number; startup: number} {
	return tool === 'ours'
		? {whole: seconds(process.execPath, [cli, 'replay', '--pstats', '-o', out, file], runs), startup: seconds(process.execPath, [cli, '--version'], runs)}
		: {
			whole: seconds(python315!, ['-m', 'profiling.sampling', 'replay', '--pstats', '-o', out, file], runs),
			startup: seconds(python315!, ['-c', 'import profiling.sampling.cli'], runs),
		};
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

			// The same capture: Tachyon's file re-encoded by our writer (replay --binary).
			const file = path.join(dir, 'tachyon.bin');
			const reencoded = path.join(dir, 'reencoded.bin');
			execFileSync(process.execPath, [cli, 'replay', '--binary', '-o', reencoded, file], {stdio: 'pipe', timeout: 300_000});
			const sameCaptureRatio = fs.statSync(reencoded).size / tachyon.bytes;

			options.log('binary: replaying a large capture to pstats with each tool');
			const runs = options.short ? 1 : 3;
			const large = path.join(dir, 'large.bin');
			tiledCapture(file, large, options.short ? 1e6 : 3e6);
			const samples = sampleCount(large);
			const ours_ = replayTimes('ours', large, path.join(dir, 'ours.pstats'), runs);
			const theirs = replayTimes('tachyon', large, path.join(dir, 'tachyon.pstats'), runs);
			// Whole commands, start-up included, as the reference figure (Tachyon: 1.2 M/s) was taken.
			const oursRate = samples / ours_.whole;
			const tachyonRate = samples / theirs.whole;
			// The same work in-process (warm): what the reader itself sustains.
			const bytes = fs.readFileSync(large);
			let inProcess = 0;
			for (let run = 0; run < runs + 1; run++) {
				const start = performance.now();
				const {profile} = readBinaryProfile(bytes);
				pstatsFile(profile);
				inProcess = Math.max(inProcess, profile.samples / ((performance.now() - start) / 1000));
			}

			return [
				{
					metric: 'binary size, same capture (Tachyon\'s file re-encoded by ours)',
					ours: fs.statSync(reencoded).size,
					tachyon: tachyon.bytes,
					unit: 'bytes',
					ratio: round(sameCaptureRatio, 3),
					target: '≤ 1 × Tachyon',
					met: sameCaptureRatio <= 1,
					note: `${tachyon.samples} samples: ${round(fs.statSync(reencoded).size / tachyon.samples, 3)} vs ${round(tachyonPerSample, 3)} bytes/sample`,
				},
				{
					metric: 'binary size, each tool\'s own capture at 1 MHz',
					ours: round(oursPerSample, 3),
					tachyon: round(tachyonPerSample, 3),
					unit: 'bytes/sample',
					ratio: round(sizeRatio, 2),
					note: `different samplers, different captures (ours ${ours.samples} samples in ${ours.bytes} B; Tachyon ${tachyon.samples} in ${tachyon.bytes} B): fewer samples per second means shorter repeat runs`,
				},
				{
					metric: 'replay to pstats -o (whole command)',
					ours: Math.round(oursRate),
					tachyon: Math.round(tachyonRate),
					unit: 'samples/s',
					ratio: round(oursRate / tachyonRate, 2),
					target: '≥ 2,000,000 samples/s',
					met: oursRate >= 2e6,
					note: `${samples} samples (Tachyon's capture tiled in time); ${round(ours_.whole, 3)} s vs ${round(theirs.whole, 3)} s, of which start-up ${round(ours_.startup, 3)} s vs ${round(theirs.startup, 3)} s; in-process reader + pstats ${Math.round(inProcess)} samples/s`,
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
