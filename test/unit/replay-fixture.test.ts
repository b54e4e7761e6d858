// A small capture made by Tachyon itself (CPython 3.15.2's `--binary`, checked in as
// test/fixtures/tachyon-3.15.bin) read and turned into every format, with no Python needed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {readBinaryProfile} from '../../exporters/binary-reader.js';
import {exporters} from '../../exporters/index.js';
import {fixtures, parseCollapsed, shareOf} from '../helpers.js';

const capture = fs.readFileSync(path.join(fixtures, 'tachyon-3.15.bin'));

test('the capture reads whole: samples, threads, the workload\'s functions', () => {
	const {profile} = readBinaryProfile(capture);
	assert.equal(profile.samples, 3791);
	assert.ok(profile.threads.size >= 2, `threads: ${profile.threads.size}`);
	const collapsed = exporters.collapsed.export(profile, {});
	assert.equal(collapsed.kind, 'file');
	const stacks = parseCollapsed(String(collapsed.data));
	for (const name of ['crunch', 'digest', 'churn']) {
		assert.ok(shareOf(stacks, `:${name}:`) > 0, `${name} is in the capture`);
	}
});

for (const format of Object.values(exporters)) {
	test(`replays to ${format.id}`, () => {
		const {profile} = readBinaryProfile(capture, {timeline: format.needsTimeline});
		const options = format.id === 'diff-flamegraph' ? {baseline: readBinaryProfile(capture).profile} : {};
		const result = format.export(profile, options);
		if (result.kind === 'file') {
			assert.ok(result.data.length > 100, `${format.id} wrote ${result.data.length} bytes`);
		} else {
			assert.ok(result.files.size > 0, `${format.id} wrote no file`);
		}
	});
}
