// --speedscope: speedscope's own JSON format (exporters/speedscope-spec.ts), one sampled
// profile per thread, as py-spy writes it. Frames are interned once and shared by the
// threads; a frame is a function at its current line, as in --collapsed. Weights are seconds,
// each sample standing for its share of the time sampled (Profile.sampleTimeUs), so the
// numbers speedscope shows agree with the pstats table's.
import type {ProfilingMode} from '../common/profile-types.js';
import type {Profile} from './model.js';
import {speedscopeSchema, type SpeedscopeFile, type SpeedscopeFrame, type SpeedscopeSampledProfile} from './speedscope-spec.js';

export function speedscopeJson(profile: Profile, mode: ProfilingMode = profile.meta.mode, exporter = 'tachyon-top'): string {
	const frames: SpeedscopeFrame[] = [];
	const frameKeys = new Map<string, number>();
	const indexOfFrame = new Map<number, number>();
	const frameIndex = (frameId: number): number => {
		let index = indexOfFrame.get(frameId);
		if (index === undefined) {
			const frame = profile.frames[frameId]!;
			const python = frame.kind === 'python';
			// Frames that differ only by opcode (--opcodes) are one frame here.
			const key = python ? `${frame.filename}\0${frame.funcname}\0${frame.line}` : `\0${frame.kind}\0${frame.funcname}`;
			index = frameKeys.get(key);
			if (index === undefined) {
				index = frames.length;
				frameKeys.set(key, index);
				frames.push(python
					? {name: frame.funcname, file: frame.filename, ...(frame.line > 0 ? {line: frame.line} : {}), ...(frame.col >= 0 ? {col: frame.col + 1} : {})}
					: {name: frame.kind === 'task' ? `<task> ${frame.funcname}` : frame.funcname});
			}

			indexOfFrame.set(frameId, index);
		}

		return index;
	};

	const stackIndices = new Map<number, number[]>();
	const stackOf = (stack: number): number[] => {
		let indices = stackIndices.get(stack);
		if (indices === undefined) {
			indices = profile.stackFrames(stack).map(frameId => frameIndex(frameId));
			stackIndices.set(stack, indices);
		}

		return indices;
	};

	// Per thread, in the order threads first appeared: its samples and their weights.
	const sampleS = profile.sampleTimeUs() / 1e6;
	const threads = new Map<number, {samples: number[][]; weights: number[]}>();
	for (const thread of [...profile.threads.values()].sort((a, b) => a.index - b.index)) {
		threads.set(thread.tid, {samples: [], weights: []});
	}

	for (const cell of profile.select({mode})) {
		if (cell.stack < 0) {
			continue; // No Python frame: a thread caught starting or tearing down.
		}

		const thread = threads.get(cell.tid)!;
		thread.samples.push(stackOf(cell.stack));
		thread.weights.push(cell.count * sampleS);
	}

	const profiles: SpeedscopeSampledProfile[] = [];
	let busiest = 0;
	let busiestWeight = -1;
	for (const [tid, {samples, weights}] of threads) {
		if (samples.length === 0) {
			continue;
		}

		const total = weights.reduce((sum, weight) => sum + weight, 0);
		const name = profile.threads.get(tid)?.name ?? '';
		if (total > busiestWeight) {
			busiest = profiles.length;
			busiestWeight = total;
		}

		profiles.push({type: 'sampled', name: `Thread ${tid}${name === '' ? '' : ` "${name}"`}`, unit: 'seconds', startValue: 0, endValue: total, samples, weights});
	}

	const {meta} = profile;
	const file: SpeedscopeFile = {
		$schema: speedscopeSchema,
		shared: {frames},
		profiles,
		name: `PID ${meta.pid} (Python ${meta.pythonVersion})${meta.command.length > 0 ? ` ${meta.command.join(' ')}` : ''}, ${mode} mode`,
		activeProfileIndex: busiest,
		exporter,
	};
	return JSON.stringify(file);
}
