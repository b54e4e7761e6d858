// "Waiting for GIL" on every version: 3.15 says so in its thread state (tstate->gil_requested,
// what Tachyon reads); 3.11–3.14 do not, so a thread blocked in futex(2) on the GIL's condition
// variable or mutex is the one waiting. Threads that spin against each other wait; a thread
// blocked on another lock never does, one asleep hardly. Checked in gecko markers (as Tachyon writes
// them) and dump's status words.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {runCli, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

/** Per thread name: how long it was marked waiting for the GIL (ms), and the capture's length. */
function gilWaits(profile: Json): {waits: Map<string, number>; span: number} {
	const strings = profile['shared'].stringArray as string[];
	const waits = new Map<string, number>();
	let span = 0;
	for (const thread of profile['threads'] as Json[]) {
		const markers = thread['markers'] as Json;
		let total = 0;
		for (let index = 0; index < (markers['length'] as number); index++) {
			if (strings[markers['name'][index] as number] === 'Waiting for GIL') {
				total += (markers['endTime'][index] as number) - (markers['startTime'][index] as number);
			}
		}

		span = Math.max(span, (thread['samples'].time as number[]).at(-1) ?? 0);
		waits.set((thread['name'] as string).replace(/ \(\d+\)$/, ''), total);
	}

	return {waits, span};
}

for (const python of testPythons()) {
	describe(`waiting for the GIL on Python ${python.version}`, () => {
		test('gecko: spinning threads wait for the GIL, a thread blocked on a lock never, one asleep hardly', async () => {
			const target = await startPython(python, 'gil_contention.py');
			running.push(target);
			const file = path.join(tempDir(), 'gil.json');
			const result = await runCli(['attach', '-a', '-d', '2', '--gecko', '-o', file, String(target.pid)]);
			assert.equal(result.code, 0, result.stderr);
			const {waits, span} = gilWaits(JSON.parse(fs.readFileSync(file, 'utf8')) as Json);
			const summary = [...waits].map(([name, ms]) => `${name} ${ms.toFixed(0)} ms`).join(', ');
			const spinners = ['MainThread', 'spinner-0', 'spinner-1', 'spinner-2'];
			for (const name of spinners) {
				assert.ok((waits.get(name) ?? 0) > span / 50, `${name} waits for the GIL: ${summary} of ${span.toFixed(0)} ms`);
			}

			// Four threads share one GIL: together they wait three spans, ideally. A woken thread still
			// queued for a CPU shows as running, and the GIL is not handed round fairly (3.14 at load
			// 12: one spinner 187 ms of 1,986, another 857 ms), so each one's share varies a lot.
			const total = spinners.reduce((sum, name) => sum + (waits.get(name) ?? 0), 0);
			assert.ok(total > span / 2, `the spinners wait for the GIL: ${summary} of ${span.toFixed(0)} ms`);

			assert.equal(waits.get('idle-waiter'), 0, `blocked on an Event, not the GIL: ${summary}`);
			// The napper wakes once a second and then waits its turn: a little, at most.
			assert.ok((waits.get('napper') ?? 0) < span / 4, `asleep nearly all the time: ${summary}`);
		});

		test('dump -a says "waiting for GIL" of a spinner, never of the thread blocked on a lock', async () => {
			const target = await startPython(python, 'gil_contention.py');
			running.push(target);
			let waiting = 0;
			for (let attempt = 0; attempt < 10 && waiting === 0; attempt++) {
				const dump = await runCli(['dump', '-a', String(target.pid)]);
				assert.equal(dump.code, 0, dump.stderr);
				const headers = dump.stdout.split('\n').filter(line => line.startsWith('Thread '));
				waiting += headers.filter(line => /\((MainThread|spinner-\d)[^)]*waiting for GIL/.test(line)).length;
				assert.ok(headers.some(line => /\(idle-waiter, idle;/.test(line)), headers.join('\n'));
				assert.ok(!headers.some(line => /\(idle-waiter[^)]*waiting for GIL/.test(line)), headers.join('\n'));
			}

			assert.ok(waiting > 0, 'some spinner is seen waiting for the GIL');
		});
	});
}
