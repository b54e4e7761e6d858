// A finished profile as one binary file in memory (replay → binary, the live view's export),
// through the same writer that streams run/attach captures to disk.
import type {ProfilingMode} from '../common/profile-types.js';
import {extensionOf} from './binary-extension.js';
import {memorySink} from './binary-sink.js';
import {BinaryWriter, type CompressionChoice} from './binary-writer.js';
import type {Profile} from './model.js';

/**
 * The whole profile as a binary file. Uses the timeline when the profile kept one; else each (thread, stack, status) cell becomes
 * a run of samples spread evenly over the time it stands for.
 */
export function binaryFile(profile: Profile, compression: CompressionChoice = 'auto', mode: ProfilingMode = profile.meta.mode): Uint8Array {
	const sink = memorySink();
	const writer = new BinaryWriter(sink, {intervalUs: profile.meta.intervalUs, meta: {...profile.meta, mode}, compression, startTimeUs: profile.meta.intervalUs});
	const timeline = profile.timeline;
	if (timeline && timeline.length === profile.samples) {
		for (let index = 0; index < timeline.length; index++) {
			writer.addSample(profile, timeline.tid[index]!, timeline.status[index]!, timeline.stack[index]!, timeline.time[index]!);
		}
	} else {
		const clock = new Map<number, number>();
		for (const cell of profile.cells) {
			const each = cell.count > 0 ? cell.timeUs / cell.count : 0;
			let time = clock.get(cell.tid) ?? 0;
			for (let index = 0; index < cell.count; index++) {
				time += each;
				writer.addSample(profile, cell.tid, cell.status, cell.stack, time - profile.meta.intervalUs);
			}

			clock.set(cell.tid, time);
		}
	}

	writer.finish(profile, extensionOf(profile));
	return sink.bytes();
}
