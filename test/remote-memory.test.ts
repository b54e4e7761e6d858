// RemoteMemory reads several ranges per system call and reads nearby ones as one span: the
// bytes must be exactly those of separate reads, also when a span would cross an unreadable page.
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import {RemoteMemory, TornReadError} from '../sampler/remote-memory.js';
import {openTarget} from '../sampler/target.js';
import {startPython, testPythons, type PythonProcess} from './helpers.js';

describe('remote memory', () => {
	let target: PythonProcess;
	before(async () => {
		target = await startPython(testPythons().at(-1)!, 'sleep.py');
	});
	after(async () => {
		await target.stop();
	});

	test('coalesced reads return the same bytes as one read per range', () => {
		const runtime = openTarget(target.pid).runtimeAddress;
		const memory = new RemoteMemory(target.pid, 1 << 16);
		// Nearby ranges (merged into one span), one far away (read alone), and an overlap.
		const ranges = [[runtime + 512, 64], [runtime, 24], [runtime + 4000, 200], [runtime + 100_000, 32], [runtime + 520, 16]] as const;
		const separate = ranges.map(([address, length]) => Buffer.from(memory.read(address, length, 0)));
		const callsBefore = memory.calls;
		const iovecsBefore = memory.iovecs;
		let at = 0;
		const offsets: number[] = [];
		for (const [address, length] of ranges) {
			offsets.push(at);
			memory.queue(address, length, at);
			at += 256;
		}

		memory.flush();
		assert.equal(memory.calls - callsBefore, 1, 'one system call');
		assert.equal(memory.iovecs - iovecsBefore, 2, 'the four ranges near the runtime as one span, the far one alone');
		for (const [index, [, length]] of ranges.entries()) {
			assert.deepEqual(memory.scratch.subarray(offsets[index], offsets[index]! + length), separate[index]);
		}

		// The runtime holds pointers, so the bytes are not all zero: the comparison means something.
		assert.ok(separate[1]!.some(byte => byte !== 0));
	});

	test('a span across an unreadable page falls back to separate reads', async () => {
		const holey = await startPython(testPythons().at(-1)!, 'guard-page.py');
		try {
			const [, guardText, pageText] = /guard (\d+) (\d+)/.exec(holey.output())!;
			const guard = Number(guardText);
			const page = Number(pageText);
			const memory = new RemoteMemory(holey.pid, 1 << 16);
			// 16 bytes below the hole and 16 above it: close enough to be read as one span, which fails.
			const callsBefore = memory.calls;
			memory.queue(guard - 16, 16, 0);
			memory.queue(guard + page, 16, 64);
			memory.flush();
			assert.equal(memory.calls - callsBefore, 2, 'the span was tried, then each range alone');
			assert.equal(memory.scratch.toString('latin1', 0, 16), 'below-guard-page');
			assert.equal(memory.scratch.toString('latin1', 64, 80), 'above-guard-page');
			// Reading the hole itself is a torn read, never silent zeros.
			memory.queue(guard - 16, 16, 0);
			memory.queue(guard, 16, 64);
			assert.throws(() => {
				memory.flush();
			}, TornReadError);
		} finally {
			await holey.stop();
		}
	});
});
