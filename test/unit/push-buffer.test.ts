// The sampler's push buffers (sampler/push-buffer.ts): a batch's numbers are copied out exactly,
// into a buffer the main thread gave back when one is large enough (BatchBuilder.recycle).
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {PushBuffer} from '../../sampler/push-buffer.js';

function filled(count: number): PushBuffer<Float64Array> {
	const buffer = new PushBuffer<Float64Array>(Float64Array);
	for (let index = 0; index < count; index++) {
		buffer.push3(index, index + 0.5, -index);
	}

	return buffer;
}

test('a batch is copied into a given-back buffer large enough, exactly its own numbers', () => {
	const buffer = filled(10_000);
	// A used buffer, larger than needed and full of an older batch's numbers.
	const used = new Float64Array(40_000).fill(7);
	const small = new ArrayBuffer(64);
	const spare = [small, used.buffer];
	const taken = buffer.take(spare);
	assert.equal(taken.buffer, used.buffer, 'the batch went into the given-back buffer');
	assert.deepEqual(spare, [small], 'which is no longer spare');
	assert.equal(taken.length, 30_000, 'nothing of the older batch shows');
	assert.deepEqual([...taken.subarray(0, 6)], [0, 0.5, -0, 1, 1.5, -1]);
	assert.deepEqual([...taken.subarray(-3)], [9999, 9999.5, -9999]);
	assert.equal(buffer.length, 0, 'the push buffer is empty again');
});

test('with no given-back buffer large enough, a batch gets a buffer of its own', () => {
	const buffer = filled(100);
	const small = new ArrayBuffer(64);
	const spare = [small];
	const taken = buffer.take(spare);
	assert.notEqual(taken.buffer, small);
	assert.deepEqual(spare, [small]);
	assert.equal(taken.length, 300);
	assert.equal(taken.buffer.byteLength, 300 * 8, 'an exact copy, ready to transfer');
	assert.deepEqual([...taken.subarray(-3)], [99, 99.5, -99]);
});
