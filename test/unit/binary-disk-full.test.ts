// A --binary capture whose disk fills up mid-capture keeps its last checkpoint readable: the
// failed write (which may have replaced part of the last tail with new records) is undone.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {readBinaryProfile} from '../../exporters/binary-reader.js';
import {BinaryWriter, extensionOf, memorySink, type BinarySink} from '../../exporters/binary-writer.js';
import {fixtures} from '../helpers.js';

/** A file of at most `limit` bytes: a write past it writes what fits, then fails as a full disk does. */
function smallDisk(limit: {bytes: number}): BinarySink & {bytes(): Uint8Array} {
	const inner = memorySink();
	return {
		writeAt(position, bytes) {
			const room = Math.max(0, limit.bytes - position);
			inner.writeAt(position, bytes.subarray(0, Math.min(room, bytes.length)));
			if (room < bytes.length) {
				throw Object.assign(new Error('ENOSPC: no space left on device, write'), {code: 'ENOSPC'});
			}
		},
		truncate(size) {
			inner.truncate(size);
		},
		close() {
			inner.close();
		},
		bytes: () => inner.bytes(),
	};
}

test('disk full at a checkpoint: the write fails, the file is still the last checkpoint', () => {
	const profile = readBinaryProfile(fs.readFileSync(path.join(fixtures, 'ours-3.15.bin')), {timeline: true}).profile;
	const timeline = profile.timeline!;
	const half = Math.floor(timeline.length / 2);
	const limit = {bytes: Number.MAX_SAFE_INTEGER};
	const sink = smallDisk(limit);
	const writer = new BinaryWriter(sink, {intervalUs: profile.meta.intervalUs, meta: profile.meta, compression: 'none', startTimeUs: 100});
	for (let index = 0; index < half; index++) {
		writer.addSample(profile, timeline.tid[index]!, timeline.status[index]!, timeline.stack[index]!, timeline.time[index]!);
	}

	writer.checkpoint(profile, extensionOf(profile));
	const first = sink.bytes();
	assert.equal(readBinaryProfile(first).profile.samples, half);

	// The disk ends a little past the file: the next checkpoint's records overwrite the tail, then fail.
	limit.bytes = first.length + 64;
	for (let index = half; index < timeline.length; index++) {
		writer.addSample(profile, timeline.tid[index]!, timeline.status[index]!, timeline.stack[index]!, timeline.time[index]!);
	}

	assert.throws(() => {
		writer.checkpoint(profile, extensionOf(profile));
	}, /ENOSPC/);
	assert.deepEqual(sink.bytes(), first, 'the file is the first checkpoint again');
	assert.equal(readBinaryProfile(sink.bytes()).profile.samples, half);
});
