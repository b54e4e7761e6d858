// --gecko: the Firefox Profiler's processed format. Compared field by field with what Tachyon
// 3.15 writes for the same capture, and checked against the format's invariants on live captures.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {readBinaryProfile} from '../exporters/binary-reader.js';
import {geckoProfile} from '../exporters/gecko.js';
import {python, runCli, startPython, tempDir, testPythons, replayBothWays} from './helpers.js';

const dir = tempDir('tachyon-top-gecko-');
after(() => {
	fs.rmSync(dir, {recursive: true, force: true});
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const read = (file: string): Json => JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
const tables = ['samples', 'stackTable', 'frameTable', 'funcTable', 'resourceTable', 'nativeSymbols', 'markers'];

/** Leaf function:line of every sample of a thread. */
function leaves(profile: Json, thread: Json): Array<string | null> {
	const strings = profile['shared'].stringArray as string[];
	return (thread['samples'].stack as Array<number | null>).map(stack => {
		if (stack === null) {
			return null;
		}

		const frame = thread['stackTable'].frame[stack] as number;
		const func = thread['frameTable'].func[frame] as number;
		return `${strings[thread['funcTable'].name[func]]}:${thread['frameTable'].line[frame]}`;
	});
}

/** The invariants the Firefox Profiler relies on when it loads a processed profile. */
function checkSchema(profile: Json): void {
	const strings = profile['shared'].stringArray as string[];
	assert.equal(strings[0], '(root)');
	const categories = profile['meta'].categories as unknown[];
	for (const thread of profile['threads'] as Json[]) {
		for (const name of tables) {
			const table = thread[name] as Json;
			for (const [column, values] of Object.entries(table)) {
				if (Array.isArray(values)) {
					assert.equal(values.length, table['length'], `${name}.${column} has ${values.length} of ${table['length']}`);
				}
			}
		}

		const {samples, stackTable, frameTable, funcTable, resourceTable, markers} = thread as Record<string, Json>;
		for (let index = 0; index < stackTable!['length']; index++) {
			const prefix = stackTable!['prefix'][index] as number | null;
			assert.ok(prefix === null || (prefix >= 0 && prefix < index), 'a stack\'s prefix comes before it');
			assert.ok(stackTable!['frame'][index] < frameTable!['length']);
			assert.ok(stackTable!['category'][index] < categories.length);
		}

		for (let index = 0; index < frameTable!['length']; index++) {
			assert.ok(frameTable!['func'][index] < funcTable!['length']);
		}

		for (let index = 0; index < funcTable!['length']; index++) {
			assert.ok(funcTable!['name'][index] < strings.length);
			assert.ok(funcTable!['resource'][index] < resourceTable!['length']);
		}

		let previous = -Infinity;
		for (let index = 0; index < samples!['length']; index++) {
			const stack = samples!['stack'][index] as number | null;
			assert.ok(stack === null || stack < stackTable!['length']);
			assert.ok(samples!['time'][index] >= previous, 'sample times never go back');
			previous = samples!['time'][index] as number;
		}

		for (let index = 0; index < markers!['length']; index++) {
			assert.ok(markers!['startTime'][index] <= markers!['endTime'][index]);
			assert.ok(markers!['name'][index] < strings.length);
			assert.equal(markers!['phase'][index], 1);
		}
	}
}

describe('gecko', () => {
	const py315 = python('3.15');
	test('same structure, samples and GIL markers as Tachyon\'s gecko output for the same capture', {skip: py315 ? false : 'python3.15 not installed'}, async () => {
		const {bin, theirs: theirsFile, ours: oursFile} = await replayBothWays(py315!, 'gecko', 'json', dir);
		const theirs = read(theirsFile);
		const ours = read(oursFile);
		checkSchema(theirs);
		checkSchema(ours);
		assert.deepEqual(Object.keys(ours), Object.keys(theirs));
		assert.deepEqual(Object.keys(ours['meta']), Object.keys(theirs['meta']));
		assert.deepEqual(ours['meta'].categories, theirs['meta'].categories);
		for (const key of ['version', 'preprocessedProfileVersion', 'product', 'symbolicated', 'interval', 'abi', 'platform']) {
			assert.deepEqual(ours['meta'][key], theirs['meta'][key], `meta.${key}`);
		}

		assert.deepEqual(ours['threads'].map((thread: Json) => thread['tid']), theirs['threads'].map((thread: Json) => thread['tid']));
		const gilMarkers = (profile: Json, thread: Json) => {
			const strings = profile['shared'].stringArray as string[];
			return (thread['markers'].name as number[]).map((name, index) => [strings[name], thread['markers'].startTime[index], thread['markers'].endTime[index]])
				.filter(([name]) => ['Has GIL', 'No GIL', 'Waiting for GIL', 'Python Code'].includes(name as string))
				.map(marker => JSON.stringify(marker)).sort();
		};

		for (const [index, theirThread] of (theirs['threads'] as Json[]).entries()) {
			const ourThread = ours['threads'][index] as Json;
			assert.deepEqual(Object.keys(ourThread), Object.keys(theirThread));
			for (const name of tables) {
				assert.deepEqual(Object.keys(ourThread[name]), Object.keys(theirThread[name]), name);
			}

			for (const key of ['isMainThread', 'processType', 'processName', 'processStartupTime', 'registerTime']) {
				assert.deepEqual(ourThread[key], theirThread[key], key);
			}

			assert.equal(typeof ourThread['pid'], 'string');
			assert.deepEqual(ourThread['samples'].time, theirThread['samples'].time);
			assert.deepEqual(leaves(ours, ourThread), leaves(theirs, theirThread));
			for (const name of ['stackTable', 'frameTable', 'funcTable', 'resourceTable']) {
				assert.equal(ourThread[name].length, theirThread[name].length, `${name}.length`);
			}

			assert.deepEqual(gilMarkers(ours, ourThread), gilMarkers(theirs, theirThread));
		}

		// A profile without a timeline (the live view's) still exports every sample, laid out per stack.
		const {profile} = readBinaryProfile(fs.readFileSync(bin));
		assert.equal(profile.timeline, undefined);
		const fallback = geckoProfile(profile) as Json;
		checkSchema(fallback);
		const count = (profile: Json, thread: Json) => {
			const counts = new Map<string | null, number>();
			for (const leaf of leaves(profile, thread)) {
				counts.set(leaf, (counts.get(leaf) ?? 0) + 1);
			}

			return [...counts].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
		};

		for (const [index, thread] of (fallback['threads'] as Json[]).entries()) {
			assert.deepEqual(count(fallback, thread), count(ours, ours['threads'][index]));
		}
	});

	for (const interpreter of testPythons()) {
		test(`--opcodes on Python ${interpreter.version}: Opcode markers span each run of the leaf's instruction, as Tachyon writes them`, async () => {
			const target = await startPython(interpreter, 'binary-workload.py');
			const file = path.join(dir, `opcodes-${interpreter.version}.json`);
			const theirsFile = path.join(dir, `opcodes-tachyon-${interpreter.version}.json`);
			try {
				const result = await runCli(['attach', '-a', '-d', '1.5', '--opcodes', '--gecko', '-o', file, String(target.pid)]);
				assert.equal(result.code, 0, result.stderr);
				if (interpreter.version === '3.15') {
					execFileSync(interpreter.path, ['-m', 'profiling.sampling', 'attach', '-a', '-d', '1', '--opcodes', '--gecko', '-o', theirsFile, String(target.pid)], {stdio: 'ignore', timeout: 60_000});
				}
			} finally {
				await target.stop();
			}

			const profile = read(file);
			checkSchema(profile);
			const strings = profile['shared'].stringArray as string[];
			const opcodeMarkers = (source: Json, thread: Json) => {
				const names = source['shared'].stringArray as string[];
				const markers = thread['markers'] as Json;
				return (markers['category'] as number[]).flatMap((category, index) => category === 7
					? [{name: names[markers['name'][index] as number]!, start: markers['startTime'][index] as number, end: markers['endTime'][index] as number, data: markers['data'][index] as Json}]
					: []);
			};
			let total = 0;
			for (const thread of profile['threads'] as Json[]) {
				const markers = opcodeMarkers(profile, thread).sort((a, b) => a.start - b.start);
				total += markers.length;
				const times = thread['samples'].time as number[];
				const stacks = thread['samples'].stack as Array<number | null>;
				for (const [index, marker] of markers.entries()) {
					assert.equal(marker.name, marker.data['opname']);
					assert.equal(marker.data['type'], 'Opcode');
					assert.equal(typeof marker.data['opcode'], 'number');
					assert.match(marker.name, marker.data['is_specialized'] ? new RegExp(`^[A-Z_\\d]+ \\(${marker.data['base_opname'] as string}\\)$`) : /^[A-Z_\d]+$/);
					assert.ok(Math.abs((marker.end - marker.start) - (marker.data['duration'] as number)) < 0.002, 'duration = end - start');
					assert.ok(index === 0 || marker.start >= markers[index - 1]!.end, 'one instruction at a time');
					// Every sample of the run has that function and line at its leaf.
					for (let sample = 0; sample < times.length; sample++) {
						if (times[sample]! >= marker.start && times[sample]! < marker.end && stacks[sample] !== null) {
							const frame = thread['stackTable'].frame[stacks[sample]!] as number;
							assert.equal(strings[thread['funcTable'].name[thread['frameTable'].func[frame]]], marker.data['function']);
							assert.equal(thread['frameTable'].line[frame], marker.data['line']);
						}
					}
				}
			}

			assert.ok(total > 5, `${total} opcode markers`);
			assert.deepEqual((profile['meta'].markerSchema as Json[]).map(schema => schema['name']), ['Opcode']);
			if (interpreter.version === '3.15') {
				const theirs = read(theirsFile);
				assert.deepEqual(profile['meta'].markerSchema, theirs['meta'].markerSchema, 'the same marker schema');
				const theirMarkers = (theirs['threads'] as Json[]).flatMap(thread => opcodeMarkers(theirs, thread));
				assert.ok(theirMarkers.length > 0);
				assert.deepEqual(Object.keys(opcodeMarkers(profile, profile['threads'][0]).at(0)!.data), Object.keys(theirMarkers[0]!.data), 'the same data fields, in order');
			}
		});

		test(`a live capture of Python ${interpreter.version}: one thread per sampled thread, real times, CPU/GIL/GC markers`, {skip: ['3.11', '3.15'].includes(interpreter.version) ? false : 'checked on the oldest and newest'}, async () => {
			const target = await startPython(interpreter, 'binary-workload.py');
			const file = path.join(dir, `live-${interpreter.version}.json`);
			try {
				const result = await runCli(['attach', '-a', '-d', '2', '--gecko', '-o', file, String(target.pid)]);
				assert.equal(result.code, 0, result.stderr);
			} finally {
				await target.stop();
			}

			const profile = read(file);
			checkSchema(profile);
			const threads = profile['threads'] as Json[];
			assert.equal(threads.length, 2, threads.map(thread => thread['name']).join(', '));
			assert.equal(threads.filter(thread => thread['isMainThread']).length, 1);
			const strings = profile['shared'].stringArray as string[];
			const main = threads.find(thread => thread['isMainThread'])!;
			const mainLeaves = leaves(profile, main);
			assert.ok(mainLeaves.filter(leaf => leaf?.startsWith('crunch:')).length / mainLeaves.length > 0.2);
			const times = main['samples'].time as number[];
			assert.ok(times.at(-1)! > 1000 && times.at(-1)! < 4000, `last sample at ${times.at(-1)} ms`);
			const names = new Set(threads.flatMap(thread => (thread['markers'].name as number[]).map(name => strings[name])));
			for (const name of ['Has GIL', 'No GIL', 'On CPU', 'Off CPU', 'Python Code']) {
				assert.ok(names.has(name), `${name} in ${[...names].join(', ')}`);
			}

			const churner = threads.find(thread => !thread['isMainThread'])!;
			assert.ok(leaves(profile, churner).some(leaf => leaf?.startsWith('<GC>') || leaf?.startsWith('churn:')));
		});
	}
});
