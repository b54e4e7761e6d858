// --async-aware all repeats the last rewrite while no page it read changed (sampler/asyncio.ts,
// AsyncStacks.rewrite): on a real program, it repeats while the tasks stay parked, and a task
// that moves shows at once, on 3.11–3.13 (asyncio's objects) and 3.14+ (task lists).
import assert from 'node:assert/strict';
import {once} from 'node:events';
import {after, test} from 'node:test';
import {Profile} from '../exporters/model.js';
import {AsyncStacks} from '../sampler/asyncio.js';
import {BatchBuilder} from '../sampler/batch-builder.js';
import {FrameTable} from '../sampler/frame-table.js';
import {forEachRecord} from '../sampler/protocol.js';
import type {ThreadNames} from '../sampler/thread-names.js';
import {openTarget} from '../sampler/target.js';
import {Unwinder} from '../sampler/unwinder.js';
import fs from 'node:fs';
import path from 'node:path';
import {minorOf, parseCollapsed, runCli, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';
import {untorn} from './untorn.js';

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
				const count = untorn(() => stacks.rewrite(performance.now(), unwinder.sample(performance.now())));
				const taken = unwinder.samples.slice(0, count).map(stack => stack.frames.slice(0, stack.depth).map(id => frames.defs[id]!.funcname).join(';'));
				return {repeated: stacks.repeated, stacks: taken.sort()};
			};

			const mover = (taken: {stacks: string[]}) => taken.stacks.filter(stack => stack.includes(';mover;'));
			const first = sample();
			assert.equal(first.repeated, false);
			assert.equal(first.stacks.filter(stack => stack.includes(';parked-')).length, 200, first.stacks.slice(0, 5).join('\n'));
			assert.equal(mover(first).length, 1, first.stacks.join('\n'));
			// Parked tasks: a later sample repeats the one before it. Not always the first: the loop
			// may still be settling then (at load 10, main was caught between printing "ready" and
			// parking in go.wait, so the repeat showed main in Event.wait and the first did not).
			let walked = first;
			let repeated = sample();
			for (const deadline = Date.now() + 30_000; !repeated.repeated && Date.now() < deadline;) {
				walked = repeated;
				repeated = sample();
			}

			assert.ok(repeated.repeated, 'no sample repeated the one before it');
			assert.deepEqual(repeated.stacks, walked.stacks);
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

for (const py of pythons) {
	test(`Python ${py.version}: a few of 2,000 parked tasks move (new place, new name; every other step a task spawned and one cancelled) before each sample: partial rewrites show each at once`, async () => {
		const target = await startPython(py, 'async_walkers.py', ['2000'], 'step 0');
		running.push(target);
		const frames = new FrameTable();
		const unwinder = new Unwinder(openTarget(target.pid), frames, {allThreads: false, gc: true, native: false, opcodes: false, cpuState: false, exceptionState: false});
		try {
			const stacks = new AsyncStacks(unwinder.remote, unwinder, 'all');
			// Each sample also goes through a batch as a capture sends it (kept stacks take their
			// last ids), and the profile it feeds must hold the stacks the sample has.
			const builder = new BatchBuilder(frames, {name: () => 'main'} as unknown as ThreadNames, 1000);
			const model = new Profile({pid: target.pid, pythonVersion: py.version, command: [], mode: 'wall', intervalUs: 1000, startedAt: 0, allThreads: false, gc: true, native: false, opcodes: false, asyncAware: true}, {timeline: false, recent: false});
			let stamp = 0;
			const sample = (): string[] => {
				const count = untorn(() => stacks.rewrite(performance.now(), unwinder.sample(performance.now())));
				stamp += 1000;
				builder.addTick(stamp, stamp, unwinder.samples, count, stacks.repeated, stacks.keptStacks);
				const {batch} = builder.take(stamp, {attempts: 0, errors: 0, missed: 0, elapsedUs: stamp, reads: 0, bytesRead: 0, cpuUs: 0});
				model.ingest(batch);
				const sent: string[] = [];
				forEachRecord(batch, (_tid, _status, stack) => sent.push(model.stackFrames(stack).join()));
				assert.deepEqual(sent, unwinder.samples.slice(0, count).map(stack => stack.frames.slice(0, stack.depth).reverse().join()), 'the batch sends the stacks sampled');
				// Leaf first, the leaf (asyncio's Event.wait) left out: its name is qualified on some versions.
				return unwinder.samples.slice(0, count).map(stack => stack.frames.slice(1, stack.depth).map(id => frames.defs[id]!.funcname).join(';'));
			};

			/** Where each walker is parked at a step (leaf first, down to its task). */
			const places = ['place_0', 'inner;place_1', 'inner;deeper;place_2'];
			const expected = (step: number) => [0, 1, 2, 3].map(index => `${places[step % 3]};walker;walker-${index}-${step}`);
			let partial = 0;
			for (let step = 0; step < 9; step++) {
				if (step > 0) {
					target.child.kill('SIGUSR1');
					while (!target.output().includes(`step ${step}\n`)) {
						await once(target.child.stdout!, 'data');
					}
				}

				// The first sample after the step, and one after it (a repeat or a walk of nothing new).
				for (let round = 0; round < 2; round++) {
					const taken = sample();
					const context = `step ${step}, round ${round}, partial: ${stacks.partial}, repeated: ${stacks.repeated}`;
					partial += stacks.partial ? 1 : 0;
					assert.deepEqual(taken.filter(stack => stack.includes(';walker;')).sort(), expected(step), context);
					assert.deepEqual(taken.filter(stack => stack.startsWith('spawned;')), [`spawned;spawned-${step - (step % 2)}`], context);
					assert.equal(taken.filter(stack => /^parked;parked-\d+$/.test(stack)).length, 2000, context);
				}
			}

			// The steps were seen through partial rewrites, not only walks of every task.
			assert.ok(partial >= 4, `${partial} partial rewrites`);
		} finally {
			unwinder.close();
			await target.stop();
		}
	});
}

for (const py of new Set([pythons[0], pythons.at(-1)].filter(py => py !== undefined))) {
	test(`Python ${py.version}: a repeat gives each task its thread's status now: parked tasks on a loop whose thread is busy half the time`, async () => {
		const target = await startPython(py, 'async_parked.py', ['busy']);
		running.push(target);
		const frames = new FrameTable();
		const unwinder = new Unwinder(openTarget(target.pid), frames, {allThreads: false, gc: true, native: false, opcodes: false, cpuState: true, exceptionState: false});
		try {
			const stacks = new AsyncStacks(unwinder.remote, unwinder, 'all');
			let restatused = 0;
			let previous = -1;
			for (const deadline = Date.now() + 30_000; restatused < 5 && Date.now() < deadline;) {
				let status = 0;
				const count = untorn(() => {
					const threads = unwinder.sample(performance.now());
					assert.equal(threads, 1);
					status = unwinder.samples[0]!.status;
					return stacks.rewrite(performance.now(), threads);
				});
				assert.equal(count, 202);
				// Every task is on the main thread's loop: its status is the main thread's, walked or repeated.
				const statuses = new Set(unwinder.samples.slice(0, count).map(sample => sample.status));
				assert.deepEqual([...statuses], [status], `repeated: ${stacks.repeated}`);
				restatused += stacks.repeated && status !== previous && previous >= 0 ? 1 : 0;
				previous = status;
			}

			assert.equal(restatused, 5, 'no repeat came with a new status');
		} finally {
			unwinder.close();
			await target.stop();
		}
	});
}

const withTaskLists = pythons.filter(py => minorOf(py) >= 14);
test('a second process of the same Python, started after the first exited, has its tasks found at once (3.14+ task lists)', {skip: withTaskLists.length === 0 ? 'no Python 3.14+ here' : false}, async () => {
	// The offsets of the task lists are read from the binary through /proc/PID/root: a binary's
	// facts kept from the first process must not read through the first process's path.
	const py = withTaskLists.at(-1)!;
	for (let round = 0; round < 2; round++) {
		const target = await startPython(py, 'async_parked.py');
		running.push(target);
		const unwinder = new Unwinder(openTarget(target.pid), new FrameTable(), {allThreads: false, gc: true, native: false, opcodes: false, cpuState: false, exceptionState: false});
		try {
			const stacks = new AsyncStacks(unwinder.remote, unwinder, 'all');
			assert.equal(stacks.rewrite(performance.now(), unwinder.sample(performance.now())), 202, `process ${round + 1}`);
		} finally {
			unwinder.close();
			await target.stop();
		}
	}
});

test('a capture of parked tasks counts every task in every tick, the repeated ones too, in the cells and in the timeline (gecko)', {skip: pythons.length === 0 ? 'no Python 3.11+ here' : false}, async () => {
	const target = await startPython(pythons.at(-1)!, 'async_parked.py');
	running.push(target);
	const dir = tempDir();
	const capture = async (format: string, file: string): Promise<number> => {
		const captured = await runCli(['attach', '--async-aware', '--async-mode', 'all', '-r', '200', '-d', '2', format, '-o', path.join(dir, file), String(target.pid)]);
		assert.equal(captured.code, 0, captured.stderr);
		const ticks = Number(/Captured ([\d,]+) samples/.exec(captured.stdout + captured.stderr)?.[1]?.replaceAll(',', ''));
		assert.ok(ticks > 2, captured.stdout + captured.stderr);
		return ticks;
	};

	// 200 parked tasks, the mover and main, each a leaf in every tick: most ticks go as repeats.
	const ticks = await capture('--collapsed', 'tasks.txt');
	const stacks = parseCollapsed(fs.readFileSync(path.join(dir, 'tasks.txt'), 'utf8'));
	assert.equal(stacks.size, 202, [...stacks.keys()].slice(0, 5).join('\n'));
	assert.deepEqual(new Set(stacks.values()), new Set([ticks]));
	// The timeline: each tick's 202 samples at that tick's own time.
	const geckoTicks = await capture('--gecko', 'tasks.json');
	const gecko = JSON.parse(fs.readFileSync(path.join(dir, 'tasks.json'), 'utf8')) as {threads: Array<{samples: {length: number; time: number[]}}>};
	const times = gecko.threads.flatMap(thread => thread.samples.time);
	assert.equal(times.length, 202 * geckoTicks);
	const perTime = new Map<number, number>();
	for (const time of times) {
		perTime.set(time, (perTime.get(time) ?? 0) + 1);
	}

	assert.equal(perTime.size, geckoTicks, 'one time per tick');
	assert.deepEqual(new Set(perTime.values()), new Set([202]));
	await target.stop();
});
