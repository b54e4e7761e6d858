// The command line as a process: --help and -V from the built command, usage errors as one
// line with exit 2, Tachyon itself refusing what we refuse (where 3.15 is installed), and the
// bash completion completing in bash. The same rules without a process: test/unit/command-line.test.ts.
import assert from 'node:assert/strict';
import {execFileSync, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {describe, test} from 'node:test';
import {completionScript} from '../source/completion.js';
import {flagsOf} from '../source/flags.js';
import {commandHelp} from '../source/help.js';
import {cli, python, root, runCli} from './helpers.js';
import {refused} from './unit/cli-refusals.js';

describe('help', () => {
	test('--help, -h, help COMMAND and -V from the built command', async () => {
		const dump = await runCli(['dump', '--help']);
		assert.equal(dump.code, 0);
		assert.equal(dump.stdout, commandHelp('dump'));
		assert.equal((await runCli(['help', 'dump'])).stdout, commandHelp('dump'));
		assert.equal((await runCli(['run', '-h'])).stdout, commandHelp('run'));
		const overview = await runCli(['--help']);
		assert.equal(overview.code, 0);
		for (const word of ['run', 'attach', 'dump', 'replay', 'completion', '-V, --version']) {
			assert.ok(overview.stdout.includes(word), word);
		}

		const version = await runCli(['-V']);
		assert.equal(version.code, 0);
		const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {version: string};
		assert.equal(version.stdout, `${manifest.version}\n`);
	});
});

describe('usage errors', () => {
	test('each one line, tachyon-top: first, exit 2', async () => {
		for (const args of [['attach', '--pid', '1'], ['dump', '-d', '1', '1'], ['replay', '--live', 'x.bin'], ['attach', '-l', 'abc', '1'], ['frobnicate'], ['attach', '--mode', 'fast', '1']]) {
			const result = await runCli(args);
			assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
			assert.match(result.stderr, /^tachyon-top: [^\n]+\n$/, args.join(' '));
		}

		// A bad value is named in the message, not only the flag.
		for (const [args, bad] of [[['attach', '-l', 'abc', '1'], '`abc`'], [['attach', '-r', '10zz', '1'], '`10zz`'], [['attach', '-d', 'soon', '1'], '`soon`']] as const) {
			const result = await runCli([...args]);
			assert.equal(result.code, 2, result.stderr);
			assert.ok(result.stderr.includes(bad), `${args.join(' ')}: ${result.stderr}`);
		}
	});
});

describe('Tachyon', () => {
	const tachyon = python('3.15');
	test('refuses what we refuse, with exit 2, naming the same option', {skip: tachyon ? false : 'Python 3.15 (Tachyon) is not installed here'}, () => {
		for (const {command, args, names} of refused.filter(entry => entry.oursOnly === undefined)) {
			const result = spawnSync(tachyon!.path, ['-m', 'profiling.sampling', command, ...args], {encoding: 'utf8', timeout: 30_000});
			assert.equal(result.status, 2, `Tachyon ${command} ${args.join(' ')}: ${result.stderr}`);
			assert.match(result.stderr, names, `Tachyon ${command} ${args.join(' ')}`);
		}
	});
});

describe('shell completions', () => {
	/** What bash completes for the words typed so far (the last one being completed). */
	function bashCompletes(words: string[]): string[] {
		const script = `source <(${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} completion bash)
COMP_WORDS=(${words.map(word => JSON.stringify(word)).join(' ')}); COMP_CWORD=${words.length - 1}
_tachyon_top; printf '%s\\n' "\${COMPREPLY[@]}"`;
		return execFileSync('bash', ['-c', script], {encoding: 'utf8'}).split('\n').filter(Boolean);
	}

	test('bash: commands, each command\'s own flags, choices, files', () => {
		assert.deepEqual(bashCompletes(['tachyon-top', 'a']), ['attach']);
		const dumpFlags = bashCompletes(['tachyon-top', 'dump', '--']);
		assert.deepEqual(new Set(dumpFlags), new Set([...flagsOf('dump').map(flag => `--${flag.name}`), '--help']));
		assert.deepEqual(bashCompletes(['tachyon-top', 'attach', '--mode', '']), ['wall', 'cpu', 'gil', 'exception']);
		assert.deepEqual(bashCompletes(['tachyon-top', 'attach', '--sort', 'cum']), ['cumtime', 'cumul-pct']);
		assert.ok(bashCompletes(['tachyon-top', 'attach', '-o', 'READ']).includes('README.md'));
		assert.deepEqual(bashCompletes(['tachyon-top', 'completion', '']), ['bash', 'zsh', 'fish']);
	});

	for (const shell of ['zsh', 'fish'] as const) {
		const found = spawnSync('sh', ['-c', `command -v ${shell}`], {encoding: 'utf8'}).stdout.trim();
		test(`${shell}: the script parses`, {skip: found === '' ? `${shell} is not installed here` : false}, () => {
			const file = path.join(fs.mkdtempSync('/tmp/tachyon-top-completion-'), `completion.${shell}`);
			fs.writeFileSync(file, completionScript([shell]));
			execFileSync(found, ['-n', file]);
		});
	}
});
