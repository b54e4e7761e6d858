// dump against real processes of every installed CPython: threads, status, qualified and
// non-ASCII names, exact lines and source, and a 1000-frame recursion.
import assert from 'node:assert/strict';
import {after, describe, test} from 'node:test';
import {missingVersions, namesOn, runCli, startPython, testPythons, type PythonProcess} from './helpers.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

for (const version of missingVersions(['3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14', '3.15'])) {
	test(`dump on Python ${version}`, {skip: `Python ${version} is not installed on this machine`}, () => {});
}

for (const python of testPythons()) {
	describe(`dump on Python ${python.version}`, () => {
		test('every thread, with names, status, lines and source', async () => {
			const target = await startPython(python, 'names.py');
			running.push(target);
			// One dump is one instant: the spin loop spans lines 12–13, so dump until it is caught
			// on its body (line 13) to check that line and its source exactly.
			let result = await runCli(['dump', '-a', String(target.pid)]);
			for (let attempt = 0; attempt < 5 && !result.stdout.includes(`line 13, in ${namesOn(python, 'Outer.Inner.method.<locals>.closure')}`); attempt++) {
				result = await runCli(['dump', '-a', String(target.pid)]);
			}

			const {code, stdout, stderr} = result;
			assert.equal(code, 0, stderr);
			assert.match(stdout, new RegExp(`Stack dump for PID ${target.pid} \\(Python ${python.version.replace('.', '\\.')}\\.\\d+`));
			const sections = stdout.split('\n\n');
			const main = sections.find(section => section.startsWith(`Thread ${target.pid} `));
			assert.ok(main, stdout);
			assert.match(main, /^Thread \d+ \(MainThread, /);
			// Most recent call last: module, then héllo_ünïcode, method, closure spinning on line 13.
			const calls = [...main.matchAll(/File "[^"]*names\.py", line (\d+), in (\S+)/g)].map(match => `${match[2]}:${match[1]}`);
			assert.deepEqual(calls, ['<module>:27', 'héllo_ünïcode:22', 'Outer.Inner.method:14', 'Outer.Inner.method.<locals>.closure:13'].map(call => namesOn(python, call.split(':')[0]!) + ':' + call.split(':')[1]!));
			assert.match(main, /\n {4}x \+= 1 {2}# spin here/);
			const sleeper = sections.find(section => section.includes('in sleeper'));
			assert.ok(sleeper, stdout);
			assert.match(sleeper, /^Thread \d+ \([^)]*idle/);
			assert.match(sleeper, /File "[^"]*names\.py", line 18, in sleeper\n {4}time\.sleep\(1000\) {2}# sleeping thread/);
			assert.match(sleeper, new RegExp(`threading\\.py", line \\d+, in ${namesOn(python, 'Thread._bootstrap_inner').replace('.', '\\.')}`));
		});

		test('without -a only the main thread', async () => {
			const target = running.at(-1)!;
			const {stdout} = await runCli(['dump', String(target.pid)]);
			assert.equal(stdout.match(/^Thread /gm)?.length, 1, stdout);
			assert.ok(stdout.includes(`in ${namesOn(python, 'Outer.Inner.method.<locals>.closure')}\n`), stdout);
		});

		test('a recursion 1000 frames deep comes out whole', async () => {
			const target = await startPython(python, 'deep.py', ['1000']);
			running.push(target);
			const {code, stdout, stderr} = await runCli(['dump', String(target.pid)]);
			assert.equal(code, 0, stderr);
			const frames = [...stdout.matchAll(/, in recurse\n/g)].length;
			assert.equal(frames, 1001, 'recurse(1000) … recurse(0)');
			// 3.11–3.13 attribute the spin loop's backward jump to `while True:`, 3.14+ to `pass`.
			assert.match(stdout, /line (10, in recurse\n {4}while True:|11, in recurse\n {4}pass {2}# bottom)\n$/);
			await target.stop();
		});
	});
}
