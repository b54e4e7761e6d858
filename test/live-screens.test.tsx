// The live view's deeper screens against real Python processes (3.11 and 3.15): the flame
// graph (rows and widths as the profile's shares, zoom and unzoom, highlight), the source
// screen (the function's lines with their counts, the hottest selected), and the recent
// window (a workload that switches phase shows the new phase on top in the window while the
// totals since the start still rank the old one first).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {render} from 'ink-testing-library';
import {LiveView} from '../components/live-view.js';
import {flameRows} from '../live/flame-data.js';
import {LiveStore} from '../live/live-store.js';
import {delay, fixtures, python, startPython, tempDir, type PythonProcess, type TestPython} from './helpers.js';
import {keys, startLiveTarget, tableRows, waitForFrame, workloadSource, type LiveTarget} from './live-helpers.js';

const versions = ['3.11', '3.15'].map(version => python(version)).filter((found): found is TestPython => found !== undefined);
/** ink-testing-library's terminal is 100 columns wide: bars span 99. */
const width = 99;

for (const interpreter of versions) {
	describe(`flame graph and source on Python ${interpreter.version}`, () => {
		let target: LiveTarget;
		let view: ReturnType<typeof render>;
		const frame = () => view.lastFrame() ?? '';
		const press = async (key: string) => {
			view.stdin.write(key);
			await delay(150);
		};

		before(async () => {
			target = await startLiveTarget(interpreter);
			view = render(<LiveView store={target.store} onQuit={() => undefined} />);
			await delay(100);
		});
		after(async () => {
			view.unmount();
			target.store.stop();
			await target.python.stop();
		});

		test('f draws the root on top and callees below, each bar within one cell of its share', async () => {
			await press('f');
			await press('p'); // Freeze, so the frame and the store's tree are the same samples.
			const shown = await waitForFrame(frame, text => text.includes('▏all') && text.includes('hot_loop_alpha') && text.includes('PAUSED'));
			const root = target.store.flame();
			const rows = flameRows(root, width, 40);
			const lines = shown.split('\n');
			const top = lines.findIndex(line => line.startsWith('▏all'));
			assert.ok(top > 0, shown);
			for (const [depth, row] of rows.slice(0, 8).entries()) {
				const line = lines[top + depth]!;
				for (const bar of row) {
					const share = (bar.frame.samples / root.samples) * width;
					assert.ok(Math.abs(bar.width - share) <= 1, `${bar.frame.funcname}: ${bar.width} columns for ${share.toFixed(2)}`);
					assert.equal([...line][bar.x], '▏', `row ${depth}: a bar starts at column ${bar.x}: ${line}`);
					if (bar.width > bar.frame.funcname.length + 1) {
						assert.equal(line.slice(bar.x + 1, bar.x + 1 + bar.frame.funcname.length), bar.frame.funcname, line);
					}
				}
			}

			// The callers are above their callees: main above hot_loop_alpha, worker above sleeper_beta.
			const rowOf = (name: string) => lines.findIndex(line => line.includes(`▏${name}`));
			assert.ok(rowOf('main') < rowOf('hot_loop_alpha'), shown);
			assert.ok(rowOf('worker') < rowOf('sleeper_beta'), shown);
			await press('p');
		});

		test('↓ → ↑ move between frames; Enter zooms (callers collapse into one line), Esc zooms out, then leaves', async () => {
			const pathTo = ['<module>', 'main', 'hot_loop_alpha'];
			// Down the widest callees to main's level, then along the row to the one we want.
			let shown = frame();
			for (const name of pathTo) {
				await press(keys.down);
				for (let step = 0; step < 6 && !selectedIs(frame(), name); step++) {
					await press(keys.right);
				}

				shown = await waitForFrame(frame, text => selectedIs(text, name));
			}

			assert.match(shown, /hot_loop_alpha +\S*live_workload\.py:\d+ │ \d+ samples │ self \d+\.\d% │ total \d+\.\d%/);
			await press(keys.enter);
			shown = await waitForFrame(frame, text => text.includes('zoomed: <module> › main › hot_loop_alpha'));
			// Zoomed: the function is the top row, the whole width.
			const topRow = shown.split('\n').find(line => line.startsWith('▏hot_loop_alpha'));
			assert.ok(topRow && !topRow.slice(1).includes('▏'), `one bar across the row: ${shown}`);
			assert.deepEqual(flameRows(target.store.flame().children.find(child => child.funcname === '<module>')!.children[0]!.children.find(child => child.funcname === 'hot_loop_alpha')!, width, 2)[0]!.map(bar => bar.width), [width]);
			await press(keys.up);
			await press(keys.escape);
			await waitForFrame(frame, text => text.includes('▏all') && !text.includes('zoomed:'));
			await press(keys.escape);
			await waitForFrame(frame, text => text.includes('▼direct') && tableRows(text).length > 0);
		});

		test('/ in the flame graph highlights the matches and gives their total share', async () => {
			await press('f');
			view.stdin.write('/sleeper\r');
			const shown = await waitForFrame(frame, text => /"sleeper": \d+\.\d%/.test(text));
			const share = Number(/"sleeper": (\d+\.\d)%/.exec(shown)![1]);
			const snapshot = target.store.getSnapshot();
			const row = snapshot.rows.find(entry => entry.funcname === 'sleeper_beta')!;
			assert.ok(Math.abs(share - ((row.cumulativeSamples / snapshot.totalSamples) * 100)) < 5, `${share}% vs the table's ${row.cumulativeSamples}/${snapshot.totalSamples}`);
			await press('c');
			await press(keys.escape);
		});

		test('v shows the function\'s source with per-line self and total samples, the hottest line selected; ↑/↓ move; Esc goes back', async () => {
			await waitForFrame(frame, text => text.includes('▼direct'));
			view.stdin.write('/hot_loop\r');
			await waitForFrame(frame, text => tableRows(text).length > 0 && tableRows(text).every(row => row.includes('hot_loop_alpha')));
			await press('p');
			await press('v');
			const shown = await waitForFrame(frame, text => text.includes('line    self   total'));
			const source = workloadSource.split('\n');
			const heat = target.store.heat(target.store.getSnapshot().rows[0]!.filename, 'hot_loop_alpha');
			const selected = shown.split('\n').find(line => line.startsWith('›'))!;
			const number = Number(/^› +(\d+)/.exec(selected)![1]);
			assert.equal(number, heat.hottest, selected);
			assert.ok(source[number - 1]!.includes('for i in range') || source[number - 1]!.includes('total += i * i'), `the hottest line is in the loop: ${source[number - 1]}`);
			for (const [line, counts] of heat.lines) {
				const text = shown.split('\n').find(entry => new RegExp(`^[› ] +${line} `).test(entry));
				if (text) {
					assert.match(text, new RegExp(`^[› ] +${line} +${counts.self} +${counts.total} `), text);
					assert.ok(text.includes(source[line - 1]!.trim()), `line ${line} shows its code: ${text}`);
				}
			}

			assert.ok([...heat.lines.values()].reduce((sum, counts) => sum + counts.self, 0) > 0);
			await press(keys.up);
			await waitForFrame(frame, text => new RegExp(`\\n› +${number - 1} `).test(text));
			await press(keys.escape);
			await press('p');
			await press('c');
			await waitForFrame(frame, text => text.includes('▼direct') && text.includes('sleeper_beta'));
		});
	});

	test(`w: a workload that switches phase shows the new phase on top in the window, the old one in the totals (Python ${interpreter.version})`, {timeout: 120_000}, async () => {
		const dir = tempDir('tachyon-top-window-');
		const script = path.join(dir, 'phases.py');
		const flag = path.join(dir, 'switch');
		fs.copyFileSync(path.join(fixtures, 'phases.py'), script);
		const python: PythonProcess = await startPython(interpreter, script, [flag]);
		const store = new LiveStore({pid: python.pid, intervalUs: 1000, outputDir: dir}).start();
		const view = render(<LiveView store={store} onQuit={() => undefined} />);
		const frame = () => view.lastFrame() ?? '';
		try {
			// A long old phase (8,000 samples), then the switch.
			await waitForFrame(frame, () => (store.getSnapshot().rows.find(row => row.funcname === 'old_phase')?.directSamples ?? 0) >= 8000, 90_000);
			fs.writeFileSync(flag, '');
			await delay(100);
			for (const key of 'WWW') {
				view.stdin.write(key);
				await delay(100);
			}

			let shown = await waitForFrame(frame, text => text.includes('WINDOW: last 5 s'));
			// Once the window holds only samples taken after the switch, new_phase is on top and old_phase is gone.
			await waitForFrame(frame, text => tableRows(text)[0]?.includes('new_phase') === true && !text.includes('old_phase'), 60_000);
			view.stdin.write('w');
			shown = await waitForFrame(frame, text => text.includes('window: since start') && tableRows(text)[0]?.includes('old_phase') === true, 5000);
			assert.match(shown, /new_phase/, 'the totals hold both phases');
		} finally {
			view.unmount();
			store.stop();
			await python.stop();
		}
	});
}

/** The flame status line names this frame (the selected one). */
function selectedIs(frame: string, name: string): boolean {
	const status = frame.split('\n').find(line => / │ \d+ samples │ self /.test(line));
	return status?.startsWith(`${name} `) === true || status?.startsWith(`${name}  `) === true;
}
