// The live view's `n`: native stacks turned on while sampling (libz rows appear under the zlib
// workload, the header says "native on" and the pause per sample), off again (no native frame in
// the samples taken after), the key listed in help; the target runs on untraced afterwards.
// On 3.11 and 3.15, against the real --native-stacks workload.
import assert from 'node:assert/strict';
import path from 'node:path';
import {describe, test} from 'node:test';
import {render} from 'ink-testing-library';
import {LiveView} from '../components/live-view.js';
import {helpLines} from '../components/help.js';
import {LiveStore} from '../live/live-store.js';
import {startScriptBlocking} from '../source/commands/run.js';
import {delay, fixtures, runsOnNormally, tempDir, testPythons} from './helpers.js';
import {waitForFrame} from './live-helpers.js';

/** The store's rows of native frames from libz (file = the ELF's name, line 0). */
const libzRows = (store: LiveStore) => store.getSnapshot().rows.filter(row => row.filename.startsWith('libz.so') && row.line === 0);

test('help lists n, native stacks on/off', () => {
	const lines = helpLines(false);
	assert.ok(lines.some(line => line.keys === 'n' && line.text.startsWith('native stacks on/off')), lines.map(line => `${line.keys} ${line.text}`).join('\n'));
});

for (const py of testPythons().filter(candidate => ['3.11', '3.15'].includes(candidate.version))) {
	describe(`the live view's native stacks toggle on Python ${py.version}`, () => {
		test('n turns native stacks on (libz rows, pause shown), n again off (Python frames only); the target runs on untraced', {timeout: 240_000}, async t => {
			// Not this process's own child (libuv reaps its children's ptrace stops): started as run --live --native-stacks starts scripts.
			const target = await startScriptBlocking({target: [path.join(fixtures, 'native_stacks.py')], module: false, python: py.path}, true);
			const store = new LiveStore({pid: target.pid, intervalUs: 1000, outputDir: tempDir(), waitForRuntimeMs: 5000, gateFd: target.gateFd}).start();
			// Whatever happens (a failed wait, the test's timeout), the sampler and the script end.
			t.after(() => {
				store.stop();
				target.stop();
			});
			const view = render(<LiveView store={store} onQuit={() => undefined}/>);
			try {
				// Generous deadlines: a fresh store on a loaded machine took over 20 s to show its rows.
				await waitForFrame(() => view.lastFrame(), frame => frame.includes('squeeze'), 60_000);
				assert.equal(libzRows(store).length, 0, 'no native frames before n');
				assert.doesNotMatch(view.lastFrame() ?? '', /native on/);

				view.stdin.write('n');
				const on = await waitForFrame(() => view.lastFrame(), frame => frame.includes('native on') && / pause [\d.]+(µs|ms)\/sample/.test(frame) && libzRows(store).length > 0, 60_000);
				assert.match(on, /Native stacks on/, 'the message line says what n did');
				assert.ok(libzRows(store).some(row => /deflate/.test(row.funcname)), libzRows(store).map(row => row.funcname).join(', '));

				view.stdin.write('n');
				await waitForFrame(() => view.lastFrame(), frame => !frame.includes('native turning') && !frame.includes('native on'), 60_000);
				// The samples from now on: the Python frames only, squeeze itself the leaf again.
				store.reset();
				// The store itself, not the frame (which may still show the rows from before the reset).
				const squeezeLeaf = () => store.getSnapshot().rows.some(row => row.funcname === 'squeeze' && row.directSamples >= 20);
				for (const deadline = Date.now() + 60_000; !squeezeLeaf(); await delay(100)) {
					assert.ok(Date.now() < deadline, `squeeze never a leaf again: ${store.getSnapshot().rows.map(row => `${row.funcname} ${row.directSamples}`).join(', ')}`);
				}

				assert.equal(libzRows(store).length, 0, `native frames after n turned them off: ${libzRows(store).map(row => row.funcname).join(', ')}`);
				assert.equal(store.getSnapshot().nativeStacks.error, undefined);
			} finally {
				view.unmount();
				store.stop();
				await store.finished;
			}

			await runsOnNormally(target.pid);
		});
	});
}
