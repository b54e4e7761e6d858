// A target whose function, file, thread names and argv hold terminal escape sequences and the
// separators of line formats (test/fixtures/hostile-names.py): nothing of it reaches a terminal
// raw (pstats text, dump, live view, picker), collapsed stacks stay one line per stack with
// counts that add up, and the escaping there is reversible.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {readBinaryProfile} from '../exporters/binary-reader.js';
import {escapeCollapsed, unescapeCollapsed} from '../exporters/collapsed.js';
import {LiveStore} from '../live/live-store.js';
import {ProcessLister} from '../sampler/process-list.js';
import {terminalText} from '../common/terminal-text.js';
import {cli, delay, parseCollapsed, runCli, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';

const evil = '\u001B]0;pwned\u0007\u001B[2J\u001B]52;c;cHduZWQ=\u0007\u009B31m\u202Eevil\n;x 5\\';
const evilArg = 'arg\u001B]0;argv-pwned\u0007\u001B]52;c;YXJndg==\u0007';
/** Anything a terminal would act on: C0 controls but newline, DEL, C1, bidi controls. */
const raw = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

function assertTerminalSafe(text: string, what: string): void {
	const found = raw.exec(text);
	assert.equal(found, null, `${what} holds U+${found?.[0].codePointAt(0)!.toString(16).padStart(4, '0')} raw:\n${JSON.stringify(text).slice(0, 2000)}`);
}

const interpreters = testPythons();
const newest = interpreters.at(-1);
let target: PythonProcess | undefined;
const dir = tempDir('tachyon-top-hostile-');

describe('hostile names', {skip: newest ? false : 'no test Python'}, () => {
	before(async () => {
		target = await startPython(newest!, 'hostile-names.py', [evilArg]);
	});

	after(async () => {
		await target?.stop();
		fs.rmSync(dir, {recursive: true, force: true});
	});

	test('terminalText makes controls and bidi overrides visible and keeps the rest', () => {
		assert.equal(terminalText('plain name — ünïcode 名前'), 'plain name — ünïcode 名前');
		assert.equal(terminalText('a\u001B]0;t\u0007b'), 'a\\x1b]0;t\\x07b');
		assert.equal(terminalText('\u009B2J\u202E\n\t\u007F'), '\\u009b2J\\u202e\\x0a\\x09\\x7f');
	});

	test('collapsed escaping: names without separators unchanged, every other name round-trips', () => {
		assert.equal(escapeCollapsed('<frozen importlib._bootstrap>'), '<frozen importlib._bootstrap>');
		assert.equal(escapeCollapsed('a;b\nc\\d'), 'a\\x3bb\\x0ac\\\\d');
		let seed = 7;
		const random = () => {
			seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
			return seed / 2_147_483_648;
		};

		const alphabet = ['a', ' ', ';', '\\', 'x', '3', 'b', '\n', '\r', '\u001B', '\u009B', '\u202E', '\u2028', 'é', '名', '\\x3b', '\\u202e'];
		for (let round = 0; round < 2000; round++) {
			const name = Array.from({length: Math.floor(random() * 12)}, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
			const escaped = escapeCollapsed(name);
			assert.doesNotMatch(escaped, /[;\n\r\u0000-\u001F\u007F-\u009F\u202E\u2028]/);
			assert.equal(unescapeCollapsed(escaped), name);
		}
	});

	test('pstats text shows the names escaped', async () => {
		const result = await runCli(['attach', '-d', '1', String(target!.pid)]);
		assert.equal(result.code, 0, result.stderr);
		assertTerminalSafe(result.stdout, 'the pstats table');
		assertTerminalSafe(result.stderr, 'stderr');
		assert.ok(result.stdout.includes(`(hot${terminalText(evil)})`), result.stdout);
	});

	for (const interpreter of interpreters) {
		test(`dump shows names, thread names and argv escaped (${interpreter.version})`, async () => {
			const python = interpreter === newest ? target! : await startPython(interpreter, 'hostile-names.py', [evilArg]);
			try {
				const result = await runCli(['dump', '-a', String(python.pid)]);
				assert.equal(result.code, 0, result.stderr);
				assertTerminalSafe(result.stdout, 'the dump');
				assert.ok(result.stdout.includes(`in hot${terminalText(evil)}`), result.stdout);
				assert.ok(result.stdout.includes(`evil${terminalText(evil)}.py"`), result.stdout);
				assert.ok(result.stdout.includes(terminalText(evilArg)), result.stdout);
				assert.match(result.stdout, /Thread \d+ \(thread\\x1b]0;pwned/);
			} finally {
				if (python !== target) {
					await python.stop();
				}
			}
		});
	}

	test('collapsed stacks: one line per stack, counts add up to the samples, names unescape to the originals', async () => {
		const out = path.join(dir, 'stacks.txt');
		const bin = path.join(dir, 'capture.bin');
		const result = await runCli(['attach', '-a', '-d', '1', '--binary', '-o', bin, String(target!.pid)]);
		assert.equal(result.code, 0, result.stderr);
		const replayed = await runCli(['replay', '--collapsed', '-o', out, bin]);
		assert.equal(replayed.code, 0, replayed.stderr);
		const text = fs.readFileSync(out, 'utf8');
		const lines = text.trimEnd().split('\n');
		assert.ok(lines.every(line => /^tid:\d+;.* \d+$/.test(line)), text);
		const stacks = parseCollapsed(text);
		assert.equal(stacks.size, lines.length, 'no two lines for one stack');
		// Collapsed stacks leave out the samples without a Python frame.
		const {profile} = readBinaryProfile(fs.readFileSync(bin));
		let withStack = 0;
		for (const cell of profile.cells) {
			withStack += cell.stack >= 0 ? cell.count : 0;
		}

		assert.ok(withStack > 0);
		assert.equal([...stacks.values()].reduce((sum, count) => sum + count, 0), withStack);
		const frames = [...stacks.keys()].flatMap(stack => stack.split(';'));
		assert.ok(frames.some(frame => unescapeCollapsed(frame) === `evil${evil}.py:hot${evil}:14`), frames.join('\n'));
		assert.ok(!frames.some(frame => frame.includes('\n')));
	});

	test('the live view\'s rows, threads and command are terminal-safe', async () => {
		const store = new LiveStore({pid: target!.pid, intervalUs: 1000, outputDir: dir}).start();
		try {
			const deadline = Date.now() + 20_000;
			let snapshot = store.getSnapshot();
			while (!snapshot.rows.some(row => row.funcname.startsWith('hot')) || snapshot.threads.length < 2) {
				assert.ok(Date.now() < deadline, `no hot row: ${snapshot.status} ${snapshot.message ?? ''}`);
				await delay(100);
				snapshot = store.getSnapshot();
			}

			const hot = snapshot.rows.find(row => row.funcname.startsWith('hot'))!;
			assert.equal(hot.funcname, `hot${terminalText(evil)}`);
			assertTerminalSafe(JSON.stringify(snapshot.rows.map(row => [row.funcname, row.filename])).replaceAll('\\u', 'u'), 'rows');
			for (const row of snapshot.rows) {
				assertTerminalSafe(row.funcname + row.filename, 'a row');
			}

			for (const thread of snapshot.threads) {
				assertTerminalSafe(thread.name, 'a thread name');
			}

			assertTerminalSafe(snapshot.command, 'the command');
			assert.ok(snapshot.command.includes(terminalText(evilArg)), snapshot.command);
			// The opcode panel finds the function by the names the row shows.
			assert.equal(store.opcodeMix(hot.filename, hot.funcname).version, snapshot.version);
		} finally {
			store.stop();
			await store.finished;
		}
	});

	test('the picker lists the command terminal-safe (any user\'s argv reaches whoever opens it)', () => {
		const entry = new ProcessLister().list().find(process => process.pid === target!.pid);
		assert.ok(entry, 'the target is listed');
		assertTerminalSafe(entry.command, 'the command');
		assert.ok(entry.command.includes(terminalText(evilArg)), entry.command);
	});

	test('in a real terminal (tmux): title, screen and clipboard untouched by pstats, dump, live view and picker', {skip: fs.existsSync('/usr/bin/tmux') ? false : 'tmux is not installed', timeout: 120_000}, async () => {
		// A server of our own, with OSC 52 turned into paste buffers, so a clipboard write shows.
		const socket = `tachyon-top-hostile-${process.pid}`;
		const config = path.join(dir, 'tmux.conf');
		fs.writeFileSync(config, 'set -s set-clipboard on\nset -g allow-rename on\n');
		const tmux = (...args: string[]) => execFileSync('/usr/bin/tmux', ['-L', socket, '-f', config, ...args], {encoding: 'utf8'});
		const screen = () => tmux('capture-pane', '-p', '-t', 'hostile');
		const title = () => tmux('display', '-p', '-t', 'hostile', '#{pane_title}').trim();
		const buffers = () => tmux('list-buffers');
		const waitFor = async (check: (text: string) => boolean, what: string) => {
			const deadline = Date.now() + 30_000;
			for (;;) {
				const text = screen();
				if (check(text)) {
					return text;
				}

				assert.ok(Date.now() < deadline, `timed out waiting for ${what}:\n${text}`);
				await delay(200);
			}
		};

		const pid = String(target!.pid);
		const node = `env -u CI TERM=xterm-256color ${process.execPath} ${cli}`;
		tmux('new-session', '-d', '-s', 'hostile', '-x', '200', '-y', '60', `cd ${dir}; exec bash --norc --noprofile`);
		try {
			const shell = async (line: string, done: string) => {
				tmux('send-keys', '-t', 'hostile', '-l', `${line}; echo ${done}`);
				tmux('send-keys', '-t', 'hostile', 'Enter');
				return waitFor(text => text.split('\n').includes(done), done);
			};

			// The harness sees what it checks for: a raw title, clipboard write and clear screen.
			await shell('clear; printf "\\033]0;control-title\\007\\033]52;c;Y29udHJvbA==\\007"', 'CONTROL-SET');
			await waitFor(() => title() === 'control-title' && buffers().includes('control'), 'the control title and buffer');
			tmux('delete-buffer');
			await shell('printf "\\033]0;clean\\007"', 'CLEAN-TITLE');

			await shell(`clear; echo MARKER-BEFORE; ${node} attach -d 1 ${pid} | tail -n 12`, 'PSTATS-DONE');
			let text = await shell(`${node} dump -a ${pid} | tail -n 12`, 'DUMP-DONE');
			assert.ok(text.includes('MARKER-BEFORE'), `the screen was cleared:\n${text}`);
			assert.ok(text.includes('in hot\\x1b]0;pwned'), text);
			assert.equal(title(), 'clean');
			assert.equal(buffers(), '');

			tmux('send-keys', '-t', 'hostile', '-l', `clear; ${node} attach --live ${pid}; echo LIVE-DONE`);
			tmux('send-keys', '-t', 'hostile', 'Enter');
			text = await waitFor(screen => screen.includes('hot\\x1b]0;pwned') && screen.includes(`PID ${pid}`), 'the live view');
			// A few redraws, where the clipboard write used to repeat.
			await delay(1500);
			assert.equal(title(), 'clean');
			assert.equal(buffers(), '');
			tmux('send-keys', '-t', 'hostile', 'q');
			await waitFor(screen => screen.split('\n').includes('LIVE-DONE'), 'the live view to end');

			tmux('send-keys', '-t', 'hostile', '-l', `clear; ${node}`);
			tmux('send-keys', '-t', 'hostile', 'Enter');
			await waitFor(screen => screen.includes('pick a Python process'), 'the picker');
			tmux('send-keys', '-t', 'hostile', '-l', pid);
			text = await waitFor(screen => screen.includes('argv-pwned') && screen.includes(`> ${pid}_`), 'the target in the picker');
			assert.ok(text.includes('arg\\x1b]0;argv-pwned'), text);
			await delay(1500);
			assert.equal(title(), 'clean');
			assert.equal(buffers(), '');
			tmux('send-keys', '-t', 'hostile', 'C-c');
		} finally {
			try {
				tmux('kill-server');
			} catch {
				// Already gone.
			}
		}
	});
});
