// The live view's dump screen on an asyncio program: every thread's stack, then each task's
// await chain (3.14+ from their task lists, 3.11–3.13 through asyncio's objects).
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {LiveView} from '../components/live-view.js';
import {LiveStore} from '../live/live-store.js';
import {delay, python, startPython, type TestPython} from './helpers.js';
import {keys, waitForFrame} from './live-helpers.js';

async function dumpScreen(interpreter: TestPython): Promise<string[]> {
	const target = await startPython(interpreter, 'async_tasks.py');
	const store = new LiveStore({pid: target.pid, intervalUs: 1000}).start();
	// A tall terminal is not available in ink-testing-library: scroll the dump and collect every page.
	const view = render(<LiveView store={store} onQuit={() => {}} />);
	try {
		await delay(300);
		view.stdin.write('d');
		const first = await waitForFrame(() => view.lastFrame(), text => text.includes('Stack dump for PID'));
		const pages = [first];
		const total = Number(/of (\d+) ·/.exec(first)?.[1] ?? 0);
		for (let scrolled = 0; scrolled < total; scrolled += 10) {
			view.stdin.write('\u001B[6~'); // Page Down
			await delay(50);
			pages.push(view.lastFrame() ?? '');
		}

		view.stdin.write(keys.escape);
		await delay(100);
		return pages;
	} finally {
		view.unmount();
		store.stop();
		await target.stop();
	}
}

test('3.15: the dump lists each asyncio task with its await chain after the threads', {skip: python('3.15') ? false : 'no Python 3.15'}, async () => {
	const pages = await dumpScreen(python('3.15')!);
	const all = pages.join('\n');
	assert.match(all, /Thread \d+ \(MainThread/);
	assert.match(all, /asyncio tasks \(\d+\)/);
	for (const name of ['worker-1', 'worker-2', 'sleeper']) {
		assert.match(all, new RegExp(`Task ${name} \\(thread \\d+\\)`), all);
	}

	assert.match(all, /<task> supervisor/);
});

test('3.11: the dump shows the threads, then the task section too', {skip: python('3.11') ? false : 'no Python 3.11'}, async () => {
	const all = (await dumpScreen(python('3.11')!)).join('\n');
	assert.match(all, /Thread \d+ \(MainThread/);
	assert.match(all, /in (busy_worker|cpu_leaf|spin|run_forever|_run_once|select)/);
	assert.match(all, /asyncio tasks \(3\)/);
	assert.match(all, /Task sleeper \(thread \d+\)/, all);
	assert.match(all, /<task> supervisor/);
});
