// The live view (the Ink component, driven with ink-testing-library) on the versions read
// through generated tables and heap frames (3.8, 3.9, 3.10) and on debug builds (bullseye's
// 3.9d, sid's 3.15d): the table shows the workload's functions with their file and line, the
// header the exact version, and the numbers add up (each thread's function about half of the
// wall samples; in cpu mode the sleeper falls far behind the hot loop).
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import {render} from 'ink-testing-library';
import {LiveView} from '../components/live-view.js';
import {debugPythons, delay, missingVersions, python, type TestPython} from './helpers.js';
import {directShare, startLiveTarget, tableRows, waitForFrame, type LiveTarget} from './live-helpers.js';

const debugBuild = (version: string) => debugPythons().find(candidate => candidate.version === version);
const interpreters: Array<{label: string; interpreter: TestPython | undefined}> = [
	...['3.8', '3.9', '3.10'].map(version => ({label: version, interpreter: python(version)})),
	{label: '3.9 debug build', interpreter: debugBuild('3.9')},
	{label: '3.15 debug build', interpreter: debugBuild('3.15')},
];

for (const version of missingVersions(['3.8', '3.9', '3.10'])) {
	test(`live view on Python ${version}`, {skip: `no Python ${version} on this machine (pyenv or scripts/install-test-pythons.sh)`}, () => {});
}

for (const {label, interpreter} of interpreters) {
	if (!interpreter) {
		continue;
	}

	describe(`live view on Python ${label}`, () => {
		let target: LiveTarget;
		let view: ReturnType<typeof render>;
		const frame = () => view.lastFrame() ?? '';
		before(async () => {
			target = await startLiveTarget(interpreter);
			view = render(<LiveView store={target.store} onQuit={() => {}} />);
		});
		after(async () => {
			view.unmount();
			target.store.stop();
			await target.python.stop();
		});

		test('the table shows the workload\'s functions, the header the exact version', async () => {
			const shown = await waitForFrame(frame, text => text.includes('hot_loop_alpha') && text.includes('sleeper_beta'));
			assert.match(shown, new RegExp(`PID ${target.python.pid} │ Python ${interpreter.version.replace('.', '\\.')}\\.\\d+ `), shown);
			const rows = tableRows(shown);
			for (const name of ['hot_loop_alpha', 'sleeper_beta', 'worker', 'main']) {
				assert.match(rows.find(row => new RegExp(`\\b${name}\\b`).test(row)) ?? '', /live_workload\.py *$/, `${name}:\n${shown}`);
			}
		});

		test('L shows each function at its line', async () => {
			view.stdin.write('L');
			// hot_loop_alpha spins on lines 6–7 (for / total +=); sleeper_beta waits on line 13.
			const shown = await waitForFrame(frame, text => /hot_loop_alpha +\S*live_workload\.py:[67]\b/.test(text) && /sleeper_beta +\S*live_workload\.py:13\b/.test(text));
			// Rarely its entry (def, line 4), first or last line (5, 8): never outside its body.
			assert.ok(!/hot_loop_alpha +\S*live_workload\.py:(?![4-8]\b)\d+/.test(shown), `hot_loop_alpha at a line outside it:\n${shown}`);
			view.stdin.write('L');
			await waitForFrame(frame, text => /hot_loop_alpha +\S*live_workload\.py *\n/.test(text));
		});

		test('the numbers add up: two threads share the wall samples; in cpu mode the sleeper falls behind', async () => {
			// Enough samples for shares to mean something, however loaded the machine is.
			const deadline = Date.now() + 60_000;
			while (target.store.getSnapshot().totalSamples < 400 && Date.now() < deadline) {
				await delay(100);
			}

			const {totalSamples, rows} = target.store.getSnapshot();
			assert.ok(totalSamples >= 400, `samples ${totalSamples}`);
			const hot = directShare(target.store, 'hot_loop_alpha');
			const sleeper = directShare(target.store, 'sleeper_beta');
			assert.ok(hot > 20 && hot < 80, `hot_loop_alpha ${hot}% of wall samples`);
			assert.ok(sleeper > 20 && sleeper < 80, `sleeper_beta ${sleeper}% of wall samples`);
			for (const row of rows) {
				assert.ok(row.directSamples <= row.cumulativeSamples && row.cumulativeSamples <= totalSamples, JSON.stringify(row));
			}

			// m re-aggregates the same samples by CPU state: the sleeper's waits drop out.
			view.stdin.write('m');
			await waitForFrame(frame, text => text.includes(' CPU  │') && text.includes('hot_loop_alpha'));
			const cpu = {hot: directShare(target.store, 'hot_loop_alpha'), sleeper: directShare(target.store, 'sleeper_beta')};
			assert.ok(cpu.sleeper < sleeper / 2 && cpu.hot > hot, `cpu mode: hot_loop_alpha ${cpu.hot}% (wall ${hot}%), sleeper_beta ${cpu.sleeper}% (wall ${sleeper}%)`);
		});
	});
}
