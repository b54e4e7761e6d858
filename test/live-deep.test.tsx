// The live view's deeper parts against real Python processes: --opcodes puts the selected
// function's opcode mix under the table, --subprocesses lists the target and its Python
// children and [ / ] switch which one the table (and `e`) shows.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {render} from 'ink-testing-library';
import {LiveView} from '../components/live-view.js';
import {exporters} from '../exporters/index.js';
import {OpcodePanel} from '../components/opcode-panel.js';
import {LiveProcesses, liveFollower} from '../live/live-processes.js';
import {LiveStore} from '../live/live-store.js';
import {delay, python, startPython, tempDir, type PythonProcess} from './helpers.js';
import {tableRows, waitForFrame} from './live-helpers.js';
import {readPprof} from './pprof-helpers.js';

const py315 = python('3.15');

describe('opcode panel (--opcodes)', {skip: py315 ? false : 'needs Python 3.15'}, () => {
	let target: PythonProcess;
	let store: LiveStore;
	let view: ReturnType<typeof render>;
	const frame = () => view.lastFrame() ?? '';
	before(async () => {
		target = await startPython(py315!, 'arith.py');
		store = new LiveStore({pid: target.pid, intervalUs: 1000, opcodes: true, outputDir: tempDir('tachyon-top-deep-')}).start();
		view = render(<LiveView store={store} onQuit={() => undefined} />);
		await delay(100);
	});
	after(async () => {
		view.unmount();
		store.stop();
		await target.stop();
	});

	test('the selected function\'s opcode mix is listed under the table, the specialised add marked', async () => {
		// A few hundred samples, so the first ones (before the loop was specialised) weigh little.
		const shown = await waitForFrame(frame, text => /BINARY_OP_ADD_INT \(BINARY_OP\) +\d+\.\d%/.test(text) && Number(/ ─── │ (\d+) samples/.exec(text)?.[1] ?? 0) >= 300, 20_000);
		assert.ok(tableRows(shown)[0]!.includes('add_loop'), `add_loop is the selected row:\n${shown}`);
		assert.match(shown, /─── Opcodes for add_loop\(\) \(arith\.py\) ─── │ \d+ samples │ \* specialised/);
		const line = shown.split('\n').find(text => text.includes('BINARY_OP_ADD_INT'))!;
		assert.match(line, /^ █+░* \* BINARY_OP_ADD_INT \(BINARY_OP\) +\d+\.\d% +\(\d+\)$/, line);
		// The loop body is additions: they take most of the function's samples.
		const share = Number(/(\d+\.\d)%/.exec(line)![1]);
		assert.ok(share > 40, `BINARY_OP_ADD_INT share ${share}%`);
		const panelRows = shown.split('\n').filter(text => /^ [█░]{20} /.test(text));
		assert.ok(panelRows.length >= 1 && panelRows.length <= 8, shown);
		const lines = shown.split('\n');
		assert.ok(lines.length <= 23, `the view fits 24 rows less one: ${lines.length} lines`);
		for (const text of lines) {
			assert.ok(text.length <= 100, `line wider than the terminal: ${text}`);
		}
	});

	test('the mix is the store\'s count of the function\'s leaf samples, opcode by opcode', async () => {
		const row = store.getSnapshot().rows.find(candidate => candidate.funcname === 'add_loop')!;
		assert.equal(path.basename(row.filename), 'arith.py');
		let mix = store.opcodeMix(row.filename, 'add_loop');
		for (const deadline = Date.now() + 10_000; mix.total < 300 && Date.now() < deadline;) {
			await delay(100);
			mix = store.opcodeMix(row.filename, 'add_loop');
		}

		assert.equal(mix.version.slice(0, 4), '3.15');
		assert.ok(mix.total >= 300, `samples with an opcode: ${mix.total}`);
		assert.ok(mix.counts.some(entry => entry.samples > mix.total / 3), 'one opcode (the add) takes a large share');
		assert.equal(mix.counts.reduce((sum, entry) => sum + entry.samples, 0), mix.total);
		const other = store.opcodeMix('/nowhere.py', 'add_loop');
		assert.equal(other.total, 0, 'another file\'s function of the same name has no samples');
	});
});

test('the panel lists at most its rows, then "… and N more"; without opcodes it says it waits', () => {
	const counts = Array.from({length: 11}, (_, index) => ({opcode: index + 1, samples: 100 - index}));
	const total = counts.reduce((sum, entry) => sum + entry.samples, 0);
	const {lastFrame, unmount} = render(<OpcodePanel func={{filename: '/x/y.py', funcname: 'f'}} mix={{version: '3.15', counts, total}} rows={8} width={100} />);
	const lines = (lastFrame() ?? '').split('\n');
	unmount();
	assert.equal(lines.length, 10, lines.join('\n'));
	assert.match(lines[0]!, /^─── Opcodes for f\(\) \(y\.py\) ───/);
	assert.match(lines.at(-1)!, /… and 3 more opcodes/);
	assert.match(lines[1]!, / 9\.6% +\(100\)$/);
	const empty = render(<OpcodePanel func={undefined} mix={undefined} rows={8} width={100} />);
	assert.match(empty.lastFrame() ?? '', /waiting for samples/);
	empty.unmount();
});

const multiprocPython = python('3.15') ?? python('3.13') ?? python('3.11');

describe('process switching (--subprocesses)', {skip: multiprocPython ? false : 'needs a test Python'}, () => {
	let target: PythonProcess;
	let store: LiveStore;
	let processes: LiveProcesses;
	let view: ReturnType<typeof render>;
	const dir = tempDir('tachyon-top-deep-');
	const frame = () => view.lastFrame() ?? '';
	before(async () => {
		target = await startPython(multiprocPython!, 'multiproc.py', ['120']);
		const follower = liveFollower(target.pid, {intervalUs: 1000, outputDir: dir});
		store = new LiveStore({pid: target.pid, intervalUs: 1000, outputDir: dir, follower}).start();
		processes = new LiveProcesses(store, follower, {intervalUs: 1000, outputDir: dir});
		view = render(<LiveView store={store} processes={processes} onQuit={() => undefined} />);
		await delay(100);
	});
	after(async () => {
		view.unmount();
		processes.stop();
		await target.stop();
	});

	test('the header counts the target and its Python children; the footer offers ]', async () => {
		const shown = await waitForFrame(frame, text => /process 1\/([3-9]) │ PID/.test(text) && text.includes('parent_wait'), 30_000);
		assert.match(shown, new RegExp(`process 1/\\d │ PID ${target.pid} `));
		assert.match(shown, /\] process/);
	});

	test('] shows a worker\'s own functions, e exports that worker, [ comes back to the parent', async () => {
		const count = processes.getSnapshot().stores.length;
		let worker: number | undefined;
		for (let step = 1; step < count && worker === undefined; step++) {
			view.stdin.write(']');
			const pid = processes.getSnapshot().stores[step]!.pid;
			// A worker's first seconds go to starting Python (imports, on a loaded machine many): give its own function time to come.
			const shown = await waitForFrame(frame, text => text.includes(`process ${step + 1}/${count} │ PID ${pid} `), 5000);
			const rows = await waitForFrame(frame, text => text.includes('worker_busy'), 15_000).catch(() => shown);
			if (rows.includes('worker_busy')) {
				worker = pid;
				assert.doesNotMatch(rows, /parent_wait/, 'a worker\'s table holds only the worker');
			}
		}

		assert.ok(worker !== undefined, `no process showed worker_busy:\n${frame()}`);
		view.stdin.write('e');
		await waitForFrame(frame, text => text.includes('Export what was sampled so far'));
		await delay(150); // The menu listens for keys from its first effect on.
		view.stdin.write('c');
		await waitForFrame(frame, text => text.includes(`collapsed_${worker}.txt`));
		const exported = fs.readFileSync(path.join(dir, `collapsed_${worker}.txt`), 'utf8');
		assert.match(exported, /worker_busy/);
		assert.doesNotMatch(exported, /parent_wait/);
		// pprof from one of several processes labels its samples with that process's pid.
		const pprofFile = processes.getSnapshot().store.exportTo(exporters.pprof).path;
		assert.ok(readPprof(pprofFile).samples.every(sample => sample.labels['pid'] === String(worker)), pprofFile);

		const index = processes.getSnapshot().index;
		for (let step = 0; step < index; step++) {
			view.stdin.write('[');
			await delay(150);
		}

		const back = await waitForFrame(frame, text => text.includes('process 1/') && text.includes('parent_wait'), 5000);
		assert.match(back, new RegExp(`PID ${target.pid} `));
		assert.doesNotMatch(tableRows(back).join('\n'), /worker_busy/);
	});
});
