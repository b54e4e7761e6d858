// pythonFixed against what Python's format(x, '.Nf') printed for the same doubles (python3.11):
// exact halfway values go to the even digit (toFixed goes up), everything else as toFixed.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {pythonFixed} from '../../exporters/python-fixed.js';

const pythonPrinted: Array<[number, number, string]> = [
	[497.25, 1, '497.2'],
	[0.125, 2, '0.12'],
	[0.375, 2, '0.38'],
	[2.5, 0, '2'],
	[3.5, 0, '4'],
	[0.5, 0, '0'],
	[-0.25, 1, '-0.2'],
	[-497.25, 1, '-497.2'],
	[1989 / 4, 1, '497.2'],
	[12.345, 2, '12.35'],
	[0.1 + 0.2, 1, '0.3'],
	[99.95, 1, '100.0'],
	[0.0625, 3, '0.062'],
	[1 / 3, 3, '0.333'],
	[2 / 3, 1, '0.7'],
	[123_456.785, 2, '123456.79'],
	[0.05, 1, '0.1'],
	[-0.04, 1, '-0.0'],
];

test('fixed-point numbers as Python formats them, ties to even', () => {
	for (const [value, digits, printed] of pythonPrinted) {
		assert.equal(pythonFixed(value, digits), printed, `format(${value}, '.${digits}f')`);
	}
});
