// The one way to start profiling a process: a sampler worker feeding one profile, whose
// metadata is derived from the options that started it. Used by run/attach, the subprocess
// follower, the live store, the agent, the tests and the bench.
import type {ProfilingMode} from '../common/profile-types.js';
import {Profile, type ProfileMeta} from '../exporters/model.js';
import type {SampleBatch, SamplerOptions, TargetInfo} from '../sampler/protocol.js';
import {Sampler, samplerDefaults, type ChildEvent, type SamplerHandlers} from '../sampler/sampler.js';
import {SourceLines} from '../sampler/source-lines.js';

export type ProfilingOptions = Partial<SamplerOptions> & {
	readonly pid: number;
	/** What the profile counts; the samples carry every status, so a view may change it later. */
	readonly mode?: ProfilingMode;
	/** Keep each sample's time (gecko, the binary writer's replays); costs memory per sample. */
	readonly timeline?: boolean;
	/**
	 * Read the code of the target's files while it runs, for outputs that show it (dumps, HTML)
	 * and for binary archives: files are read from the target only, never later from disk.
	 */
	readonly sources?: boolean;
	/** Keep the last minute of samples by time (the live view's recent window); bounded memory. */
	readonly recent?: boolean;
	/** Sample on this thread, not a worker (SamplerPlacement): for a command that does nothing else meanwhile. */
	readonly inThread?: boolean;
	/**
	 * Give each batch's arrays back to the sampler once the profile and onBatch have taken it in
	 * (Sampler.recycle): no hook may keep a batch (the binary writer holds one until the next).
	 */
	readonly recycleBatches?: boolean;
};

export type ProfilingHooks = {
	readonly onAttached?: (target: TargetInfo) => void;
	/** After the profile has taken the batch in. */
	readonly onBatch?: (batch: SampleBatch) => void;
	/** --subprocesses (followChildren): the children's news, for a SubprocessFollower. */
	readonly onChild?: (event: ChildEvent) => void;
	/** The live view's `n`: the sampler's answer to setNativeStacks(). */
	readonly onNativeStacks?: SamplerHandlers['onNativeStacks'];
};

export type Profiling = {
	readonly profile: Profile;
	readonly sampler: Sampler;
	/** The sampler's options, defaults filled in. */
	readonly options: SamplerOptions;
};

/** The sampler's options from a profiling request: the defaults, overridden by what was asked. */
export function samplerOptionsFor(request: ProfilingOptions): SamplerOptions {
	const {mode: _mode, timeline: _timeline, sources: _sources, recent: _recent, inThread: _inThread, recycleBatches: _recycleBatches, ...asked} = request;
	return {...samplerDefaults, ...asked};
}

/** A profile's metadata as the options that start it imply (version and command come on attach). */
export function profileMetaFor(options: SamplerOptions, mode: ProfilingMode): ProfileMeta {
	return {
		pid: options.pid,
		pythonVersion: '?',
		command: [],
		mode,
		intervalUs: options.intervalUs,
		startedAt: Date.now(),
		allThreads: options.allThreads,
		gc: options.gc,
		native: options.native,
		opcodes: options.opcodes,
		asyncAware: options.asyncAware === true,
	};
}

export function startProfiling(request: ProfilingOptions, hooks: ProfilingHooks = {}): Profiling {
	const options = samplerOptionsFor(request);
	const profile = new Profile(profileMetaFor(options, request.mode ?? 'wall'), {timeline: request.timeline === true, recent: request.recent === true});
	const sources = request.sources ? new SourceLines(options.pid) : undefined;
	if (sources) {
		profile.sources = sources;
	}

	const sampler = new Sampler(options, {
		onAttached(target) {
			profile.setTarget(target);
			hooks.onAttached?.(target);
		},
		onExec(atUs, target) {
			profile.noteExec(atUs, target);
		},
		onBatch(batch) {
			profile.ingest(batch);
			// New files are read now, while the target still runs (its files as it sees them).
			if (sources && batch.frames.length > 0) {
				sources.prefetch(batch.frames.map(frame => frame.filename));
			}

			hooks.onBatch?.(batch);
			if (request.recycleBatches) {
				sampler.recycle(batch);
			}
		},
		...(hooks.onChild ? {onChild: hooks.onChild} : {}),
		...(hooks.onNativeStacks ? {onNativeStacks: hooks.onNativeStacks} : {}),
	}, {inThread: request.inThread === true});
	return {profile, sampler, options};
}
