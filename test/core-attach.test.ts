// attach and run against real processes of every installed CPython: the profile holds the
// functions and lines it should, in Tachyon's collapsed format and pstats table.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {fixtures, namesOn, parseCollapsed, python, root, runCli, shareOf, spinShare, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

const collapsedLine = /^tid:\d+(;[^;\n]+)+ \d+$/;

for (const python of testPythons()) {
	describe(`attach on Python ${python.version}`, () => {
		test('collapsed stacks with qualified and non-ASCII names, PID anywhere', async () => {
			const target = await startPython(python, 'names.py');
			running.push(target);
			const out = path.join(tempDir(), 'names.txt');
			// The PID stands between flags, which Tachyon rejects.
			const {code, stderr} = await runCli(['attach', '--collapsed', String(target.pid), '-d', '1', '-o', out, '-a']);
			assert.equal(code, 0, stderr);
			const text = fs.readFileSync(out, 'utf8');
			for (const line of text.trimEnd().split('\n')) {
				assert.match(line, collapsedLine);
			}

			const stacks = parseCollapsed(text);
			assert.ok(spinShare(python, stacks, 'names.py:<module>:27;names.py:héllo_ünïcode:22;names.py:Outer.Inner.method:14;') > 30, `main thread spins: ${text}`);
			assert.ok(shareOf(stacks, 'names.py:sleeper:18') > 30, `-a includes the sleeping thread: ${text}`);
			assert.ok([...stacks.keys()].some(stack => stack.startsWith(`tid:${target.pid};`)), 'main thread is tid = pid');
		});

		test('<lambda>, <genexpr> and closures by their qualified names', async () => {
			const target = await startPython(python, 'lambdas.py');
			running.push(target);
			const out = path.join(tempDir(), 'lambdas.txt');
			const {code, stderr} = await runCli(['attach', String(target.pid), '--collapsed', '-o', out, '-d', '2']);
			assert.equal(code, 0, stderr);
			const text = fs.readFileSync(out, 'utf8');
			assert.match(text, new RegExp(namesOn(python, 'lambdas.py:make.<locals>.closure:').replaceAll('.', '\\.') + '\\d+'));
			assert.ok(text.includes(namesOn(python, 'lambdas.py:<lambda>:13;lambdas.py:<lambda>.<locals>.<genexpr>:13')), text);
			assert.ok(text.includes(namesOn(python, 'lambdas.py:gen:17;lambdas.py:gen.<locals>.<genexpr>:17')), text);
			await target.stop();
		});

		test('non-ASCII paths and a 1000-frame recursion come out exactly', async () => {
			const dir = path.join(tempDir(), 'ünï cödé');
			fs.mkdirSync(dir);
			const script = path.join(dir, 'dëëp.py');
			fs.copyFileSync(path.join(fixtures, 'deep.py'), script);
			const target = await startPython(python, script, ['1000']);
			running.push(target);
			const out = path.join(tempDir(), 'deep.txt');
			const {code, stderr} = await runCli(['attach', '-d', '1', '--collapsed', '-o', out, String(target.pid)]);
			assert.equal(code, 0, stderr);
			const [top] = [...parseCollapsed(fs.readFileSync(out, 'utf8'))].sort((a, b) => b[1] - a[1]);
			assert.ok(top, 'some samples');
			const frames = top[0].split(';').slice(1);
			assert.equal(frames.filter(frame => frame.startsWith('dëëp.py:recurse:')).length, 1001, 'recurse(1000) … recurse(0)');
			assert.equal(frames[0], 'dëëp.py:<module>:15');
			const dump = await runCli(['dump', String(target.pid)]);
			assert.ok(dump.stdout.includes(`File "${script}", line 12, in recurse`), dump.stdout.slice(0, 500));
			await target.stop();
		});

		test('a target that exits mid-capture loses nothing', async () => {
			// The target leaves (SIGUSR1 ends its loop) once the capture has a few hundred samples.
			const target = await startPython(python, 'short.py', ['600']);
			running.push(target);
			const out = path.join(tempDir(), 'short.txt');
			let told = false;
			const {code, stderr} = await runCli(['attach', '--realtime-stats', '--collapsed', '-o', out, String(target.pid)], {
				onStderr(_child, text) {
					const counts = [...text.matchAll(/ N=(\d+) /g)];
					if (!told && counts.length > 0 && Number(counts.at(-1)![1]) >= 300) {
						told = true;
						target.child.kill('SIGUSR1');
					}
				},
			});
			assert.equal(code, 0, stderr);
			assert.ok(told, stderr);
			const reported = new RegExp(`process ${target.pid} exited during sampling; the (\\d+) samples with Python frames`).exec(stderr);
			assert.ok(reported, stderr);
			const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
			assert.ok(shareOf(stacks, 'short.py:busy:') > 50, 'busy() was sampled until the end');
			const total = [...stacks.values()].reduce((a, b) => a + b, 0);
			assert.equal(total, Number(reported[1]), 'every sample taken is in the file');
			assert.ok(total > 100, `samples until it left, got ${total}`);
		});
	});
}

describe('run', () => {
	const py = python('3.11') ?? testPythons()[0]!;

	test('run script.py: pstats table with header, functions and lines', async () => {
		const {code, stdout, stderr} = await runCli(['run', '--python', py.path, '-d', '2', '-r', '2khz', path.join(root, 'examples', 'workload.py')]);
		assert.equal(code, 0, stderr);
		assert.match(stdout, /\[workload\] pid=\d+/, 'the script runs with its output');
		assert.match(stdout, /Captured [\d,]+ samples in [\d.]+ seconds/);
		assert.match(stdout, /Sample rate: [\d.]+ samples\/sec/);
		assert.match(stdout, /Error rate: [\d.]+%/);
		assert.doesNotMatch(stdout, /Missed samples: /);
		assert.match(stdout, /nsamples\s+sample%\s+tottime \((s|ms)\)\s+cumul%\s+cumtime \((s|ms)\)\s+filename:lineno\(function\)/);
		for (const name of ['hot_cpu', 'hot_hash', 'io_wait']) {
			assert.match(stdout, new RegExp(`^\\s+\\d+/\\d+\\s.*workload\\.py:\\d+\\(${name}\\)$`, 'm'), name);
		}

		assert.match(stdout, /workload\.py:13\(io_wait\)/, 'time.sleep line');
	});

	test('a 30 ms script is sampled from its first line, and its exit code is ours', async () => {
		// The script waits at its start gate until the sampler has read it, however slow our start-up.
		const out = path.join(tempDir(), 'quick.txt');
		const {code, stderr} = await runCli(['run', '--python', py.path, '--collapsed', '-o', out, path.join(fixtures, 'quick.py')]);
		assert.equal(code, 3, stderr);
		assert.ok(shareOf(parseCollapsed(fs.readFileSync(out, 'utf8')), 'quick.py:thirty_ms:') > 0, fs.readFileSync(out, 'utf8'));
	});

	test('the start gate leaves no trace in the profile, and still hands over to the interpreter\'s own sitecustomize', async () => {
		// A sitecustomize of the user's that takes ~100 ms runs inside the gate function (after the
		// sampler let the script go): those samples showed `sitecustomize.py:N(_tachyon_top_gate)` rows.
		const site = tempDir();
		const marker = path.join(site, 'ran');
		fs.writeFileSync(path.join(site, 'sitecustomize.py'), [
			'import time',
			'def slow_site_customize():',
			'    end = time.perf_counter() + 0.1',
			'    while time.perf_counter() < end:',
			'        pass',
			'slow_site_customize()',
			`open(${JSON.stringify(marker)}, 'w').close()`,
			'',
		].join('\n'));
		const out = path.join(tempDir(), 'gate.txt');
		const {code, stderr} = await runCli(['run', '--python', py.path, '--collapsed', '-o', out, path.join(fixtures, 'quick.py')], {env: {PYTHONPATH: site}});
		assert.equal(code, 3, stderr);
		assert.ok(fs.existsSync(marker), 'the user\'s sitecustomize ran');
		const collapsed = fs.readFileSync(out, 'utf8');
		assert.ok(shareOf(parseCollapsed(collapsed), 'quick.py:thirty_ms:') > 0, collapsed);
		assert.doesNotMatch(collapsed, /_tachyon_top_gate|sitecustomize|slow_site_customize/, collapsed);
	});

	test('a script ended by a signal: exit code 128 + the signal, output written', async () => {
		const out = path.join(tempDir(), 'killed.txt');
		const {code, stderr} = await runCli(['run', '--python', py.path, '--collapsed', '-o', out, path.join(fixtures, 'quick.py'), 'SIGKILL']);
		assert.equal(code, 128 + 9, stderr);
		assert.ok(fs.existsSync(out), stderr);
	});

	test('run -m with a module that does not exist fails with Python\'s own message', async () => {
		const {code, stderr} = await runCli(['run', '--python', py.path, '--collapsed', '-o', path.join(tempDir(), 'missing.txt'), '-m', 'no_such_module_here']);
		assert.notEqual(code, 0);
		assert.match(stderr, /no_such_module_here/);
	});

	test('run -m module with its own arguments', async () => {
		const out = path.join(tempDir(), 'module.txt');
		const {code, stderr} = await runCli(['run', '--python', py.path, '--collapsed', '-o', out, '-m', 'short', '0.8'], {cwd: fixtures});
		assert.equal(code, 0, stderr);
		assert.ok(shareOf(parseCollapsed(fs.readFileSync(out, 'utf8')), 'short.py:busy:') > 50);
	});

	test('Ctrl-C stops sampling and still writes the result', async () => {
		const target = await startPython(py, 'names.py');
		running.push(target);
		const out = path.join(tempDir(), 'interrupted.txt');
		let interrupted = false;
		const {code, stderr} = await runCli(['attach', '--realtime-stats', '--collapsed', '-o', out, String(target.pid)], {
			// Interrupt once it reports a second of sampling (its realtime stats line).
			onStderr(child, text) {
				if (!interrupted && /Stats: [\d.]+Hz/.test(text)) {
					interrupted = true;
					child.kill('SIGINT');
				}
			},
		});
		assert.ok(interrupted, stderr);
		assert.equal(code, 0, stderr);
		assert.ok(shareOf(parseCollapsed(fs.readFileSync(out, 'utf8')), 'closure') > 50);
		assert.equal(target.child.exitCode, null, 'the target runs on');
	});
});
