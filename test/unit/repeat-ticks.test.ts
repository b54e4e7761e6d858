// A tick the sampler knows to be the previous one again (--async-aware all on tasks that did
// not move) is sent as a repeat (count -1) instead of its records: what the model, the binary
// writer's reading (forEachRecord) and every view make of it must be what they make of the
// same tick sent whole.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {Profile} from '../../exporters/model.js';
import {BatchBuilder, type ThreadRecord} from '../../sampler/batch-builder.js';
import {FrameTable} from '../../sampler/frame-table.js';
import {forEachRecord, repeatTick, type SampleBatch} from '../../sampler/protocol.js';
import type {ThreadNames} from '../../sampler/thread-names.js';

const names = {name: () => 'thread'} as unknown as ThreadNames;

function profile(): Profile {
	return new Profile({
		pid: 1, pythonVersion: '3.15.2', command: [], mode: 'wall', intervalUs: 1000, startedAt: 0,
		allThreads: false, gc: false, native: false, opcodes: false, asyncAware: true,
	}, {timeline: true, recent: true});
}

/**
 * Four kinds of tick: 300 task stacks under one thread, the same with one task moved, two
 * threads, and the first kind's stacks with other statuses (its thread took the GIL).
 */
function samplesOf(kind: number, frames: FrameTable): ThreadRecord[] {
	const frame = (name: string) => frames.intern({filename: 'app.py', funcname: name, line: 1, endLine: 1, col: -1, endCol: -1, opcode: -1, kind: 'python'});
	if (kind === 2) {
		return [{tid: 7, tstate: 1, status: 3, depth: 2, frames: [frame('a'), frame('main')]}, {tid: 8, tstate: 2, status: 0, depth: 0, frames: []}];
	}

	return Array.from({length: 300}, (_, task) => ({
		tid: 7, tstate: 1, status: (task + (kind === 3 ? 1 : 0)) % 2, depth: 3,
		frames: [frame(kind === 1 && task === 5 ? 'moved' : `leaf-${task % 40}`), frame(`task-${task}`), frame('main')],
	}));
}

const ticksOf = [0, 0, 0, 0, 1, 1, 0, 0, 3, 3, 0, 2, 2, 2, 0, 0, 0, 0, 3, 0, 0, 0];
/** Kinds 0 and 3 differ only in statuses: the sampler tells the builder their stacks repeat. */
const sameStacks = (a: number, b: number) => a === b || (a !== 1 && a !== 2 && b !== 1 && b !== 2);

/**
 * Feeds the same ticks to a builder told which repeat the tick before (`hinted`) or not, taking
 * a batch every `every` ticks; returns the batches.
 */
function batches(hinted: boolean, every: number): SampleBatch[] {
	const frames = new FrameTable();
	const builder = new BatchBuilder(frames, names, 1000);
	// Runs of equal ticks, a batch boundary inside some of them.
	const kinds = ticksOf;
	const taken: SampleBatch[] = [];
	let stamp = 0;
	for (const [index, kind] of kinds.entries()) {
		stamp += 1000 + (index * 37);
		const samples = samplesOf(kind, frames);
		builder.addTick(stamp, stamp, samples, samples.length, hinted && index > 0 && sameStacks(kinds[index - 1]!, kind));
		if ((index + 1) % every === 0) {
			taken.push(builder.take(stamp, {attempts: 0, errors: 0, missed: 0, elapsedUs: stamp, reads: 0, bytesRead: 0, cpuUs: 0}).batch);
		}
	}

	taken.push(builder.take(stamp + 1, {attempts: 0, errors: 0, missed: 0, elapsedUs: stamp, reads: 0, bytesRead: 0, cpuUs: 0}).batch);
	return taken;
}

function ingested(taken: SampleBatch[]): Profile {
	const result = profile();
	for (const batch of taken) {
		result.ingest(batch);
	}

	return result;
}

/** Everything a profile says of its samples, stacks as frame names. */
function contents(result: Profile): unknown {
	const cells = [...result.cells].map(cell => `${cell.tid} ${cell.status} ${result.stackFrames(cell.stack).join(',')} ${cell.count} ${cell.timeUs}`).sort();
	const timeline = result.timeline!;
	const samples = Array.from({length: timeline.length}, (_, index) => `${timeline.time[index]} ${timeline.tid[index]} ${timeline.status[index]} ${result.stackFrames(timeline.stack[index]!).join(',')}`);
	const recent = result.recent!.cellsSince(0).map(cell => `${cell.tid} ${cell.status} ${cell.stack} ${cell.count} ${cell.timeUs}`).sort();
	return {ticks: result.ticks, samples: result.samples, timeUs: result.timeUs, cells, timeline: samples, recent};
}

for (const every of [4, 5, 1000]) {
	test(`repeated ticks count as the same ticks sent whole (a batch every ${every} ticks)`, () => {
		const whole = batches(false, every);
		const repeated = batches(true, every);
		const repeats = repeated.reduce((sum, batch) => sum + batch.ticks.filter((_, index) => index % 3 === 2 && batch.ticks[index] === repeatTick).length, 0);
		// 22 ticks, 11 of them the one before again: all but those that start a batch go as repeats.
		assert.ok(repeats >= 7, `${repeats} repeat ticks`);
		for (const batch of repeated) {
			assert.notEqual(batch.ticks[2], repeatTick, 'the first tick of a batch is sent whole');
		}

		const recordWords = (taken: SampleBatch[]) => taken.reduce((sum, batch) => sum + batch.records.length, 0);
		// A repeat sends none of its records; every other tick sends all of its own.
		let repeatedWords = 0;
		for (const batch of repeated) {
			let count = 0;
			for (let index = 2; index < batch.ticks.length; index += 3) {
				count = batch.ticks[index] === repeatTick ? count : batch.ticks[index]!;
				repeatedWords += batch.ticks[index] === repeatTick ? count * 3 : 0;
			}
		}

		assert.equal(recordWords(repeated) + repeatedWords, recordWords(whole), 'repeats send no records');
		assert.deepEqual(contents(ingested(repeated)), contents(ingested(whole)));
		// What the binary writer reads: every record of every tick, in order, with its tick's time.
		const records = (taken: SampleBatch[]) => {
			const seen: string[] = [];
			for (const batch of taken) {
				forEachRecord(batch, (tid, status, stack, standsFor, time) => seen.push(`${tid} ${status} ${stack} ${standsFor} ${time}`));
			}

			return seen;
		};

		assert.equal(records(whole).length, ticksOf.reduce((sum, kind) => sum + (kind === 2 ? 2 : 300), 0));
		assert.deepEqual(records(repeated), records(whole));
	});
}

test('a tick is a repeat only of the one just before it: after a discard the next is sent whole', () => {
	const frames = new FrameTable();
	const builder = new BatchBuilder(frames, names, 1000);
	const samples = samplesOf(0, frames);
	builder.addTick(1000, 1000, samples, samples.length);
	builder.addTick(2000, 2000, samples, samples.length, true);
	builder.discard();
	builder.addTick(3000, 3000, samples, samples.length, true);
	builder.addTick(4000, 4000, samples, samples.length, true);
	const {batch} = builder.take(5000, {attempts: 0, errors: 0, missed: 0, elapsedUs: 4000, reads: 0, bytesRead: 0, cpuUs: 0});
	assert.deepEqual([...batch.ticks], [3000, 1000, 300, 4000, 1000, repeatTick]);
	assert.equal(batch.records.length, 900);
	const result = ingested([batch]);
	assert.equal(result.samples, 600);
	assert.equal(result.timeUs, 2000);
});

test('a tick whose unmoved stacks take the last tick\'s stack ids (kept) records what the same tick interned whole does', () => {
	/** kinds' ticks fed whole, or with `kept` set where a sample's stack is the previous tick's at the same index. */
	const fed = (withKept: boolean): {records: string[]; interned: number} => {
		const frames = new FrameTable();
		const builder = new BatchBuilder(frames, names, 1000);
		const seen: string[] = [];
		let interned = 0;
		let previous: ThreadRecord[] = [];
		for (const [index, kind] of ticksOf.entries()) {
			const samples = samplesOf(kind, frames);
			const same = (sample: ThreadRecord, at: number) => previous[at]?.tid === sample.tid && previous[at].frames.join() === sample.frames.join();
			const kept = withKept ? Uint8Array.from(samples, (sample, at) => same(sample, at) ? 1 : 0) : undefined;
			builder.addTick(1000 * (index + 1), 1000 * (index + 1), samples, samples.length, false, kept);
			previous = samples;
			const {batch} = builder.take(1000 * (index + 1), {attempts: 0, errors: 0, missed: 0, elapsedUs: 0, reads: 0, bytesRead: 0, cpuUs: 0});
			interned += batch.stacks.length;
			forEachRecord(batch, (tid, status, stack, standsFor, time) => seen.push(`${tid} ${status} ${stack} ${standsFor} ${time}`));
		}

		return {records: seen, interned};
	};

	const whole = fed(false);
	const kept = fed(true);
	assert.equal(kept.records.length, ticksOf.reduce((sum, kind) => sum + (kind === 2 ? 2 : 300), 0));
	// The moved task (kind 1) gets its new stack id, and back again; the others keep theirs.
	assert.deepEqual(kept.records, whole.records);
	assert.equal(kept.interned, whole.interned);
});
