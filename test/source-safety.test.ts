// Source files are named by the target or by an archive: the code shown in dumps and HTML is
// read only from the live target (regular files, capped, by a helper that is killed when it
// hangs, as the target's user when we are root) and stored in our archives; replaying never
// reads a file of the machine it runs on. Line numbers from anywhere never size an allocation.
import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import type {FrameDef} from '../common/profile-types.js';
import {readBinaryProfile} from '../exporters/binary-reader.js';
import {binaryFile} from '../exporters/binary-file.js';
import {BinaryWriter, memorySink} from '../exporters/binary-writer.js';
import {Profile} from '../exporters/model.js';
import {fixtures, runCli, startPython, tempDir, testPythons} from './helpers.js';

const dir = tempDir('tachyon-top-sources-');
const newest = testPythons().at(-1);

after(() => {
	fs.rmSync(dir, {recursive: true, force: true});
});

/** Every file of an output (a file, or a heatmap's directory) as one text. */
function outputText(file: string): string {
	if (!fs.statSync(file).isDirectory()) {
		return fs.readFileSync(file, 'utf8');
	}

	return fs.readdirSync(file).map(name => fs.readFileSync(path.join(file, name), 'utf8')).join('\n');
}

function outputBytes(file: string): number {
	return fs.statSync(file).isDirectory() ? fs.readdirSync(file).reduce((sum, name) => sum + fs.statSync(path.join(file, name)).size, 0) : fs.statSync(file).size;
}

/** A profile of one thread whose frames name `filename` at these lines (a stack per line, leaf last). */
function profileNaming(filename: string, lines: number[]): Profile {
	const profile = new Profile({
		pid: 4242, pythonVersion: '3.15.2', command: ['python3', 'app.py'], mode: 'wall', intervalUs: 1000, startedAt: 0,
		allThreads: false, gc: true, native: false, opcodes: false, asyncAware: false,
	});
	for (const [index, line] of lines.entries()) {
		const frame: FrameDef = {filename, funcname: `f${index}`, line, endLine: line, col: 0, endCol: 4, opcode: -1, kind: 'python'};
		profile.frames.push(frame);
		const stack = profile.addStack(-1, index);
		profile.addSample(1, 1, stack, 1000, index * 1000, 5);
	}

	profile.stats = {attempts: profile.samples, errors: 0, missed: 0, elapsedUs: profile.samples * 1000, reads: 0, bytesRead: 0, cpuUs: 0};
	return profile;
}

describe('source lines', () => {
	test('an archive naming a file of this machine never gets its lines into any output (ours, and one without our blocks)', async () => {
		const secret = path.join(dir, 'secret.py');
		fs.writeFileSync(secret, 'SECRET_LINE_ONE = 1\nSECRET_LINE_TWO = 2\nSECRET_LINE_THREE = 3\n');
		const ours = path.join(dir, 'names-secret.bin');
		fs.writeFileSync(ours, binaryFile(profileNaming(secret, [1, 2, 3])));
		// As Tachyon writes it: no extension, no source block.
		const sink = memorySink();
		const profile = profileNaming(secret, [1, 2, 3]);
		const writer = new BinaryWriter(sink, {intervalUs: 1000, meta: profile.meta, compression: 'auto', startTimeUs: 1000});
		for (const cell of profile.cells) {
			writer.addSample(profile, cell.tid, cell.status, cell.stack, 0);
		}

		writer.finish(profile);
		const theirs = path.join(dir, 'names-secret-tachyon.bin');
		fs.writeFileSync(theirs, sink.bytes());
		// And Tachyon's own capture, whose frames name files that exist here.
		const tachyon = path.join(fixtures, 'tachyon-3.15.bin');
		const onDisk = fs.existsSync('/work/wt/lead/test/fixtures/binary-workload.py') ? 'crunch' : undefined;
		for (const archive of [ours, theirs, tachyon]) {
			for (const format of ['heatmap', 'flamegraph', 'diff-flamegraph', 'pstats', 'collapsed', 'jsonl', 'gecko']) {
				const out = path.join(dir, `${path.basename(archive)}-${format}`);
				const args = format === 'diff-flamegraph' ? ['--diff-flamegraph', archive] : [`--${format}`];
				const result = await runCli(['replay', ...args, '-o', out, archive]);
				assert.equal(result.code, 0, `${format}: ${result.stderr}`);
				const text = outputText(out);
				assert.doesNotMatch(text, /SECRET_LINE/, `${format} of ${path.basename(archive)} shows the file's lines`);
				if (format === 'heatmap') {
					assert.match(text, /Source file not available/);
				}
			}
		}

		if (onDisk) {
			// binary-workload.py's code, read from this disk, was what replay used to show.
			assert.doesNotMatch(outputText(path.join(dir, 'tachyon-3.15.bin-heatmap')), /hashlib\.sha256/);
		}
	});

	test('replay shows the code the capture read from its target, after the file is gone', {skip: newest ? false : 'no test Python'}, async () => {
		const script = path.join(dir, 'gone_later.py');
		fs.copyFileSync(path.join(fixtures, 'html-heat.py'), script);
		const target = await startPython(newest!, script);
		const archive = path.join(dir, 'gone.bin');
		try {
			const result = await runCli(['attach', '-d', '1', '--binary', '-o', archive, String(target.pid)]);
			assert.equal(result.code, 0, result.stderr);
		} finally {
			await target.stop();
		}

		const hotLine = fs.readFileSync(script, 'utf8').split('\n').find(line => line.includes('# the hottest line'))!.trim();
		fs.rmSync(script);
		const heat = path.join(dir, 'gone-heat');
		const replayed = await runCli(['replay', '--heatmap', '-o', heat, archive]);
		assert.equal(replayed.code, 0, replayed.stderr);
		const page = outputText(heat);
		assert.ok(page.includes(hotLine.replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')) || page.includes(hotLine), 'the hot line\'s code is in the page');
		assert.equal(readBinaryProfile(fs.readFileSync(archive)).profile.sources.lines(script)?.some(line => line.includes('# the hottest line')), true);
	});

	test('a target whose code claims a FIFO, /dev/zero and line 2**30: dump, flame graph and heatmap finish, small', {skip: newest ? false : 'no test Python', timeout: 180_000}, async () => {
		const fifo = path.join(dir, 'source.fifo');
		execFileSync('mkfifo', [fifo]);
		const target = await startPython(newest!, 'special-sources.py', ['/dev/zero', fifo, '/dev/urandom']);
		try {
			const dump = await runCli(['dump', String(target.pid)], {timeoutMs: 60_000});
			assert.equal(dump.code, 0, dump.stderr);
			assert.match(dump.stdout, /File "(\/dev\/zero|.*source\.fifo|\/dev\/urandom|.*special-sources\.py)", line \d+, in (claims_\d|far_away)/);
			for (const format of ['flamegraph', 'heatmap']) {
				const out = path.join(dir, `special-${format}`);
				const result = await runCli(['attach', '-d', '1', `--${format}`, '-o', out, String(target.pid)], {timeoutMs: 60_000});
				assert.equal(result.code, 0, `${format}: ${result.stderr}`);
				assert.ok(outputBytes(out) < 5_000_000, `${format}: ${outputBytes(out)} bytes`);
			}

			const heatmap = outputText(path.join(dir, 'special-heatmap'));
			assert.match(heatmap, /id="L107374182\d"/, 'the far line is a row of its own');
			assert.doesNotMatch(heatmap, /\u0000/);
		} finally {
			await target.stop();
		}
	});

	test('an archive with a frame at line 2**30 replays to every HTML format in little memory', async () => {
		const archive = path.join(dir, 'far-line.bin');
		fs.writeFileSync(archive, binaryFile(profileNaming('/srv/app/far.py', [3, 2 ** 30, 2 ** 31 - 1])));
		for (const format of ['heatmap', 'flamegraph', 'pstats', 'gecko']) {
			const out = path.join(dir, `far-${format}`);
			const result = await runCli(['replay', `--${format}`, '-o', out, archive], {timeoutMs: 60_000});
			assert.equal(result.code, 0, `${format}: ${result.stderr}`);
			assert.ok(outputBytes(out) < 2_000_000, `${format}: ${outputBytes(out)} bytes`);
		}

		assert.match(outputText(path.join(dir, 'far-heatmap')), /id="L2147483647"/);
	});

	const nobody = (() => {
		try {
			return Number(execFileSync('id', ['-u', 'nobody'], {encoding: 'utf8'}).trim());
		} catch {
			return undefined;
		}
	})();
	const asRoot = process.getuid?.() === 0 && nobody !== undefined && fs.existsSync('/usr/sbin/runuser');
	test('as root, a target is shown only the code its own user may read', {skip: !asRoot ? 'needs root and the user nobody' : !newest ? 'no test Python' : false}, async () => {
		// A directory nobody can enter, with the script and a file it claims, both world-readable
		// inside: the target's user reaches neither; another, public, file is shown.
		const open = fs.mkdtempSync(path.join(os.tmpdir(), 'tachyon-top-public-'));
		const closed = fs.mkdtempSync(path.join(os.tmpdir(), 'tachyon-top-private-'));
		fs.chmodSync(open, 0o755);
		fs.chmodSync(closed, 0o700);
		const script = path.join(open, 'special-sources.py');
		fs.copyFileSync(path.join(fixtures, 'special-sources.py'), script);
		fs.chmodSync(script, 0o644);
		const privateFile = path.join(closed, 'private.py');
		fs.writeFileSync(privateFile, 'PRIVATE_LINE = 1\n'.repeat(30), {mode: 0o644});
		const publicFile = path.join(open, 'public.py');
		fs.writeFileSync(publicFile, 'PUBLIC_LINE = 1\n'.repeat(30), {mode: 0o644});
		let pid: number | undefined;
		const child = spawn('/usr/sbin/runuser', ['-u', 'nobody', '--', newest!.path, script, privateFile, publicFile], {stdio: ['ignore', 'pipe', 'pipe']});
		try {
			await new Promise<void>((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error('the target did not start')), 15_000);
				child.stdout.on('data', () => {
					clearTimeout(timer);
					resolve();
				});
			});
			// runuser may run the target as its child rather than exec it.
			pid = child.pid!;
			try {
				pid = Number(execFileSync('pgrep', ['-P', String(child.pid), '-u', String(nobody)], {encoding: 'utf8'}).trim().split('\n')[0]);
			} catch {
				// It exec'd: the target is runuser's pid.
			}

			const out = path.join(dir, 'as-nobody-heat');
			const result = await runCli(['attach', '-d', '1.5', '--heatmap', '-o', out, String(pid)]);
			assert.equal(result.code, 0, result.stderr);
			const text = outputText(out);
			assert.match(text, /PUBLIC_LINE/);
			assert.doesNotMatch(text, /PRIVATE_LINE/);
		} finally {
			child.kill('SIGKILL');
			if (pid !== undefined && pid !== child.pid) {
				process.kill(pid, 'SIGKILL');
			}

			fs.rmSync(open, {recursive: true, force: true});
			fs.rmSync(closed, {recursive: true, force: true});
		}
	});
});
