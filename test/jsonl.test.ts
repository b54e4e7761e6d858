// --jsonl: Tachyon 3.15's schema exactly. Checked on the same capture: Tachyon's replay of a
// binary file and ours, parsed back record by record; and on a live capture of each Python.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {python, runCli, startPython, tempDir, testPythons, replayBothWays} from './helpers.js';

const dir = tempDir('tachyon-top-jsonl-');
after(() => {
	fs.rmSync(dir, {recursive: true, force: true});
});

type JsonRecord = Record<string, unknown> & {type: string};
const parse = (text: string): JsonRecord[] => text.trim().split('\n').map(line => JSON.parse(line) as JsonRecord);
const withoutRunId = (record: JsonRecord) => Object.fromEntries(Object.entries(record).filter(([key]) => key !== 'run_id'));

const py315 = python('3.15');

describe('jsonl', () => {
	test('same records as Tachyon\'s replay of the same binary capture', {skip: py315 ? false : 'python3.15 not installed'}, async () => {
		const {theirs: theirsFile, ours: oursFile} = await replayBothWays(py315!, 'jsonl', 'jsonl', dir);
		const theirs = parse(fs.readFileSync(theirsFile, 'utf8'));
		const ours = parse(fs.readFileSync(oursFile, 'utf8'));
		assert.deepEqual(ours.map(record => record.type), theirs.map(record => record.type));
		assert.deepEqual(ours.map(record => withoutRunId(record)), theirs.map(record => withoutRunId(record)));
		assert.equal(new Set(ours.map(record => record['run_id'])).size, 1);
		assert.match(String(ours[0]!['run_id']), /^[\da-f]{32}$/);
		// Compact separators, as Python's json.dumps(separators=(",", ":")).
		assert.doesNotMatch(fs.readFileSync(oursFile, 'utf8'), /": |, "/);
	});

	for (const interpreter of testPythons().filter(candidate => ['3.11', '3.13'].includes(candidate.version))) {
		test(`a live capture of Python ${interpreter.version} holds the functions it ran, consistently`, async () => {
			const target = await startPython(interpreter, 'binary-workload.py');
			const file = path.join(dir, `live-${interpreter.version}.jsonl`);
			try {
				const result = await runCli(['attach', '-d', '1.5', '--jsonl', '-o', file, String(target.pid)]);
				assert.equal(result.code, 0, result.stderr);
			} finally {
				await target.stop();
			}

			const records = parse(fs.readFileSync(file, 'utf8'));
			const meta = records[0]!;
			assert.deepEqual(Object.keys(meta), ['type', 'v', 'run_id', 'sample_interval_usec', 'mode']);
			assert.equal(meta['sample_interval_usec'], 1000);
			const strings = records.filter(record => record.type === 'string_table').flatMap(record => record['strings'] as Array<{str_id: number; value: string}>);
			const frames = records.filter(record => record.type === 'frame_table').flatMap(record => record['frames'] as Array<{frame_id: number; func_str_id: number; line: number}>);
			const aggs = records.filter(record => record.type === 'agg');
			const entries = aggs.flatMap(record => record['entries'] as Array<{frame_id: number; self: number; cumulative: number}>);
			for (const record of records.filter(record => ['string_table', 'frame_table', 'agg'].includes(record.type))) {
				const list = (record['strings'] ?? record['frames'] ?? record['entries']) as unknown[];
				assert.ok(list.length > 0 && list.length <= 256);
			}

			assert.deepEqual(strings.map(entry => entry.str_id), strings.map((_, index) => index));
			assert.deepEqual(frames.map(frame => frame.frame_id), frames.map((_, index) => index));
			assert.equal(entries.length, frames.length);
			const end = records.at(-1)!;
			assert.equal(end.type, 'end');
			const total = end['samples_total'] as number;
			assert.ok(total > 200, `samples: ${total}`);
			assert.equal(entries.reduce((sum, entry) => sum + entry.self, 0), total, 'every sample has one leaf');
			const crunch = frames.filter(frame => strings[frame.func_str_id]!.value === 'crunch');
			const crunchSelf = crunch.reduce((sum, frame) => sum + entries[frame.frame_id]!.self, 0);
			assert.ok(crunchSelf / total > 0.2, `crunch self share ${crunchSelf}/${total}`);
			for (const entry of entries) {
				assert.ok(entry.cumulative >= entry.self && entry.cumulative <= total);
			}
		});
	}
});
