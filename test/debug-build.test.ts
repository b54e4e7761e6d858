// Debug builds (Debian's python3.Xd: Py_DEBUG, the `d` ABI) of 3.13–3.15 describe their own
// layout in _Py_DebugOffsets and are read like release builds: dump -a, attach (every output,
// from one --binary capture replayed) and the live store give the same stacks, names and lines.
// Bullseye's 3.9 and bookworm's 3.11 debug builds have the release builds' offsets
// (scripts/generate-struct-layouts.py gives the same tables; so does generate-async-layouts.py,
// whose tables --async-aware reads them with, tested here too) and are read with them; other
// 3.8–3.12 debug builds are refused with one line (none is installed here: that line is tested
// in test/unit/debug-build-refusal.test.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {LiveStore} from '../live/live-store.js';
import {attachCollapsed, debugPythons, delay, fixtures, minorOf, namesOn, parseCollapsed, runCli, shareOf, spinShare, startPython, tempDir, type PythonProcess} from './helpers.js';
import {assertEveryOutputOfNames} from './names-outputs.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

const pythons = debugPythons();
if (pythons.length === 0) {
	test('debug builds', {skip: 'no python3.Xd here (scripts/install-test-pythons.sh installs them from Debian sid)'}, () => {});
}

for (const python of pythons) {
	describe(`debug build of Python ${python.version}`, () => {
		test('dump -a: every thread, qualified names, lines and source', async () => {
			const target = await startPython(python, 'names.py');
			running.push(target);
			let result = await runCli(['dump', '-a', String(target.pid)]);
			for (let attempt = 0; attempt < 5 && !result.stdout.includes(`line 13, in ${namesOn(python, 'Outer.Inner.method.<locals>.closure')}`); attempt++) {
				result = await runCli(['dump', '-a', String(target.pid)]);
			}

			assert.equal(result.code, 0, result.stderr);
			assert.match(result.stdout, new RegExp(`Stack dump for PID ${target.pid} \\(Python ${python.version.replace('.', '\\.')}\\.\\d+`));
			const main = result.stdout.split('\n\n').find(section => section.startsWith(`Thread ${target.pid} `));
			assert.ok(main, result.stdout);
			const calls = [...main.matchAll(/File "[^"]*names\.py", line (\d+), in (\S+)/g)].map(match => `${match[2]}:${match[1]}`);
			assert.deepEqual(calls, [['<module>', 27], ['héllo_ünïcode', 22], ['Outer.Inner.method', 14], ['Outer.Inner.method.<locals>.closure', 13]].map(([name, line]) => `${namesOn(python, String(name))}:${line}`));
			assert.match(main, /\n {4}x \+= 1 {2}# spin here/);
			assert.match(result.stdout, /Thread \d+ \(sleepy, [^)]*\):\n(?:.*\n)*.*line 18, in sleeper\n/);
		});

		test('attach: collapsed stacks with the spinning closure; the live store ranks it first', async () => {
			const target = running.at(-1)!;
			const out = path.join(tempDir(), 'debug.txt');
			const {code, stderr} = await runCli(['attach', '-a', '-d', '1', '--collapsed', '-o', out, String(target.pid)]);
			assert.equal(code, 0, stderr);
			const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
			assert.ok(spinShare(python, stacks, 'names.py:<module>:27;names.py:héllo_ünïcode:22;names.py:Outer.Inner.method:14;') > 30, [...stacks.keys()].join('\n'));
			assert.ok(shareOf(stacks, 'names.py:sleeper:18') > 30, [...stacks.keys()].join('\n'));
			const store = new LiveStore({pid: target.pid, intervalUs: 1000, outputDir: tempDir()}).start();
			try {
				const deadline = Date.now() + 20_000;
				let seen = '';
				while (Date.now() < deadline) {
					const {rows, threads, status} = store.getSnapshot();
					seen = `${status}: ${rows.slice(0, 3).map(row => row.funcname).join(', ')}; threads ${threads.map(thread => thread.name).join(', ')}`;
					if (rows[0]?.funcname === namesOn(python, 'Outer.Inner.method.<locals>.closure') && threads.some(thread => thread.name === 'sleepy')) {
						break;
					}

					await delay(100);
				}

				assert.ok(seen.includes(`: ${namesOn(python, 'Outer.Inner.method.<locals>.closure')},`) && /threads .*sleepy/.test(seen), seen);
			} finally {
				store.stop();
			}
		});

		test('every output, from one --binary capture replayed: the closure at its line in each; the flame graph and heatmap carry its source', async () => {
			await assertEveryOutputOfNames(python, running.at(-1)!.pid, path.join(fixtures, 'names.py'));
		});

		if (minorOf(python) <= 12) {
			// 3.8–3.12 read asyncio's objects through generated offsets (sampler/layouts/async-3.X.json), found the same in the debug build.
			test('--async-aware: the busy workers running in spin; every task under supervisor and main', async () => {
				const file = 'async_tasks.py';
				const target = await startPython(python, file);
				running.push(target);
				const runningStacks = await attachCollapsed(['--async-aware', '--async-mode', 'running', String(target.pid)]);
				for (const worker of ['worker-1', 'worker-2']) {
					assert.ok(shareOf(runningStacks, `<task>:${worker}:0;${file}:busy_worker:20;${file}:cpu_leaf:14;${file}:spin:`) > 20, `${worker}\n${[...runningStacks.keys()].join('\n')}`);
				}

				const all = await attachCollapsed(['--async-aware', '--async-mode', 'all', String(target.pid)]);
				const chains = new Set([...all.keys()].filter(stack => !stack.includes('<task>:<no task>:0')).map(stack => stack.split(';').filter(frame => frame.startsWith('<task>:')).join(' > ')));
				assert.deepEqual(chains, new Set(['worker-1', 'worker-2', 'sleeper'].map(leaf => `<task>:Task-1:0 > <task>:supervisor:0 > <task>:${leaf}:0`)), [...all.keys()].join('\n'));
			});
		}
	});
}
