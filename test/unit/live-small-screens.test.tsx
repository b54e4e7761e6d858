// The live view's parts at the advertised minimum sizes, 80×24 and 80×20 (and wide, where the
// item is about width): the footer keeps help and quit, help scrolls instead of dropping keys,
// paths lose their middle not their file name, the dump keeps function names whole, and the
// "sampler falling behind" warning is never cut. No Python needed: the parts are fed literals.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {FunctionRow} from '../../exporters/function-stats.js';
import {DumpView} from '../../components/dump-view.js';
import {Footer} from '../../components/footer.js';
import {FunctionTable} from '../../components/function-table/function-table.js';
import {headerLines} from '../../components/header.js';
import {Help, helpLines, helpVisible} from '../../components/help.js';
import {stripColours, textWidth} from '../../components/text-width.js';
import type {LiveSnapshot} from '../../live/live-store.js';
import {renderAt, widestLine} from '../render-at.js';

const sizes = [[80, 24], [80, 20]] as const;
/** Lines the live view gives its screen at `rows`: header 3, message, footer, one spare. */
const bodyHeight = (rows: number) => rows - 6;

function row(id: number, funcname: string, filename: string, line: number, samples: number): FunctionRow {
	return {id, funcname, filename, line, synthetic: false, directSamples: samples, cumulativeSamples: samples, directTimeUs: samples * 1000, cumulativeTimeUs: samples * 1000, callers: new Map(), callees: new Map()};
}

function snapshot(overrides: Partial<LiveSnapshot> = {}): LiveSnapshot {
	return {
		pid: 4242, command: 'python3 /srv/app/service.py --port 8080', version: '3.15.0', status: 'sampling', message: undefined,
		elapsedS: 75, uptimeS: 3600, mode: 'wall', tid: undefined, threads: [], sort: 'direct', lines: false,
		window: {on: false, lengthS: 10, spanS: 10, available: true}, trends: {rate: [900, 950, 1000], cpu: [50, 60, 70], gil: [20, 30, 40]},
		unsavedS: 75, filter: '', paused: false, rows: [], functionCount: 12, rowsById: new Map(), totalSamples: 75_000,
		intervalUs: 1000, requestedHz: 1000, achievedHz: 812, errorPercent: 0.1, gilPercent: 35, cpuPercent: 64, gcPercent: 0.4,
		behind: true, opcodes: false, pauseUs: undefined, nativeStacks: {state: 'off'}, sequence: 1,
		...overrides,
	};
}

for (const [columns, rows] of sizes) {
	test(`${columns}×${rows}: the footer keeps "h/? help" and "q quit"`, () => {
		const view = renderAt(<Footer width={columns} subprocesses />, columns, rows);
		assert.match(view.lastFrame(), /h\/\? help +q quit/);
		assert.ok(widestLine(view.lastFrame()) <= columns - 1);
		view.unmount();
	});

	test(`${columns}×${rows}: help scrolls to every key instead of dropping lines`, () => {
		const height = bodyHeight(rows);
		const all = helpLines(false);
		const visible = helpVisible(height);
		assert.ok(all.length > visible, 'the help is longer than the screen');
		const seen = new Set<string>();
		for (let top = 0; top <= all.length - visible; top += visible) {
			const view = renderAt(<Help height={height} width={columns} top={top} />, columns, rows);
			const frame = view.lastFrame();
			assert.ok(frame.split('\n').length <= height, frame);
			assert.match(frame, /lines \d+–\d+ of \d+ · ↑\/↓ PgUp\/PgDn scroll/);
			for (const line of all) {
				if (line.keys && frame.includes(line.text.slice(0, 30))) {
					seen.add(line.text);
				}
			}

			view.unmount();
		}

		const last = renderAt(<Help height={height} width={columns} top={all.length} />, columns, rows);
		for (const line of all.slice(-visible)) {
			if (line.keys) {
				seen.add(line.text);
				assert.ok(last.lastFrame().includes(line.text.slice(0, 30)), `${line.keys} at the end: ${last.lastFrame()}`);
			}
		}

		last.unmount();
		assert.deepEqual([...seen].sort(), all.filter(line => line.keys).map(line => line.text).sort(), 'every key is reachable');
	});

	test(`${columns}×${rows}: files with the same name in different folders stay apart; the file name is never cut`, () => {
		const table = [
			row(1, 'io_wait', '/home/dev/projects/service/one/_workload.py', 8, 500),
			row(2, 'io_wait', '/home/dev/projects/service/two/_workload.py', 8, 400),
		];
		const view = renderAt(<FunctionTable rows={table} totalSamples={900} sort='direct' selected={0} height={bodyHeight(rows) - 1} width={columns} />, columns, rows);
		const lines = view.lastFrame().split('\n').filter(line => line.includes('io_wait'));
		assert.equal(lines.length, 2);
		assert.ok(lines.every(line => /_workload\.py:8$/.test(line.trimEnd())), lines.join('\n'));
		assert.match(lines[0]!, /one\/_workload\.py/);
		assert.match(lines[1]!, /two\/_workload\.py/);
		assert.ok(widestLine(view.lastFrame()) <= columns - 1);
		view.unmount();
	});

	test(`${columns}×${rows}: the dump view shortens paths, not function names`, () => {
		const frame = {filename: '/home/dev/projects/service/handlers/requests/very_long_module_name.py', funcname: 'RequestHandler.handle_incoming_request', line: 123, kind: 'python' as const};
		const dump = {pid: 4242, version: '3.15.0', command: ['python3'], threads: [{tid: 1, name: 'MainThread', status: 0, frames: [frame]}]};
		const view = renderAt(<DumpView dump={dump as never} width={columns} height={rows - 1} top={0} />, columns, rows);
		const line = view.lastFrame().split('\n').find(text => text.includes('File "'))!;
		assert.match(line, /^ {2}File "\S*…\S*\.py", line 123, in RequestHandler\.handle_incoming_request$/, line);
		assert.ok(textWidth(line) <= columns - 1);
		view.unmount();
	});
}

for (const columns of [80, 120, 200]) {
	test(`${columns} columns: "⚠ sampler falling behind" is never cut, and no header line is wider than the terminal`, () => {
		const lines = headerLines(snapshot(), columns).map(line => stripColours(line));
		assert.ok(lines[1]!.endsWith('⚠ sampler falling behind'), lines[1]);
		for (const line of lines) {
			assert.ok(textWidth(line) + (line.includes('⚠') ? 1 : 0) <= columns - 1, `${textWidth(line)}: ${line}`);
		}

		assert.match(lines[1]!, /^rate 812Hz \(81\.2%\) +[▁-█ ]+/, 'the rate and its trend come first');
	});
}
