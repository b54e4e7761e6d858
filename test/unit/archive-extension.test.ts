// Our extension block is JSON from whoever made the archive: every field of it, replaced by a
// value of the wrong type or range, either replays to every format or ends in the reader's
// one-line BinaryFormatError, never in a TypeError from deep inside an exporter.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {BinaryFormatError, type BinaryExtension} from '../../exporters/binary-extension.js';
import {readBinaryProfile} from '../../exporters/binary-reader.js';
import {BinaryWriter, extensionOf, memorySink} from '../../exporters/binary-writer.js';
import {exporters} from '../../exporters/index.js';
import type {Profile} from '../../exporters/model.js';
import {fixtures} from '../helpers.js';

type Json = null | boolean | number | string | Json[] | {[key: string]: Json};

const base = readBinaryProfile(fs.readFileSync(path.join(fixtures, 'ours-3.15.bin')), {timeline: true}).profile;

/** The capture written again with this extension block (any JSON), uncompressed. */
function archiveWith(profile: Profile, extension: Json): Uint8Array {
	const sink = memorySink();
	const writer = new BinaryWriter(sink, {intervalUs: profile.meta.intervalUs, meta: profile.meta, compression: 'none', startTimeUs: 100});
	const timeline = profile.timeline!;
	for (let index = 0; index < timeline.length; index++) {
		writer.addSample(profile, timeline.tid[index]!, timeline.status[index]!, timeline.stack[index]!, timeline.time[index]!);
	}

	writer.finish(profile, extension as BinaryExtension);
	return sink.bytes();
}

/** Every path into a JSON value (object keys and list indices), the value itself last. */
function paths(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
	const inner = value !== null && typeof value === 'object'
		? Object.keys(value).flatMap(key => paths((value as Record<string, Json>)[key]!, [...prefix, Array.isArray(value) ? Number(key) : key]))
		: [];
	return [...inner, prefix];
}

function replaced(value: Json, at: Array<string | number>, by: Json): Json {
	const copy = structuredClone(value);
	let parent = copy as Record<string | number, Json>;
	for (const key of at.slice(0, -1)) {
		parent = parent[key] as Record<string | number, Json>;
	}

	parent[at.at(-1)!] = by;
	return copy;
}

const wrong: Json[] = [null, 'x', -1, 1.5, 1e300, 2 ** 53, [], {}, true, [[]], 'a'.repeat(100_000)];

test('every field of the extension block with a wrong type or range: a replay to every format, or one BinaryFormatError line', () => {
	// Every optional part present, so each has its field checked.
	const extension = {...extensionOf(base), execs: [{atUs: 5, pid: 1, pythonVersion: '3.15.2', command: ['python3', 'b.py']}], nativeFrames: [0]} as unknown as Json;
	const failures: string[] = [];
	let rejected = 0;
	let mutants = 0;
	for (const at of paths(extension)) {
		if (at.length === 0) {
			continue;
		}

		for (const value of wrong) {
			mutants++;
			const bytes = archiveWith(base, replaced(extension, at, value));
			try {
				for (const format of Object.values(exporters)) {
					const {profile} = readBinaryProfile(bytes, {timeline: format.needsTimeline});
					format.export(profile, {...(format.id === 'diff-flamegraph' ? {baseline: base} : {}), toFile: true});
				}
			} catch (error) {
				if (error instanceof BinaryFormatError && !error.message.includes('\n')) {
					rejected++;
				} else {
					failures.push(`${at.join('.')} = ${JSON.stringify(value).slice(0, 20)}: ${error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error)}`);
				}
			}
		}
	}

	assert.deepEqual(failures, []);
	// Most wrong values are refused (a test that refuses nothing checks nothing).
	assert.ok(rejected > mutants / 2, `${rejected} of ${mutants} rejected`);
	// And the block as written replays.
	assert.equal(readBinaryProfile(archiveWith(base, extension)).profile.samples, base.samples);
});

test('an extension block that is not an object: one BinaryFormatError line', () => {
	for (const extension of [42, 'text', [], [1, 2], true] as Json[]) {
		assert.throws(() => readBinaryProfile(archiveWith(base, extension)), (error: unknown) => error instanceof BinaryFormatError && /extension block/.test(error.message), JSON.stringify(extension));
	}
});
