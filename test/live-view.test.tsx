// The live view against real Python processes (3.11 and 3.15), driven key by key with
// ink-testing-library: every key changes what the table shows in the way it should.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {render} from 'ink-testing-library';
import {LiveView} from '../components/live-view.js';
import {LiveStore} from '../live/live-store.js';
import {delay, python, startPython, tempDir, type TestPython} from './helpers.js';
import {directShare, keys, startLiveTarget, tableRows, waitForFrame, writeWorkload, type LiveTarget} from './live-helpers.js';
import {readPprof} from './pprof-helpers.js';

const versions = ['3.11', '3.15'].map(version => python(version)).filter((found): found is TestPython => found !== undefined);

for (const interpreter of versions) {
	describe(`live view on Python ${interpreter.version}`, () => {
		let target: LiveTarget;
		let view: ReturnType<typeof render>;
		let quits = 0;
		const press = async (key: string) => {
			view.stdin.write(key);
			await delay(150);
		};

		const frame = () => view.lastFrame() ?? '';
		before(async () => {
			target = await startLiveTarget(interpreter);
			view = render(<LiveView store={target.store} onQuit={() => quits++} />);
			await delay(100);
		});
		after(async () => {
			view.unmount();
			target.store.stop();
			await target.python.stop();
		});

		test('the table shows the hot functions with their file and line, one line per row', async () => {
			const shown = await waitForFrame(frame, text => text.includes('hot_loop_alpha') && text.includes('sleeper_beta'));
			assert.match(shown, new RegExp(`PID ${target.python.pid} │ Python ${interpreter.version.replace('.', '\\.')}`));
			assert.match(shown, /▼direct/);
			const rows = tableRows(shown);
			assert.ok(rows.length >= 3, shown);
			// Rows by function (py-spy top's default): the file without a line.
			assert.match(rows.find(row => row.includes('hot_loop_alpha'))!, /live_workload\.py *$/);
			assert.ok(rows[0]!.startsWith('›'), 'the first row is selected');
			for (const line of shown.split('\n')) {
				assert.ok(line.length <= 100, `line wider than the terminal: ${line}`);
			}
		});

		test('L shows rows per line (file:line) and back per function', async () => {
			await press('L');
			let shown = await waitForFrame(frame, text => /hot_loop_alpha +\S*live_workload\.py:\d+/.test(text));
			assert.match(shown, /lines \d+/);
			await press('L');
			shown = await waitForFrame(frame, text => /hot_loop_alpha +\S*live_workload\.py *\n/.test(text));
			assert.match(shown, /functions \d+/);
		});

		test('s and S cycle the sort order (one key per distinct order), and the rows follow it', async () => {
			await press('s');
			let shown = await waitForFrame(frame, text => text.includes('sort: cumulative') && text.includes('▼cumul'));
			// Cumulative order: the cumul column never grows down the table; the outermost frames (zero direct samples) are near the top.
			const cumulative = tableRows(shown).map(row => Number(/^[› ] +\d+ +(\d+)/.exec(row)![1]));
			assert.deepEqual(cumulative, cumulative.toSorted((a, b) => b - a), shown);
			assert.ok(tableRows(shown).slice(0, 4).some(row => /^[› ] +0 +\d+/.test(row)), shown);
			await press('s');
			await waitForFrame(frame, text => text.includes('sort: function') && text.includes('▼function'));
			const names = target.store.getSnapshot().rows.map(row => row.funcname);
			assert.deepEqual(names, names.toSorted((a, b) => a.localeCompare(b)), 'rows in function-name order');
			await press('S');
			await press('S');
			shown = await waitForFrame(frame, text => text.includes('sort: direct'));
			assert.match(tableRows(shown)[0]!, /hot_loop_alpha|sleeper_beta/);
		});

		test('m switches mode and re-aggregates: the sleeping thread counts far less in cpu and gil mode', async () => {
			const wallShare = directShare(target.store, 'sleeper_beta');
			assert.ok(wallShare > 20, `the sleeper is a large share of wall time (${wallShare}%)`);
			await press('m');
			await waitForFrame(frame, text => text.includes(' CPU  │') && text.includes('hot_loop_alpha'));
			const cpuShare = directShare(target.store, 'sleeper_beta');
			assert.ok(cpuShare < wallShare / 2, `cpu mode: sleeper ${cpuShare}% vs wall ${wallShare}%`);
			await press('m');
			await waitForFrame(frame, text => text.includes(' GIL  │') && text.includes('hot_loop_alpha'));
			const gilShare = directShare(target.store, 'sleeper_beta');
			assert.ok(gilShare < wallShare / 2, `gil mode: sleeper ${gilShare}% vs wall ${wallShare}%`);
			await press('m');
			const shown = await waitForFrame(frame, text => text.includes(' EXCEPTION  │'));
			assert.doesNotMatch(shown, /hot_loop_alpha/, 'nothing raises in the workload');
			await press('m');
			await waitForFrame(frame, text => text.includes(' WALL  │') && text.includes('sleeper_beta'));
		});

		test('t shows one thread, ←/→ cycle threads, t again shows all', async () => {
			await press('t');
			await waitForFrame(frame, text => /thread \d+ \S* ?\(1\/\d\)/.test(text));
			const oneThread = (text: string) => text.includes('hot_loop_alpha') !== text.includes('sleeper_beta');
			const shown = await waitForFrame(frame, oneThread);
			const firstHas = shown.includes('hot_loop_alpha') ? 'hot_loop_alpha' : 'sleeper_beta';
			await press(keys.right);
			await waitForFrame(frame, text => /\(2\/\d\)/.test(text) && oneThread(text) && !text.includes(firstHas));
			await press(keys.left);
			await waitForFrame(frame, text => /\(1\/\d\)/.test(text) && text.includes(firstHas));
			await press('t');
			await waitForFrame(frame, text => text.includes('thread ALL') && text.includes('hot_loop_alpha') && text.includes('sleeper_beta'));
		});

		test('/ filters as you type, Enter keeps it, c clears it', async () => {
			await press('/');
			for (const char of 'alpha') {
				await press(char);
			}

			await waitForFrame(frame, text => text.includes('Function filter: alpha_'));
			await press(keys.enter);
			const shown = await waitForFrame(frame, text => text.includes('filter: alpha (c clears)'));
			const rows = tableRows(shown);
			assert.ok(rows.length > 0 && rows.every(row => row.includes('hot_loop_alpha')), shown);
			await press('c');
			await waitForFrame(frame, text => !text.includes('filter: alpha') && text.includes('sleeper_beta'));
		});

		test('keys that arrive in one read each do what they would alone: "/sleeper⏎" filters, "c" clears, "jj" moves twice', async () => {
			view.stdin.write('/sleeper\r');
			const shown = await waitForFrame(frame, text => text.includes('filter: sleeper (c clears)'));
			assert.ok(tableRows(shown).every(row => row.includes('sleeper_beta')), shown);
			view.stdin.write('c');
			await waitForFrame(frame, text => !text.includes('filter: sleeper') && text.includes('hot_loop_alpha'));
			view.stdin.write('jj');
			await waitForFrame(frame, text => tableRows(text)[2]?.startsWith('›') === true);
			view.stdin.write('kk');
			await waitForFrame(frame, text => tableRows(text)[0]?.startsWith('›') === true);
		});

		test('↓ and Enter show the callers and callees of a row; Esc goes back', async () => {
			await press('/');
			for (const char of 'sleeper') {
				await press(char);
			}

			await press(keys.enter);
			await waitForFrame(frame, text => tableRows(text).length > 0 && tableRows(text).every(row => row.includes('sleeper_beta')));
			await press(keys.enter);
			const shown = await waitForFrame(frame, text => text.includes('Callers'));
			assert.match(shown, /Callers\n.*worker/);
			await press(keys.escape);
			await press('c');
			await waitForFrame(frame, text => text.includes('hot_loop_alpha'));
		});

		test('p freezes the display while sampling goes on; r resets', async () => {
			await press('p');
			const paused = await waitForFrame(frame, text => text.includes('PAUSED'));
			const rowsBefore = tableRows(paused).join('\n');
			const samplesBefore = target.store.profile.samples;
			await delay(600);
			assert.ok(target.store.profile.samples > samplesBefore, 'sampling went on');
			assert.equal(tableRows(frame()).join('\n'), rowsBefore, 'the rows stayed as they were');
			await press('p');
			await waitForFrame(frame, text => !text.includes('PAUSED') && tableRows(text).join('\n') !== rowsBefore);
			const total = target.store.getSnapshot().totalSamples;
			await press('r');
			await waitForFrame(frame, text => text.includes('Statistics reset'));
			assert.ok(target.store.getSnapshot().totalSamples < total, 'reset forgot the samples');
		});

		test('e then a letter writes that format from the samples so far, and shows its path', async () => {
			await press('e');
			let shown = await waitForFrame(frame, text => text.includes('Export what was sampled so far'));
			assert.match(shown, /collapsed/);
			assert.match(shown, /pstats/);
			await press('c');
			shown = await waitForFrame(frame, text => text.includes('Wrote collapsed to'));
			const file = path.join(target.dir, `collapsed_${target.python.pid}.txt`);
			assert.ok(shown.includes(`collapsed_${target.python.pid}.txt`), shown);
			assert.match(fs.readFileSync(file, 'utf8'), /hot_loop_alpha/);
			await press('e');
			await waitForFrame(frame, text => text.includes('Export what was sampled so far'));
			await press('f');
			await waitForFrame(frame, text => text.includes('Wrote flamegraph to'));
			assert.match(fs.readFileSync(path.join(target.dir, `flamegraph_${target.python.pid}.html`), 'utf8'), /hot_loop_alpha/);
			// pstats took p: pprof is r.
			await press('e');
			await waitForFrame(frame, text => text.includes('Export what was sampled so far') && / r pprof /.test(text));
			await press('r');
			await waitForFrame(frame, text => text.includes('Wrote pprof to'));
			const pprof = readPprof(path.join(target.dir, `profile_${target.python.pid}.pb.gz`));
			assert.ok(pprof.samples.some(sample => sample.frames.some(entry => entry.name === 'hot_loop_alpha')));
			assert.equal(target.store.getSnapshot().status, 'sampling', 'exporting did not stop sampling');
		});

		test('every format of the registry exports from the live profile; diff-flamegraph asks for a baseline', async () => {
			const {exporters} = await import('../exporters/index.js');
			for (const format of Object.values(exporters)) {
				if (format.id === 'diff-flamegraph') {
					continue;
				}

				const written = target.store.exportTo(format).path;
				const size = fs.statSync(written).isDirectory() ? fs.readdirSync(written).length : fs.statSync(written).size;
				assert.ok(size > 0, `${format.id}: ${written} is empty`);
			}

			const baseline = path.join(target.dir, `binary_${target.python.pid}.bin`);
			assert.ok(fs.existsSync(baseline), fs.readdirSync(target.dir).join(', '));
			// A baseline that is not there: the failure is said, then clears by itself (it used to stay).
			await press('e');
			await waitForFrame(frame, text => text.includes('Export what was sampled so far'));
			await press('d');
			await waitForFrame(frame, text => text.includes('Baseline binary profile for the diff'));
			view.stdin.write(path.join(target.dir, 'no-such-baseline.bin'));
			await delay(100);
			await press(keys.enter);
			await waitForFrame(frame, text => text.includes('Export failed: No such baseline file'));
			await waitForFrame(frame, text => !text.includes('Export failed') && text.includes('▼'), 30_000);
			await press('e');
			await waitForFrame(frame, text => text.includes('Export what was sampled so far'));
			await press('d');
			await waitForFrame(frame, text => text.includes('Baseline binary profile for the diff'));
			view.stdin.write(baseline);
			await delay(100);
			await press(keys.enter);
			await waitForFrame(frame, text => text.includes('Wrote diff-flamegraph to'));
			assert.match(fs.readFileSync(path.join(target.dir, `diff_flamegraph_${target.python.pid}.html`), 'utf8'), /hot_loop_alpha/);
		});

		test('d shows a stack dump of every thread; Esc goes back', async () => {
			await press('d');
			const shown = await waitForFrame(frame, text => text.includes('Stack dump for PID'));
			assert.match(shown, /Thread \d+ \(MainThread, /);
			assert.match(shown, /in hot_loop_alpha|in sleeper_beta/);
			assert.match(shown, /in worker/);
			await press(keys.escape);
			await waitForFrame(frame, text => text.includes('▼') && text.includes('hot_loop_alpha'));
		});

		test('h opens the help and any key closes it; q quits', async () => {
			await press('h');
			const shown = await waitForFrame(frame, text => text.includes('tachyon-top keys'));
			assert.match(shown, /move the selection up/);
			assert.doesNotMatch(shown, /\nq +quit/, '24 lines do not hold every key');
			// The help scrolls to the last ones rather than dropping them.
			await press('\u001B[6~');
			await press('\u001B[6~');
			await waitForFrame(frame, text => /\nq +quit/.test(text) && !text.includes('move the selection up'));
			await press('x');
			await waitForFrame(frame, text => !text.includes('tachyon-top keys') && text.includes('▼'));
			await press('?');
			await waitForFrame(frame, text => text.includes('tachyon-top keys'));
			await press(' ');
			await press('q');
			assert.equal(quits, 1);
		});

		test('when the target exits the view says so, keeps the rows and still exports', async () => {
			await target.python.stop();
			const shown = await waitForFrame(frame, text => text.includes('exited: data kept'), 20_000);
			assert.match(shown, /hot_loop_alpha/);
			await press('e');
			await waitForFrame(frame, text => text.includes('Export what was sampled so far'));
			await press('p');
			const wrote = await waitForFrame(frame, text => text.includes('Wrote pstats to'));
			// An earlier test wrote pstats_PID.pstats: this one did not overwrite it, it took a suffix, and says where (absolutely).
			const written = /Wrote pstats to (\S+)/.exec(wrote)![1]!;
			assert.equal(written, path.join(target.dir, `pstats_${target.python.pid}_1.pstats`));
			assert.match(fs.readFileSync(written, 'utf8'), /hot_loop_alpha/);
		});
	});
}

test('the header\'s "up" is the process\'s age, as in top; the sampling time is shown apart', async () => {
	const interpreter = versions[0]!;
	const dir = tempDir('tachyon-top-uptime-');
	const python = await startPython(interpreter, writeWorkload(dir));
	await delay(3000);
	const store = new LiveStore({pid: python.pid, intervalUs: 1000, outputDir: dir}).start();
	const view = render(<LiveView store={store} onQuit={() => undefined} />);
	try {
		const shown = await waitForFrame(() => view.lastFrame() ?? '', text => /sampled \dm\d\ds/.test(text) && text.includes('hot_loop_alpha'));
		const seconds = (text: string) => Number(text.slice(0, -1).split('m')[0]) * 60 + Number(text.slice(0, -1).split('m')[1]);
		const up = seconds(/ up (\d+m\d\ds) │/.exec(shown)![1]!);
		const sampled = seconds(/sampled (\d+m\d\ds)/.exec(shown)![1]!);
		assert.ok(up >= 3, `the process is at least 3 s old: ${shown.split('\n')[0]}`);
		assert.ok(up >= sampled + 2, `up ${up} s vs sampled ${sampled} s`);
	} finally {
		view.unmount();
		store.stop();
		await python.stop();
	}
});
