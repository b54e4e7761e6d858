// examples/workload.py, the README's example: it runs until stopped (long enough to find it in
// the picker and attach), or for the seconds given, and a Ctrl-C ends it without a traceback.
// The README's first command (set up, then profile the example) is run as written, without stdin.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {delay, python, root, runCli, testPythons} from './helpers.js';

const workload = path.join(root, 'examples', 'workload.py');
const py = python('3.11') ?? testPythons()[0]!;

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

/** The shell blocks (```sh) of the README section under `heading`, each as its lines without comments. */
function readmeBlocks(heading: string): string[][] {
	const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
	const start = readme.indexOf(`\n${heading}\n`);
	assert.ok(start >= 0, `README has "${heading}"`);
	const section = readme.slice(start + heading.length + 2).split(/\n#{1,3} /)[0]!;
	return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map(match => match[1]!.split('\n').map(line => line.replace(/\s+#.*$/, '').trim()).filter(Boolean));
}

test('the README\'s first command sets up, then profiles the example and prints where its time went, with no stdin', {timeout: 180_000}, async () => {
	const [first] = readmeBlocks('## Try it');
	assert.equal(first?.length, 1, `one command: ${first?.join(' / ')}`);
	const match = /^npm install && npx tachyon-top (.+)$/.exec(first[0]!);
	assert.ok(match, first[0]);
	// npm install is what the clone had to run already; npx tachyon-top is the built command.
	const args = match[1]!.split(/\s+/);
	const {code, stdout, stderr} = await runCli(args, {env: {TACHYON_TOP_PYTHON: py.path}, timeoutMs: 150_000});
	assert.equal(code, 0, stderr);
	const seconds = Number(/Captured [\d,]+ samples in ([\d.]+) seconds/.exec(stdout)?.[1]);
	assert.ok(seconds >= 9 && seconds < 20, `the 10 seconds the README promises: ${stdout}`);
	for (const name of ['hot_hash', 'io_wait', 'hot_cpu']) {
		assert.match(stdout, new RegExp(`workload\\.py:\\d+\\(${name}\\)`), name);
	}

	assert.match(stdout, /Summary of Interesting Functions/);
	assert.doesNotMatch(stdout, /_tachyon_top_gate|sitecustomize/, 'nothing of tachyon-top\'s own start gate');
});

test('the README\'s test command is npm\'s, and npm test sets up what it needs first', () => {
	const [first] = readmeBlocks('### Run the tests');
	assert.deepEqual(first, ['npm install && npm test']);
	const scripts = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {scripts: Record<string, string>}).scripts;
	assert.match(scripts['pretest'] ?? '', /scripts\/setup\.sh/);
	assert.ok(scripts['test']);
});
