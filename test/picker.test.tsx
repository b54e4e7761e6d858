// The process picker and its /proc scan, against real Python processes of this machine.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import path from 'node:path';
import {after, before, test} from 'node:test';
import {render} from 'ink-testing-library';
import {Fzf} from 'fzf';
import {highlightRuns, searchText} from '../components/picker/picker-columns.js';
import {Picker} from '../components/picker/picker.js';
import {TooSmall} from '../components/too-small.js';
import {type ProcessEntry, ProcessLister} from '../sampler/process-list.js';
import {debugPythons, delay, python, startPython, type PythonProcess, type TestPython} from './helpers.js';
import {keys, waitForFrame, writeWorkload} from './live-helpers.js';

const interpreters = ['3.11', '3.15'].map(version => python(version)).filter((found): found is TestPython => found !== undefined);
const targets: Array<{interpreter: TestPython; process: PythonProcess}> = [];

/** The folder of the targets' script: the second term of the filter, so other processes on a shared machine never match. */
let scriptFolder = '';

before(async () => {
	const script = writeWorkload();
	scriptFolder = path.basename(path.dirname(script));
	for (const interpreter of interpreters) {
		targets.push({interpreter, process: await startPython(interpreter, script)});
	}
});

after(async () => {
	for (const target of targets) {
		await target.process.stop();
	}
});

test('the lister finds each Python process with its exact version, and nothing that is not Python', () => {
	const lister = new ProcessLister();
	const entries = lister.list();
	for (const {interpreter, process} of targets) {
		const entry = entries.find(candidate => candidate.pid === process.pid);
		assert.ok(entry, `pid ${process.pid} listed`);
		assert.match(entry.version, new RegExp(`^${interpreter.version.replace('.', '\\.')}\\.\\d+$`));
		assert.match(entry.command, /^python3\.\d+ \S*live_workload\.py$/);
		assert.ok(entry.rssBytes > 1_000_000);
	}

	assert.ok(!entries.some(entry => entry.pid === process.pid), 'tachyon-top itself (node) is not offered');
	assert.ok(!entries.some(entry => entry.pid === 1 && !/python/.test(entry.command)), 'init is not Python');
});

test('CPU % comes from the second listing on: the busy workload shows CPU use', async () => {
	const lister = new ProcessLister();
	lister.list();
	await delay(700);
	const entry = lister.list().find(candidate => candidate.pid === targets[0]!.process.pid)!;
	// A busy loop; the floor is low because CI machines are loaded.
	assert.ok(entry.cpuPercent > 2, `cpu ${entry.cpuPercent}%`);
});

test('typing filters with fuzzy matching, ↓ selects, Enter picks that process', async t => {
	const picked: ProcessEntry[] = [];
	const view = render(<Picker lister={new ProcessLister()} onPick={entry => picked.push(entry)} onQuit={() => {}} refreshMs={300} />);
	t.after(() => {
		view.unmount();
	});
	await delay(100);
	const frame = () => view.lastFrame() ?? '';
	let shown = await waitForFrame(frame, text => targets.every(target => text.includes(String(target.process.pid))));
	assert.match(shown, /PID +USER +PYTHON +CPU% +RSS +UPTIME +COMMAND/);
	// Fuzzy: "lvwkld" is not a substring but matches live_workload in order; a second term must match too (AND).
	const query = `lvwkld ${scriptFolder}`;
	for (const char of query) {
		view.stdin.write(char);
		await delay(30);
	}

	shown = await waitForFrame(frame, text => text.includes(`> ${query}_`));
	const listed = shown.split('\n').filter(line => /^[› ] +\d+ /.test(line));
	assert.equal(listed.length, targets.length, shown);
	assert.deepEqual(listed.map(line => Number(/\d+/.exec(line)![0])).sort(), targets.map(target => target.process.pid).sort());
	const second = targets.at(-1)!.process.pid;
	const index = listed.findIndex(line => line.includes(` ${second} `));
	for (let step = 0; step < index; step++) {
		view.stdin.write(keys.down);
		await delay(50);
	}

	view.stdin.write(keys.enter);
	await delay(100);
	assert.equal(picked[0]?.pid, second);
	// A filter that matches nothing says so; Esc clears it.
	view.stdin.write('zzzzqqq');
	await waitForFrame(frame, text => text.includes('No process matches'));
	view.stdin.write(keys.escape);
	await waitForFrame(frame, text => text.includes('> _'));
});

test('the characters fzf matched are the ones highlighted in the command cell', () => {
	const entry: ProcessEntry = {pid: 4242, user: 'me', version: '3.11.2', cpuPercent: 1, rssBytes: 1e7, uptimeS: 5, command: 'python3 live_workload.py'};
	const [match] = new Fzf([entry], {selector: searchText}).find('wkld');
	assert.ok(match);
	const runs = highlightRuns(entry, match.positions, 40);
	assert.equal(runs.map(run => run.text).join(''), 'python3 live_workload.py'.padEnd(40));
	assert.equal(runs.filter(run => run.matched).map(run => run.text).join(''), 'wkld');
});

test('below 80×20 a clear "too small" screen', () => {
	const view = render(<TooSmall columns={70} rows={15} />);
	assert.match(view.lastFrame()!, /Terminal too small\n70×15; tachyon-top needs at least 80×20/);
	view.unmount();
});

test('3.8–3.10, which have no Py_Version word, are listed with their exact version (read from the runtime\'s memory)', async t => {
	const old = [...['3.8', '3.9', '3.10'].map(version => python(version)), debugPythons().find(candidate => candidate.version === '3.9')]
		.filter((found): found is TestPython => found !== undefined);
	if (old.length === 0) {
		t.skip('no 3.8–3.10 here');
		return;
	}

	const started: Array<{exact: string; process: PythonProcess}> = [];
	try {
		for (const interpreter of old) {
			const exact = execFileSync(interpreter.path, ['-c', 'import platform; print(platform.python_version())'], {encoding: 'utf8'}).trim();
			started.push({exact, process: await startPython(interpreter, 'names.py')});
		}

		const entries = new ProcessLister().list();
		for (const {exact, process} of started) {
			assert.equal(entries.find(candidate => candidate.pid === process.pid)?.version, exact, `pid ${process.pid}`);
		}
	} finally {
		await Promise.all(started.map(async ({process}) => process.stop()));
	}
});
