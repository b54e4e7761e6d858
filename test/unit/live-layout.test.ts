// The live table's layout: rows fit the terminal exactly at every width (a row one column too
// wide makes Ink wrap it on every frame), cells are exactly their column's width, wide glyphs count double.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import stringWidth from 'string-width';
import {cursorWidth, headingCells, layoutColumns} from '../../components/function-table/columns.js';
import {fit, fitEnd, formatCount, formatDuration, formatSeconds} from '../../components/format.js';
import {shortenPath} from '../../components/names.js';

test('the columns never add up to more than the terminal width minus one', () => {
	for (let width = 80; width <= 250; width++) {
		const columns = layoutColumns(width);
		const total = cursorWidth + columns.reduce((sum, column) => sum + column.width + 1, 0);
		assert.ok(total <= width - 1, `width ${width}: rows take ${total}`);
		assert.ok(total >= width - 3, `width ${width}: rows leave ${width - total} columns unused`);
		assert.equal(columns.some(column => column.id === 'cumpct'), width >= 120);
	}
});

test('cells are exactly their width, cut with an ellipsis, wide glyphs counted as two columns', () => {
	assert.equal(fit('hot_loop_alpha', 8), 'hot_loo…');
	assert.equal(fit('42', 6, 'right'), '    42');
	assert.equal(stringWidth(fit('計算する関数です', 7)), 7);
	assert.equal(fitEnd('/very/long/path/to/module.py:12', 14), '…/module.py:12');
	assert.equal(stringWidth(fitEnd('/路径/很长/模块.py:3', 9)), 9);
	for (const cell of headingCells(layoutColumns(100), 'cumulative')) {
		assert.equal(stringWidth(cell) > 0, true);
	}

	assert.match(headingCells(layoutColumns(100), 'cumulative').join(''), /▼cumul/, 'the cumulative order marks the cumulative count');
});

test('numbers have a bounded number of spellings', () => {
	assert.equal(formatCount(99_999), '99999');
	assert.equal(formatCount(123_456), '123k');
	assert.equal(formatCount(12_345_678), '12.3M');
	assert.equal(formatSeconds(1.23456), '1.235');
	assert.equal(formatSeconds(1234.5), '1235');
	assert.equal(formatDuration(3725), '1h02m05s');
	assert.equal(formatDuration(4), '0m04s');
});

test('paths lose their middle, never their file name; a name too long for the cell is cut in its middle', () => {
	assert.equal(shortenPath('/srv/app/project/pkg/sub/workload.py:13', 60), '/srv/app/project/pkg/sub/workload.py:13');
	assert.equal(shortenPath('/srv/app/project/pkg/sub/workload.py:13', 30), '/srv/a…/pkg/sub/workload.py:13');
	assert.equal(shortenPath('/srv/app/project/pkg/sub/workload.py:13', 16), '…/workload.py:13');
	// Two files of the same name in different folders stay apart at 24 columns.
	assert.notEqual(shortenPath('/srv/a/one/_workload.py:8', 24), shortenPath('/srv/a/two/_workload.py:8', 24));
	assert.equal(shortenPath('<frozen importlib._bootstrap>:491', 20), '<frozen i…strap>:491');
	for (let width = 8; width < 45; width++) {
		const shown = shortenPath('/srv/app/project/pkg/sub/workload.py:13', width);
		assert.ok(stringWidth(shown) <= width, `${width}: ${shown}`);
		assert.ok(shown.endsWith(':13'), `${width}: ${shown} keeps the line`);
	}
});
