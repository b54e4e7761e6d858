// run and attach: sample until the duration ends, the target exits or Ctrl-C, then write
// the chosen format. Whatever was sampled is written on every way out.
import fs from 'node:fs';
import type {BinaryWriter} from '../../exporters/binary-writer.js';
import type {Exporter, ExportOptions} from '../../exporters/index.js';
import type {Profile} from '../../exporters/model.js';
import {UserError} from '../../common/errors.js';
import {terminalText} from '../../common/terminal-text.js';
import type {ProfilingMode} from '../../common/profile-types.js';
import type {SamplerOptions} from '../../sampler/protocol.js';
import {readStat} from '../../sampler/proc.js';
import {startProfiling} from '../../live/start-profiling.js';
import type {SubprocessFollower} from '../../live/subprocesses.js';
import {fallbackNote, outputPathFor, writeExportOrFallBack} from '../../live/output.js';
import {samplingHeader} from '../../exporters/pstats.js';
import {RealtimeStats} from '../realtime-stats.js';
import {StatusLine} from '../status-line.js';

export type RecordConfig = {
	readonly sampler: SamplerOptions;
	readonly mode: ProfilingMode;
	readonly format: Exporter;
	readonly exportOptions: ExportOptions;
	readonly output: string | undefined;
	readonly realtimeStats: boolean;
	/** run: the target ending is the normal end, not news. */
	readonly targetIsChild: boolean;
	/** --subprocesses: the sampler follows the target's children, and this follower gets their news. */
	readonly follower?: SubprocessFollower;
};

export type RecordResult = {
	readonly profile: Profile;
	readonly reason: 'duration' | 'stopped' | 'exited';
	readonly path: string | undefined;
	/** The output could not go where -o said; it went to `path` instead. */
	readonly fellBack: boolean;
};

/**
 * Whether run and attach sample on the main thread (one isolate: peak RSS 72 -> 61 MB at 1 kHz,
 * 80 -> 63 MB at the highest rate) instead of a worker: TACHYON_TOP_SAMPLER=main. Not the
 * default yet: on a loaded machine (load ~30 on 2 cores) the main thread's own work between
 * batches (taking them in, reading source files, compiling on first use) delays samples, and
 * the tests that need a few distinct moments of a short capture (core-attach's lambdas and
 * start gate, subprocesses, run --blocking --subprocesses) failed where the worker passed.
 */
function sampleInThread(): boolean {
	return process.env['TACHYON_TOP_SAMPLER'] === 'main';
}

/** The process has exited: gone from /proc, or a zombie not yet reaped. */
function processGone(pid: number): boolean {
	const state = readStat(pid)?.state;
	return state === undefined || state === 'Z' || state === 'X';
}

export async function record(config: RecordConfig): Promise<RecordResult> {
	// --binary streams to its file while sampling (memory stays flat at any rate), so it needs no timeline.
	const streaming = config.format.id === 'binary';
	const binaryPath = streaming ? outputPathFor(config.format, config.sampler.pid, config.output) : undefined;
	// Loaded only for --binary (it brings zstd), and before sampling starts, so no batch comes before the writer.
	const binary = streaming ? await import('../../exporters/binary-writer.js') : undefined;
	const stats = config.realtimeStats ? new RealtimeStats() : undefined;
	// A failed write (disk full, ...) stops sampling and is reported once, never thrown from a callback.
	let writeError: Error | undefined;
	let writer: BinaryWriter | undefined;
	const {follower} = config;
	/** attach --subprocesses of a shell or launcher: only its Python descendants are read, each to its own file. */
	let notPython: string[] | undefined;
	const {profile, sampler} = startProfiling({...config.sampler, mode: config.mode, timeline: config.format.needsTimeline && !streaming, sources: config.format.needsSources, inThread: sampleInThread(), recycleBatches: !streaming, ...(follower ? {followChildren: true} : {})}, {
		...(follower ? {onChild: follower.onEvent} : {}),
		onAttached(target) {
			notPython = target.notPython ? target.command : undefined;
			for (const note of target.notes ?? []) {
				process.stderr.write(`tachyon-top: ${note}\n`);
			}
		},
		onBatch(batch) {
			stats?.add(batch);
			if (writer && writeError === undefined) {
				try {
					writer.addBatch(batch, profile);
				} catch (error) {
					writeError = error instanceof Error ? error : new Error(String(error));
					sampler.stop();
				}
			}
		},
	});
	follower?.follow(sampler);
	try {
		writer = binaryPath === undefined || !binary ? undefined : new binary.BinaryWriter(binary.fileSink(binaryPath), {
			intervalUs: profile.meta.intervalUs, meta: profile.meta, compression: config.exportOptions.compression ?? 'auto',
		});
	} catch (error) {
		// No file to write to (or --compression zstd without zstd): nothing is sampled.
		sampler.stop();
		await sampler.finished;
		throw error;
	}

	// On a terminal, one status line while sampling (--realtime-stats draws its own).
	const status = stats ? undefined : new StatusLine(profile, {pid: config.sampler.pid, durationS: config.sampler.durationS, requestedHz: 1e6 / config.sampler.intervalUs});
	// Ctrl-C and SIGTERM stop sampling; the result is still written.
	let interrupted = false;
	const stop = () => {
		sampler.stop();
	};

	const interrupt = () => {
		interrupted = true;
		stop();
	};

	// Ctrl-Z with --blocking: the target's threads must not stay stopped while we are. The sampler
	// lets them all go first, then we stop ourselves; on SIGCONT sampling (and seizing) goes on.
	const suspend = () => {
		sampler.holdForSuspend(1000);
		process.kill(process.pid, 'SIGSTOP');
		sampler.resumeAfterSuspend();
	};

	const suspends = config.sampler.blocking === true || config.sampler.nativeStacks !== undefined;
	process.on('SIGINT', interrupt);
	process.on('SIGTERM', stop);
	if (suspends) {
		process.on('SIGTSTP', suspend);
	}

	let end;
	try {
		end = await sampler.finished;
		// The last batches' files, read while the target may still be there.
		await profile.sources.settled();
	} finally {
		process.off('SIGINT', interrupt);
		process.off('SIGTERM', stop);
		if (suspends) {
			process.off('SIGTSTP', suspend);
		}

		status?.finish();
		stats?.finish();
		if (interrupted) {
			process.stderr.write('Interrupted by user.\n');
		}

		if (end === undefined) {
			// The binary file is finalized on every way out, with everything sampled until then.
			writer?.finish(profile, binary?.extensionOf(profile));
		}
	}

	// run: a script that ended before the sampler could read it is no failure of ours; its (empty) output is still written.
	if (end.kind === 'error' && config.targetIsChild && profile.ticks === 0 && processGone(config.sampler.pid)) {
		end = {kind: 'done', reason: 'exited'} as const;
	}

	if (end.kind === 'error') {
		if (profile.samples === 0) {
			if (binaryPath !== undefined) {
				writer?.finish(profile);
				fs.rmSync(binaryPath, {force: true});
			}

			throw end.userError ? new UserError(end.message, end.exitCode) : new Error(end.message);
		}

		process.stderr.write(`tachyon-top: sampling stopped: ${terminalText(end.message)}\n`);
	}

	const reason = end.kind === 'done' ? end.reason : 'stopped';
	if (notPython) {
		// No file for a process that was never read (--binary opened its file at the start).
		if (binaryPath !== undefined) {
			writer?.finish(profile);
			fs.rmSync(binaryPath, {force: true});
		}

		const what = `Process ${config.sampler.pid} (${terminalText(notPython.join(' ').slice(0, 80))}) is not a Python process`;
		if (follower === undefined || follower.children.size === 0) {
			throw new UserError(`${what}, and no Python process below it was sampled`);
		}

		process.stderr.write(`tachyon-top: ${what}: its Python descendants were sampled, each to its own file.\n`);
		return {profile, reason, path: undefined, fellBack: false};
	}

	profile.endReason = reason === 'exited' && config.targetIsChild ? 'duration' : reason;
	let written;
	try {
		written = writeError ? undefined : writer?.finish(profile, binary?.extensionOf(profile));
	} catch (error) {
		writeError = error instanceof Error ? error : new Error(String(error));
	}

	if (writeError) {
		throw new UserError(`could not write ${binaryPath}: ${writeError.message} (the file keeps what was sampled until its last complete checkpoint, at most a second before)`);
	}

	const tableToStdout = config.format.id === 'pstats' && config.output === undefined;
	if (!tableToStdout) {
		// The table carries these lines; with a file, stderr does (Tachyon prints them for every format).
		process.stderr.write(`${samplingHeader(profile, {exitNote: false})}\n`);
	}

	const exported = binaryPath === undefined ? writeExportOrFallBack(config.format, profile, config.exportOptions, config.output, tableToStdout) : {path: binaryPath};
	const {path} = exported;
	const note = fallbackNote(exported);
	if (note) {
		process.stderr.write(`tachyon-top: ${note}\n`);
	}

	if (reason === 'exited' && !config.targetIsChild) {
		// Samples taken while the interpreter was already tearing down hold no Python frame.
		let withFrames = 0;
		for (const cell of profile.cells) {
			withFrames += cell.stack >= 0 ? cell.count : 0;
		}

		process.stderr.write(`tachyon-top: process ${config.sampler.pid} exited during sampling; the ${withFrames} samples with Python frames taken until then were written.\n`);
	}

	if (config.targetIsChild && profile.ticks === 0) {
		process.stderr.write('tachyon-top: the script ended before its first sample: nothing was sampled.\n');
	}

	if (path) {
		process.stderr.write(`Wrote ${config.format.description} to ${path}${written ? ` (${written.samples} samples)` : ''}\n`);
	}

	return {profile, reason, path, fellBack: exported.failed !== undefined};
}
