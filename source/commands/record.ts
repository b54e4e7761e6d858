// run and attach: sample until the duration ends, the target exits or Ctrl-C, then write
// the chosen format. Whatever was sampled is written on every way out.
import {type Exporter, type ExportOptions} from '../../exporters/index.js';
import {Profile, type ProfileMeta} from '../../exporters/model.js';
import {UserError} from '../../sampler/errors.js';
import type {SamplerOptions} from '../../sampler/protocol.js';
import {Sampler} from '../../sampler/sampler.js';
import {writeExport} from '../output.js';
import {RealtimeStats} from '../realtime-stats.js';

export type RecordConfig = {
	readonly sampler: SamplerOptions;
	readonly meta: Omit<ProfileMeta, 'pythonVersion' | 'command' | 'startedAt'>;
	readonly format: Exporter;
	readonly exportOptions: ExportOptions;
	readonly output: string | undefined;
	readonly realtimeStats: boolean;
	/** run: the target ending is the normal end, not news. */
	readonly targetIsChild: boolean;
};

export type RecordResult = {
	readonly profile: Profile;
	readonly reason: 'duration' | 'stopped' | 'exited';
	readonly path: string | undefined;
};

export async function record(config: RecordConfig): Promise<RecordResult> {
	const profile = new Profile({...config.meta, pythonVersion: '?', command: [], startedAt: Date.now()}, {timeline: config.format.needsTimeline});
	const stats = config.realtimeStats ? new RealtimeStats() : undefined;
	const sampler = new Sampler(config.sampler, {
		onAttached(target) {
			profile.meta.pythonVersion = target.version;
			profile.meta.command = target.command;
			profile.meta.startedAt = target.startedAt;
		},
		onBatch(batch) {
			profile.ingest(batch);
			stats?.add(batch);
		},
	});

	// Ctrl-C and SIGTERM stop sampling; the result is still written.
	const stop = () => {
		sampler.stop();
	};

	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
	let end;
	try {
		end = await sampler.finished;
	} finally {
		process.off('SIGINT', stop);
		process.off('SIGTERM', stop);
		stats?.finish();
	}

	if (end.kind === 'error') {
		if (profile.samples === 0) {
			throw end.userError ? new UserError(end.message, end.exitCode) : new Error(end.message);
		}

		process.stderr.write(`tachyon-top: sampling stopped: ${end.message}\n`);
	}

	const reason = end.kind === 'done' ? end.reason : 'stopped';
	profile.endReason = reason === 'exited' && config.targetIsChild ? 'duration' : reason;
	const path = writeExport(config.format, profile, config.exportOptions, config.output, config.format.id === 'pstats' && config.output === undefined);
	if (reason === 'exited' && !config.targetIsChild) {
		process.stderr.write(`tachyon-top: process ${config.sampler.pid} exited during sampling; ${profile.samples} samples taken until then were written.\n`);
	}

	if (path) {
		process.stderr.write(`Wrote ${config.format.description} to ${path}\n`);
	}

	return {profile, reason, path};
}
