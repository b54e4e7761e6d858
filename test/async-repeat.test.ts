// --async-aware all repeats the last rewrite while no page it read changed (sampler/asyncio.ts,
// AsyncStacks.rewrite): on a real program, it repeats while the tasks stay parked, and a task
// that moves shows at once, on 3.11–3.13 (asyncio's objects) and 3.14+ (task lists).
import assert from 'node:assert/strict';
import {once} from 'node:events';
import {after, test} from 'node:test';
import {AsyncStacks} from '../sampler/asyncio.js';
import {FrameTable} from '../sampler/frame-table.js';
import {openTarget} from '../sampler/target.js';
import {Unwinder} from '../sampler/unwinder.js';
import {minorOf, startPython, testPythons, type PythonProcess} from './helpers.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

const pythons = testPythons().filter(py => minorOf(py) >= 11);

for (const py of pythons) {
	test(`Python ${py.version}: all-mode rewrites repeat while the tasks stay parked, and see a task move`, async () => {
		const target = await startPython(py, 'async_parked.py');
		running.push(target);
		const frames = new FrameTable();
		const unwinder = new Unwinder(openTarget(target.pid), frames, {allThreads: false, gc: true, native: false, opcodes: false, cpuState: false, exceptionState: false});
		try {
			const stacks = new AsyncStacks(unwinder.remote, unwinder, 'all');
			/** One sample: each task stack as its function names, leaf first. */
			const sample = (): {repeated: boolean; stacks: string[]} => {
				const count = stacks.rewrite(performance.now(), unwinder.sample(performance.now()));
				const taken = unwinder.samples.slice(0, count).map(stack => stack.frames.slice(0, stack.depth).map(id => frames.defs[id]!.funcname).join(';'));
				return {repeated: stacks.repeated, stacks: taken.sort()};
			};

			const mover = (taken: {stacks: string[]}) => taken.stacks.filter(stack => stack.includes(';mover;'));
			const first = sample();
			assert.equal(first.repeated, false);
			assert.equal(first.stacks.filter(stack => stack.includes(';parked-')).length, 200, first.stacks.slice(0, 5).join('\n'));
			assert.equal(mover(first).length, 1, first.stacks.join('\n'));
			// Parked tasks: a later sample repeats the first (the loop may still be settling at first).
			let repeated = sample();
			for (const deadline = Date.now() + 30_000; !repeated.repeated && Date.now() < deadline;) {
				repeated = sample();
			}

			assert.ok(repeated.repeated, 'no sample repeated the one before it');
			assert.deepEqual(repeated.stacks, first.stacks);
			assert.ok(!mover(repeated)[0]!.includes(';moved;'), mover(repeated).join('\n'));
			target.child.kill('SIGUSR1');
			while (!target.output().includes('moved')) {
				await once(target.child.stdout!, 'data');
			}

			// Parked again in `moved`: the first sample after that sees it, and then repeats it.
			const afterMove = sample();
			assert.equal(afterMove.repeated, false);
			assert.match(mover(afterMove)[0]!, /;moved;mover;mover$/, mover(afterMove).join('\n'));
			let settled = sample();
			for (const deadline = Date.now() + 30_000; !settled.repeated && Date.now() < deadline;) {
				settled = sample();
			}

			assert.ok(settled.repeated);
			assert.deepEqual(mover(settled), mover(afterMove));
			assert.equal(settled.stacks.length, first.stacks.length);
		} finally {
			unwinder.close();
			await target.stop();
		}
	});
}
