// The profile model from literal batches: what it counts, how views select, reset and cut.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {ThreadStatus} from '../../common/profile-types.js';
import type {Profile} from '../../exporters/model.js';
import {fixtureBatch, fixtureFrames, fixtureProfile} from './profile-fixture.js';

const total = (cells: Iterable<{count: number}>) => [...cells].reduce((sum, cell) => sum + cell.count, 0);
const names = (profile: Profile, stack: number) => profile.stackFrames(stack).map(frame => fixtureFrames[frame]!.funcname).join(';');

describe('profile model', () => {
	test('counts ticks, thread samples and the time they stand for', () => {
		const profile = fixtureProfile();
		assert.equal(profile.ticks, 10);
		assert.equal(profile.samples, 19);
		assert.equal(profile.timeUs, 11_000);
		assert.equal(profile.threads.size, 2);
		assert.equal(profile.threads.get(101)?.name, 'worker-1');
	});

	test('stacks come back root first, as interned', () => {
		const profile = fixtureProfile();
		assert.equal(names(profile, 8), '<module>;main;fib;fib;fib');
		assert.equal(names(profile, 5), '<module>;main;handle_request;render;parse');
		assert.equal(names(profile, 12), 'Worker.run;wait');
	});

	test('samples of one (thread, stack, status) share a cell', () => {
		const profile = fixtureProfile();
		const parse = [...profile.cells].filter(cell => cell.stack === 3);
		assert.deepEqual(parse.map(cell => [cell.tid, cell.count, cell.timeUs]), [[100, 3, 3000]]);
		const empty = [...profile.cells].filter(cell => cell.stack === -1);
		assert.deepEqual(empty.map(cell => [cell.tid, cell.count]), [[101, 1]]);
	});

	test('a mode keeps the samples whose status fits it, a tid one thread', () => {
		const profile = fixtureProfile();
		assert.equal(total(profile.select({mode: 'wall'})), 19);
		assert.equal(total(profile.select({mode: 'cpu'})), 9);
		assert.equal(total(profile.select({mode: 'gil'})), 10);
		assert.equal(total(profile.select({mode: 'exception'})), 1);
		assert.equal(total(profile.select({tid: 101})), 9);
		assert.equal(total(profile.select({tid: 101, mode: 'gil'})), 1);
	});

	test('reset forgets samples but keeps frames, stacks and threads', () => {
		const profile = fixtureProfile();
		profile.reset();
		assert.equal(profile.samples, 0);
		assert.equal(total(profile.cells), 0);
		assert.equal(profile.frames.length, fixtureFrames.length);
		assert.equal(profile.stackCountTotal, 13);
		profile.ingest({...fixtureBatch(), frames: [], threads: [], stacks: new Int32Array(0)});
		assert.equal(profile.samples, 19);
	});

	test('cut hands over the samples since the previous cut', () => {
		const profile = fixtureProfile();
		const first = profile.cut();
		assert.equal(first.samples, 19);
		assert.equal(first.startUs, 0);
		assert.equal(first.endUs, 11_000);
		assert.equal(profile.samples, 0);
		assert.equal(profile.cut().samples, 0);
	});

	test('a timeline keeps each sample in order', () => {
		const profile = fixtureProfile({timeline: true});
		const timeline = profile.timeline!;
		assert.equal(timeline.length, 19);
		assert.deepEqual([...timeline.time.subarray(0, 4)], [1000, 1000, 2000, 2000]);
		assert.equal(timeline.status[6]! & ThreadStatus.inGc, ThreadStatus.inGc);
	});

	test('each of more than 4,096 threads keeps its own samples', () => {
		const profile = fixtureProfile();
		const threads = 5000;
		for (let tid = 1; tid <= threads; tid++) {
			profile.addSample(1_000_000 + tid, 0, 12, 1000, 0);
		}

		const last = [...profile.select({tid: 1_000_000 + threads})];
		assert.deepEqual(last.map(cell => [cell.tid, cell.count]), [[1_000_000 + threads, 1]]);
		const first = [...profile.select({tid: 1_000_001})];
		assert.deepEqual(first.map(cell => [cell.tid, cell.count]), [[1_000_001, 1]]);
	});
});
