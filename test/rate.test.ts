// Rates and durations as people type them, including the forms Tachyon rejects.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {intervalFromRate, parseDuration, parseRate} from '../source/rate.js';
import {pidFrom, splitArgs} from '../source/argv.js';

test('rates in every accepted form', () => {
	assert.equal(parseRate('1000'), 1000);
	assert.equal(parseRate('10khz'), 10_000);
	assert.equal(parseRate('10k'), 10_000);
	assert.equal(parseRate('10KHz'), 10_000);
	assert.equal(parseRate('1mhz'), 1_000_000);
	assert.equal(parseRate('1000000'), 1_000_000);
	assert.equal(parseRate('1.5khz'), 1500);
	assert.equal(parseRate('250hz'), 250);
	assert.equal(intervalFromRate(parseRate('1mhz')), 1);
	assert.equal(intervalFromRate(parseRate('1khz')), 1000);
});

test('bad rates and durations are usage errors', () => {
	for (const bad of ['', 'fast', '0', '-5', '10 ghz', '20mhz', '1e3x']) {
		assert.throws(() => parseRate(bad), /sampling-rate/, bad);
	}

	for (const bad of ['', '0', '-1', 'soon']) {
		assert.throws(() => parseDuration(bad), /duration/, bad);
	}

	assert.equal(parseDuration('2.5'), 2.5);
	assert.equal(parseDuration('2m'), 120);
});

test('run passes the script its own flags untouched', () => {
	assert.deepEqual(splitArgs(['run', '-r', '10k', '--collapsed', 'app.py', '--verbose', '-d', '3']), {
		command: 'run', options: ['-r', '10k', '--collapsed'], target: ['app.py', '--verbose', '-d', '3'],
	});
	assert.deepEqual(splitArgs(['run', '-d', '2', '-m', 'pkg.cli', 'arg1']), {
		command: 'run', options: ['-d', '2', '-m'], target: ['pkg.cli', 'arg1'],
	});
});

test('the PID may stand anywhere among the flags', () => {
	assert.equal(pidFrom(['12345'], 'attach'), 12_345);
	assert.throws(() => pidFrom([], 'attach'), /one process id/);
	assert.throws(() => pidFrom(['12', '34'], 'attach'), /one process id/);
	assert.throws(() => pidFrom(['abc'], 'attach'), /abc/);
});
