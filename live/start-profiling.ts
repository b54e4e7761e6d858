// The one way to start profiling a process: a sampler worker feeding one profile, whose
// metadata is derived from the options that started it. Used by run/attach, the subprocess
// follower, the live store, the agent, the tests and the bench.
import type {ProfilingMode} from '../common/profile-types.js';
import {Profile, type ProfileMeta} from '../exporters/model.js';
import type {SampleBatch, SamplerOptions, TargetInfo} from '../sampler/protocol.js';
import {Sampler, samplerDefaults} from '../sampler/sampler.js';

export type ProfilingOptions = Partial<SamplerOptions> & {
	readonly pid: number;
	/** What the profile counts; the samples carry every status, so a view may change it later. */
	readonly mode?: ProfilingMode;
	/** Keep each sample's time (gecko, the binary writer's replays); costs memory per sample. */
	readonly timeline?: boolean;
};

export type ProfilingHooks = {
	readonly onAttached?: (target: TargetInfo) => void;
	/** After the profile has taken the batch in. */
	readonly onBatch?: (batch: SampleBatch) => void;
};

export type Profiling = {
	readonly profile: Profile;
	readonly sampler: Sampler;
	/** The sampler's options, defaults filled in. */
	readonly options: SamplerOptions;
};

/** The sampler's options from a profiling request: the defaults, overridden by what was asked. */
export function samplerOptionsFor(request: ProfilingOptions): SamplerOptions {
	const {mode: _mode, timeline: _timeline, ...asked} = request;
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
	const profile = new Profile(profileMetaFor(options, request.mode ?? 'wall'), {timeline: request.timeline === true});
	const sampler = new Sampler(options, {
		onAttached(target) {
			profile.setTarget(target);
			hooks.onAttached?.(target);
		},
		onBatch(batch) {
			profile.ingest(batch);
			hooks.onBatch?.(batch);
		},
	});
	return {profile, sampler, options};
}
