// replay: converts a real capture to every format; bad files (truncated, corrupted, foreign,
// missing) end in one clear line and a non-zero exit, never a stack trace or a hang.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {BinaryFormatError, readBinaryProfile} from '../exporters/binary-reader.js';
import {formatIds} from '../exporters/index.js';
import {cli, runCli, startPython, tempDir, testPythons} from './helpers.js';

const dir = tempDir('tachyon-top-replay-');
const good = path.join(dir, 'good.bin');
const raw = path.join(dir, 'raw.bin');

before(async () => {
	const target = await startPython(testPythons().at(-1)!, 'binary-workload.py');
	try {
		for (const [file, compression] of [[good, 'zstd'], [raw, 'none']] as const) {
			const result = await runCli(['attach', '-a', '-d', '1', '--binary', '--compression', compression, '-o', file, String(target.pid)]);
			assert.equal(result.code, 0, result.stderr);
		}
	} finally {
		await target.stop();
	}
});

after(() => {
	fs.rmSync(dir, {recursive: true, force: true});
});

function assertOneLineError(result: {code: number | null; stderr: string}, needle: RegExp): void {
	assert.notEqual(result.code, 0);
	assert.notEqual(result.code, null, 'killed: the CLI hung');
	const lines = result.stderr.trim().split('\n');
	assert.equal(lines.length, 1, `one line expected:\n${result.stderr}`);
	assert.match(lines[0]!, /^tachyon-top: /);
	assert.match(lines[0]!, needle);
	assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

describe('replay', () => {
	test('converts a capture to every format', async () => {
		const out = path.join(dir, 'formats');
		fs.mkdirSync(out);
		for (const id of formatIds.filter(format => format !== 'diff-flamegraph' && format !== 'pstats')) {
			// A heatmap is itself a directory: -o names it.
			const result = await runCli(['replay', `--${id}`, '-o', id === 'heatmap' ? path.join(out, 'heatmap_x') : out, good], {timeoutMs: 60_000});
			assert.equal(result.code, 0, `${id}: ${result.stderr}`);
			assert.match(result.stderr, /Replaying [\d,]+ samples from/);
			assert.doesNotMatch(result.stderr, /█/, 'no progress bar without a terminal');
		}

		const names = fs.readdirSync(out).sort();
		for (const prefix of ['binary_', 'collapsed_', 'flamegraph_', 'gecko_', 'heatmap_', 'jsonl_']) {
			assert.ok(names.some(name => name.startsWith(prefix)), `${prefix}* in ${names.join(', ')}`);
		}

		const table = await runCli(['replay', good]);
		assert.equal(table.code, 0, table.stderr);
		assert.match(table.stdout, /binary-workload\.py:\d+\(crunch\)/);
	});

	test('on a terminal replay shows its progress', {skip: fs.existsSync('/usr/bin/script') ? false : 'script(1) is not installed'}, () => {
		// script(1) gives the CLI a pseudo-terminal, as a person running it has.
		const shown = execFileSync('/usr/bin/script', ['-qec', `${process.execPath} ${cli} replay --collapsed -o ${path.join(dir, 'tty.txt')} ${good}`, '/dev/null'], {encoding: 'utf8', timeout: 60_000});
		assert.match(shown, /Replaying [\d,]+ samples/);
		assert.match(shown, /\[█+\] 100\.0% of [\d,]+/);
	});

	test('replay --diff-flamegraph BASE.bin NEW.bin works', async () => {
		const out = path.join(dir, 'diff.html');
		const result = await runCli(['replay', '--diff-flamegraph', raw, '-o', out, good]);
		assert.equal(result.code, 0, result.stderr);
		assert.ok(fs.readFileSync(out, 'utf8').includes('crunch'));
	});

	test('--browser opens HTML outputs with $BROWSER, and prints the path where no browser exists', async () => {
		const opened = path.join(dir, 'opened.txt');
		const fakeBrowser = path.join(dir, 'fake-browser.sh');
		fs.writeFileSync(fakeBrowser, `#!/bin/sh\necho "$@" > ${opened}\n`, {mode: 0o755});
		const html = path.join(dir, 'open-me.html');
		const withBrowser = await runCli(['replay', '--flamegraph', '--browser', '-o', html, good], {env: {BROWSER: fakeBrowser}});
		assert.equal(withBrowser.code, 0, withBrowser.stderr);
		for (let wait = 0; wait < 50 && !fs.existsSync(opened); wait++) {
			await new Promise(resolve => {
				setTimeout(resolve, 100);
			});
		}

		assert.match(fs.readFileSync(opened, 'utf8'), /^file:\/\/.*open-me\.html/);
		const without = await runCli(['replay', '--flamegraph', '--browser', '-o', html, good], {env: {BROWSER: '', PATH: path.join(dir, 'no-such-dir')}});
		assert.equal(without.code, 0, without.stderr);
		assert.match(without.stdout, /No browser found; open file:\/\/.*open-me\.html/);
		// Not an HTML format: nothing to open, and a flag that does nothing is a usage error.
		const text = await runCli(['replay', '--collapsed', '--browser', '-o', path.join(dir, 'c.txt'), good], {env: {BROWSER: '', PATH: path.join(dir, 'no-such-dir')}});
		assert.equal(text.code, 2, text.stderr);
		assert.match(text.stderr, /^tachyon-top: --browser opens HTML outputs .*not --collapsed\n$/);
		assert.equal(text.stdout, '');
	});

	test('a baseline of another mode is refused, as Tachyon refuses it', async () => {
		const cpu = Buffer.from(fs.readFileSync(raw));
		cpu.writeUInt32LE((cpu.readUInt32LE(60) & ~7) | 2, 60); // Mode bits: cpu (id 1, stored + 1).
		const file = path.join(dir, 'cpu-mode.bin');
		fs.writeFileSync(file, cpu);
		assertOneLineError(await runCli(['replay', '--diff-flamegraph', file, '-o', path.join(dir, 'm.html'), good]), /captured in cpu mode, this profile is in wall mode/);
		assertOneLineError(await runCli(['attach', '-d', '1', '--diff-flamegraph', file, '1']), /captured in cpu mode/);
	});

	test('attach --diff-flamegraph BASE.bin compares a live capture with a binary baseline', async () => {
		const target = await startPython(testPythons().at(-1)!, 'binary-workload.py');
		const out = path.join(dir, 'live-diff.html');
		try {
			const result = await runCli(['attach', '-a', '-d', '1', '--diff-flamegraph', good, '-o', out, String(target.pid)]);
			assert.equal(result.code, 0, result.stderr);
		} finally {
			await target.stop();
		}

		assert.ok(fs.readFileSync(out, 'utf8').includes('crunch'));
		assertOneLineError(await runCli(['attach', '-d', '1', '--diff-flamegraph', path.join(dir, 'missing.bin'), '1']), /No such baseline file/);
	});

	const bytes = () => fs.readFileSync(good);
	const cases: Array<[string, () => Uint8Array | string, RegExp]> = [
		['an empty file', () => new Uint8Array(0), /empty|too short/],
		['a text file', () => 'def main():\n    pass\n'.repeat(20), /not a Tachyon binary profile/],
		['a file cut in half', () => bytes().subarray(0, Math.floor(bytes().length / 2)), /truncated|corrupted|not a Tachyon/],
		['a file without its footer', () => bytes().subarray(0, bytes().length - 32), /truncated|corrupted/],
		['a corrupted sample stream', () => {
			const copy = Buffer.from(bytes());
			for (let index = 70; index < 90; index++) {
				copy[index] = 0xFF - copy[index]!;
			}

			return copy;
		}, /corrupted|truncated|sample/],
		['a future format version', () => {
			const copy = Buffer.from(bytes());
			copy.writeUInt32LE(7, 4);
			return copy;
		}, /version 7/],
	];
	for (const [name, make, needle] of cases) {
		test(`${name}: one line, non-zero exit, as replay input and as a diff baseline`, async () => {
			const file = path.join(dir, `${name.replaceAll(' ', '-')}.bin`);
			fs.writeFileSync(file, make());
			assertOneLineError(await runCli(['replay', '--collapsed', '-o', path.join(dir, 'x.txt'), file], {timeoutMs: 30_000}), needle);
			assertOneLineError(await runCli(['replay', '--diff-flamegraph', file, '-o', path.join(dir, 'x.html'), good], {timeoutMs: 30_000}), needle);
		});
	}

	test('a missing file and a directory: one line each', async () => {
		assertOneLineError(await runCli(['replay', path.join(dir, 'nope.bin')]), /No such file/);
		assertOneLineError(await runCli(['replay', dir]), /directory/);
		assertOneLineError(await runCli(['replay']), /Expected one binary file/);
	});

	test('random corruption never escapes as anything but a format error', () => {
		// A deterministic fuzz: flip bytes anywhere, or cut anywhere; the reader either reads a
		// (different) profile or names what is wrong.
		let seed = 42;
		const random = () => {
			seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
			return seed / 2_147_483_648;
		};

		for (const source of [fs.readFileSync(good), fs.readFileSync(raw)]) {
			for (let round = 0; round < 300; round++) {
				const copy = Buffer.from(source);
				const cut = round % 3 === 0 ? Math.floor(random() * copy.length) : copy.length;
				for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) {
					copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
				}

				try {
					readBinaryProfile(copy.subarray(0, cut), {timeline: round % 2 === 0});
				} catch (error) {
					assert.ok(error instanceof BinaryFormatError, `round ${round}: ${String(error)}`);
				}
			}
		}
	});
});
