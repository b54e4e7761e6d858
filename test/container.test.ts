// A target in a container of its own (unshare: a mount and a PID namespace): its interpreter
// and script live at paths only it sees (a tmpfs over /mnt with the interpreter's prefix
// bound in), its PIDs are renumbered (it is PID 1 there). dump and attach must read its ELF and
// its sources through /proc/PID/root, name it by our PID with its own beside it, and report its
// threads by our thread ids. Every output comes from one --binary capture replayed to each
// format (its sources were read through /proc/PID/root while capturing); the live view shows
// the functions and the in-container PID.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {createElement} from 'react';
import {render} from 'ink-testing-library';
import {LiveView} from '../components/live-view.js';
import {LiveStore} from '../live/live-store.js';
import {delay, fixtures, namesOn, parseCollapsed, python, runCli, shareOf, spinShare, tempDir, type TestPython} from './helpers.js';
import {tableRows, waitForFrame} from './live-helpers.js';
import {assertEveryOutputOfNames} from './names-outputs.js';

const unshare = ['/usr/bin/unshare', '/bin/unshare'].find(candidate => fs.existsSync(candidate));
const asRoot = process.getuid?.() === 0;
const started: Array<{stop(): void}> = [];
after(() => {
	for (const contained of started) {
		contained.stop();
	}
});

/** The prefix a test Python lives under (PREFIX/usr/bin/pythonX.Y or PREFIX/bin/pythonX.Y). */
function prefixOf(py: TestPython): string {
	return path.dirname(path.dirname(py.path));
}

type Contained = {readonly pid: number; readonly inside: string; stop(): void};

/** Starts names.py in a new mount+PID namespace; resolves with the Python's PID (ours) once it is ready. */
async function startContained(py: TestPython): Promise<Contained> {
	const prefix = prefixOf(py);
	const inside = `/mnt/ttop-prefix/${path.relative(prefix, py.path)}`;
	const script = [
		'set -e',
		'mount -t tmpfs ttop /mnt',
		'mkdir -p /mnt/ttop-prefix /mnt/app',
		`mount --bind '${prefix}' /mnt/ttop-prefix`,
		`cp '${path.join(fixtures, 'names.py')}' /mnt/app/names.py`,
		`exec ${inside} /mnt/app/names.py`,
	].join('\n');
	const child = spawn(unshare!, ['--mount', '--pid', '--fork', '--mount-proc', 'bash', '-c', script], {stdio: ['ignore', 'pipe', 'pipe']});
	let output = '';
	child.stdout.on('data', (data: Buffer) => {
		output += data.toString();
	});
	child.stderr.on('data', (data: Buffer) => {
		output += data.toString();
	});
	const deadline = Date.now() + 60_000;
	while (!output.includes('ready')) {
		assert.ok(Date.now() < deadline && child.exitCode === null, `the contained Python did not get ready: ${output}`);
		await delay(50);
	}

	// unshare forked the namespace's first process (bash, which exec'd Python).
	const children = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
	assert.equal(children.length, 1, `unshare's children: ${children.join(' ')}`);
	const pid = children[0]!;
	const contained = {
		pid,
		inside,
		stop() {
			// The namespace's PID 1 ignores every signal it has no handler for, even from us,
			// but SIGKILL; killing unshare alone would leave it spinning.
			try {
				process.kill(pid, 'SIGKILL');
			} catch {
				// Already gone.
			}

			child.kill('SIGKILL');
		},
	};
	started.push(contained);
	return contained;
}

const skip = !asRoot ? 'needs root (unshare of mount and PID namespaces)' : (unshare ? false : 'no unshare here');
for (const version of ['3.9', '3.15']) {
	const py = python(version);
	describe(`Python ${version} in its own mount and PID namespace`, {skip: skip || (py ? false : `Python ${version} is not installed on this machine`)}, () => {
		let target: Contained | undefined;
		after(() => target?.stop());

		test('dump -a: named by our PID and its own, frames at its paths, source read through /proc/PID/root', async () => {
			target = await startContained(py!);
			assert.ok(!fs.existsSync('/mnt/app/names.py'), 'the script is at a path only the container has');
			let result = await runCli(['dump', '-a', String(target.pid)]);
			for (let attempt = 0; attempt < 5 && !result.stdout.includes('# spin here'); attempt++) {
				result = await runCli(['dump', '-a', String(target.pid)]);
			}

			assert.equal(result.code, 0, result.stderr);
			assert.match(result.stdout, new RegExp(`^Stack dump for PID ${target.pid} \\(PID 1 in its container\\) \\(Python ${version.replace('.', '\\.')}\\.\\d+: ${target.inside.replaceAll('.', '\\.')} /mnt/app/names\\.py\\)`));
			assert.ok(result.stdout.includes(`Thread ${target.pid} (MainThread`), `the main thread under our PID:\n${result.stdout}`);
			assert.ok(result.stdout.includes(`File "/mnt/app/names.py", line 13, in ${namesOn(py!, 'Outer.Inner.method.<locals>.closure')}\n    x += 1  # spin here`), result.stdout);
			assert.match(result.stdout, /File "\/mnt\/app\/names\.py", line 18, in sleeper\n {4}time\.sleep\(1000\) {2}# sleeping thread/);
			const tids = [...result.stdout.matchAll(/^Thread (\d+) /gm)].map(match => Number(match[1]));
			for (const tid of tids) {
				assert.ok(fs.existsSync(`/proc/${target.pid}/task/${tid}`), `thread ${tid} is one of ours: ${tids.join(', ')}`);
			}
		});

		test('attach: every thread by our thread ids; the heatmap shows the container\'s source', async () => {
			const table = await runCli(['attach', '-d', '1', String(target!.pid)]);
			assert.equal(table.code, 0, table.stderr);
			assert.match(table.stdout, new RegExp(`seconds from PID ${target!.pid} \\(PID 1 in its container\\) \\(Python ${version.replace('.', '\\.')}`));
			const dir = tempDir();
			const out = path.join(dir, 'stacks.txt');
			const collapsed = await runCli(['attach', '-a', '-d', '1.5', '--collapsed', '-o', out, String(target!.pid)]);
			assert.equal(collapsed.code, 0, collapsed.stderr);
			const stacks = parseCollapsed(fs.readFileSync(out, 'utf8'));
			const text = [...stacks.keys()].join('\n');
			assert.ok(spinShare(py!, stacks) > 30, text);
			assert.ok(shareOf(stacks, 'names.py:sleeper:18') > 30, text);
			for (const stack of stacks.keys()) {
				const tid = Number(/^tid:(\d+);/.exec(stack)?.[1]);
				assert.ok(fs.existsSync(`/proc/${target!.pid}/task/${tid}`), `thread ${tid} is one of ours`);
			}

			const heatmap = path.join(dir, 'heat');
			const result = await runCli(['attach', '-a', '-d', '1', '--heatmap', '-o', heatmap, String(target!.pid)]);
			assert.equal(result.code, 0, result.stderr);
			const pages = fs.readdirSync(heatmap).map(name => fs.readFileSync(path.join(heatmap, name), 'utf8'));
			assert.ok(pages.some(page => page.includes('# spin here')), 'the spinning line\'s source, read from inside the container');
		});

		test('every output, from one --binary capture replayed: the closure in each; the flame graph and heatmap carry its source', async () => {
			await assertEveryOutputOfNames(py!, target!.pid, '/mnt/app/names.py');
		});

		test('the live view: the functions, the target named by our PID with its own in its container, v the source', async () => {
			const store = new LiveStore({pid: target!.pid, intervalUs: 1000, outputDir: tempDir()}).start();
			const view = render(createElement(LiveView, {store, onQuit() {}}));
			try {
				const closure = namesOn(py!, 'Outer.Inner.method.<locals>.closure');
				// The name column cuts 3.11+'s long qualified name (`Outer.Inner.method.<locals…`).
				const shown = await waitForFrame(() => view.lastFrame() ?? '', text => text.includes(closure.slice(0, 24)) && text.includes('sleeper'), 60_000);
				assert.ok(store.getSnapshot().rows.some(row => row.funcname === closure), 'the closure by its whole name');
				assert.match(shown, new RegExp(`PID ${target!.pid} \\(PID 1 in its container\\) │ Python ${version.replace('.', '\\.')}\\.\\d+`), shown);
				assert.match(shown, /names\.py/, shown);
				// v on the closure: its source, read from inside the container.
				view.stdin.write('/closure\r');
				await waitForFrame(() => view.lastFrame() ?? '', text => tableRows(text).length === 1 && tableRows(text)[0]!.includes(closure.slice(0, 24)));
				view.stdin.write('v');
				await waitForFrame(() => view.lastFrame() ?? '', text => text.includes('x += 1  # spin here'), 30_000);
			} finally {
				view.unmount();
				store.stop();
			}
		});
	});
}
