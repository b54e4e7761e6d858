// examples/workload.py, the README's example: it runs until stopped (long enough to find it in
// the picker and attach), or for the seconds given, and a Ctrl-C ends it without a traceback.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import path from 'node:path';
import {test} from 'node:test';
import {delay, root, testPythons} from './helpers.js';

const workload = path.join(root, 'examples', 'workload.py');
const py = testPythons()[0]!;

function start(args: string[]) {
	const child = spawn(py.path, [workload, ...args], {stdio: ['ignore', 'pipe', 'pipe']});
	let output = '';
	child.stdout.on('data', (data: Buffer) => {
		output += data.toString();
	});
	child.stderr.on('data', (data: Buffer) => {
		output += data.toString();
	});
	const exited = new Promise<number | null>(resolve => child.on('exit', code => {
		resolve(code);
	}));
	return {child, exited, output: () => output};
}

test('without arguments it runs until stopped; Ctrl-C ends it quietly', async () => {
	const {child, exited, output} = start([]);
	// The article's version ended after its 500 rounds, about 17 s; a few seconds show it goes on.
	await delay(4000);
	assert.equal(child.exitCode, null, `still running: ${output()}`);
	child.kill('SIGINT');
	assert.equal(await exited, 0);
	assert.match(output(), /^\[workload\] pid=\d+\n$/);
});

test('with SECONDS it stops by itself', async () => {
	const started = performance.now();
	const {exited, output} = start(['1.5']);
	assert.equal(await exited, 0, output());
	const took = (performance.now() - started) / 1000;
	assert.ok(took >= 1.5 && took < 30, `${took} s`);
});
