// The location-table decoder (co_linetable, 3.11+) on a hand-encoded table with every entry kind.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {locationOf, noLocation} from '../../sampler/linetable.js';

/** An entry's first byte: the start bit, the kind, the number of code units it covers less one. */
const head = (code: number, units: number) => 0x80 | (code << 3) | (units - 1);

const table = Uint8Array.from([
	head(13, 2), 0, // line only, +0: code units 0–1 at line 10
	head(11, 1), 4, 10, // one line with columns, +1: unit 2 at line 11, columns 4–10
	head(15, 1), // no location: unit 3
	head(14, 3), 3, 2, 5, 21, // long form, line −1, two more lines, columns 4–20: units 4–6
	head(0, 1), 0x23, // short form, same line, columns 2–5: unit 7
	head(13, 1), 72, 3, // line only, +100 as a two-byte varint: unit 8
]);

test('every entry kind gives its line and columns', () => {
	assert.deepEqual(locationOf(table, 10, 0), {line: 10, endLine: 10, col: -1, endCol: -1});
	assert.deepEqual(locationOf(table, 10, 1), {line: 10, endLine: 10, col: -1, endCol: -1});
	assert.deepEqual(locationOf(table, 10, 2), {line: 11, endLine: 11, col: 4, endCol: 10});
	assert.equal(locationOf(table, 10, 3), noLocation);
	for (const unit of [4, 5, 6]) {
		assert.deepEqual(locationOf(table, 10, unit), {line: 10, endLine: 12, col: 4, endCol: 20});
	}

	assert.deepEqual(locationOf(table, 10, 7), {line: 10, endLine: 10, col: 2, endCol: 5});
	assert.deepEqual(locationOf(table, 10, 8), {line: 110, endLine: 110, col: -1, endCol: -1});
});

test('past the table there is no location; before its start, the def line', () => {
	assert.equal(locationOf(table, 10, 9), noLocation);
	assert.equal(locationOf(new Uint8Array(0), 10, 0), noLocation);
	// A frame that has not started (3.11/3.12 point one unit before the first instruction) is
	// at its def line, as CPython's PyCode_Addr2Line answers for addrq < 0.
	assert.deepEqual(locationOf(table, 10, -1), {line: 10, endLine: 10, col: -1, endCol: -1});
});

test('a table cut short reads as far as it goes, never past it', () => {
	const cut = table.subarray(0, 5);
	assert.deepEqual(locationOf(cut, 10, 2), {line: 11, endLine: 11, col: 4, endCol: 10});
	assert.equal(locationOf(cut, 10, 6), noLocation);
});
