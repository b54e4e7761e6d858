// components/fast-output.ts assembles Ink's frames without Ink's per-cell grid. The frames it
// makes must show the same characters with the same colours in the same cells as Ink's own, for
// the UI's real components and for the layouts that must fall back to Ink (overlaps, clipping).
import assert from 'node:assert/strict';
import {test} from 'node:test';
import chalk from 'chalk';
import {Box, Text} from 'ink';
import {render} from 'ink-testing-library';
import type {ReactElement} from 'react';
import stringWidth from 'string-width';
import {frameCounts, enableFastOutput} from '../components/fast-output.js';
import {ExportMenu} from '../components/export-menu.js';
import {FunctionTable} from '../components/function-table/function-table.js';
import {Help} from '../components/help.js';
import {quickWidth} from '../components/text-width.js';
import type {FunctionRow} from '../exporters/function-stats.js';
import {exporters} from '../exporters/index.js';

/** Each visible cell of a frame as `character|active styles`, whatever escapes produced it. */
function cells(frame: string): string[][] {
	const rows: string[][] = [];
	const active = new Map<string, string>();
	for (const line of frame.split('\n')) {
		const row: string[] = [];
		for (const part of line.split(/(\u001B\[[\d;]*m)/)) {
			const codes = /^\u001B\[([\d;]*)m$/.exec(part);
			if (codes) {
				for (const code of codes[1]!.split(';').map(Number)) {
					applyCode(active, code);
				}

				continue;
			}

			for (const character of part) {
				row.push(`${character}|${[...active].map(([key, value]) => `${key}=${value}`).sort().join(',')}`);
			}
		}

		// Ink trims each line's trailing blanks; a styled blank is not trimmed by either.
		while (row.length > 0 && row.at(-1) === ' |') {
			row.pop();
		}

		rows.push(row);
	}

	return rows;
}

function applyCode(active: Map<string, string>, code: number): void {
	const off: Record<number, string[]> = {0: ['fg', 'bg', 'bold', 'dim', 'underline', 'inverse'], 22: ['bold', 'dim'], 24: ['underline'], 27: ['inverse'], 39: ['fg'], 49: ['bg']};
	const on: Record<number, string> = {1: 'bold', 2: 'dim', 4: 'underline', 7: 'inverse'};
	if (off[code]) {
		for (const key of off[code]) {
			active.delete(key);
		}
	} else if (on[code]) {
		active.set(on[code], '1');
	} else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) {
		active.set('fg', String(code));
	} else if ((code >= 40 && code <= 47) || (code >= 100 && code <= 107)) {
		active.set('bg', String(code));
	}
}

/** The last frame of `tree` drawn by Ink's own assembly and by ours. */
function bothWays(tree: ReactElement): {ink: string; fast: string; fastFrames: number} {
	enableFastOutput(false);
	const inkRender = render(tree);
	const ink = inkRender.lastFrame() ?? '';
	inkRender.unmount();
	enableFastOutput(true);
	const before = frameCounts.fast;
	const fastRender = render(tree);
	const fast = fastRender.lastFrame() ?? '';
	fastRender.unmount();
	return {ink, fast, fastFrames: frameCounts.fast - before};
}

function row(id: number, funcname: string, filename: string, samples: number): FunctionRow {
	return {
		id, funcname, filename, line: id * 10, synthetic: false, directSamples: samples, cumulativeSamples: samples * 2,
		directTimeUs: samples * 1000, cumulativeTimeUs: samples * 2000, callers: new Map(), callees: new Map(),
	};
}

const tableRows = [
	row(1, 'hot_loop_alpha', '/srv/app/workers/hot.py', 5000),
	row(2, '計算する関数', '/srv/app/数据/模块.py', 1234),
	row(3, 'Outer.Inner.method.<locals>.closure', '/very/long/path/that/will/not/fit/in/the/column/module.py', 77),
	row(4, '<GC>', '', 3),
];

const trees: Record<string, ReactElement> = {
	'the live table, a row selected (colours on)': <FunctionTable rows={tableRows} totalSamples={6314} sort='cumulative' selected={1} height={10} width={100} />,
	'help': <Help width={100} top={0} height={30} />,
	'the export menu (a bordered box)': <ExportMenu formats={Object.values(exporters)} width={100} selected={0} />,
	'a background box under text (overlap: Ink draws it)': (
		<Box backgroundColor='blue' width={30}><Text color='white'>on blue</Text><Text> and more</Text></Box>
	),
	'a clipped box (Ink draws it)': (
		<Box width={12} overflow='hidden'><Text wrap='truncate'>a line far wider than its box</Text></Box>
	),
	'side by side boxes with wide glyphs and styles': (
		<Box flexDirection='column'>
			<Box gap={2}><Text bold>名前</Text><Text color='cyan' underline>▼cumul</Text><Text dimColor>…/模块.py:3</Text></Box>
			<Box><Text inverse>› selected</Text><Text>{'   '}</Text><Text color='gray'>tail</Text></Box>
		</Box>
	),
};

for (const [name, tree] of Object.entries(trees)) {
	test(`same cells and colours as Ink's own assembly: ${name}`, () => {
		const level = chalk.level;
		chalk.level = 1;
		try {
			const {ink, fast} = bothWays(tree);
			assert.ok(ink.trim().length > 0, 'something is drawn');
			assert.deepEqual(cells(fast), cells(ink), `ours:\n${fast}\nInk's:\n${ink}`);
		} finally {
			chalk.level = level;
		}
	});
}

test('the live table takes the fast path; overlapping and clipped frames fall back to Ink', () => {
	assert.ok(bothWays(trees['the live table, a row selected (colours on)']!).fastFrames > 0);
	assert.equal(bothWays(trees['a background box under text (overlap: Ink draws it)']!).fastFrames, 0);
	assert.equal(bothWays(trees['a clipped box (Ink draws it)']!).fastFrames, 0);
});

test('quick widths agree with string-width, and leave everything else to it', () => {
	for (let code = 0x20; code < 0x3000; code++) {
		const character = String.fromCodePoint(code);
		const quick = quickWidth(character);
		if (quick !== undefined) {
			assert.equal(quick, stringWidth(character), `U+${code.toString(16)}`);
		}
	}

	assert.equal(quickWidth('\u001B[44m› hot_loop …/a.py:3 \u001B[49m'), 20);
	assert.equal(quickWidth('計算'), undefined);
	assert.equal(quickWidth('©'), undefined);
	assert.equal(quickWidth('🔥'), undefined);
});
