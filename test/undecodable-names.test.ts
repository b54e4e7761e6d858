// A script whose directory and file name hold bytes that are not UTF-8 (a Latin-1 `café`, a
// stray 0xFF): Python names it with lone surrogates (surrogateescape), and the collapsed stacks
// keep them as Tachyon writes them (surrogatepass: ED B3 BC for U+DCFC), never as U+FFFD; the
// pstats file loads back in Python with the same name. Every installed version; on 3.15 the
// bytes are compared with Tachyon's own output.
import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {runCli, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

/**
 * Makes <tmp>/caf\xE9_\xFF/m\xFCd.py (bytes, not UTF-8) with a spinning function, and a launcher
 * with an ASCII name that execs Python on it (Node passes arguments as UTF-8 text, so it cannot
 * name that file itself); returns the launcher.
 */
function undecodableScript(): string {
	const work = tempDir();
	const directory = Buffer.concat([Buffer.from(work, 'utf8'), Buffer.from('/caf\u00E9_\u00FF', 'latin1')]);
	fs.mkdirSync(directory);
	const script = Buffer.concat([directory, Buffer.from('/m\u00FCd.py', 'latin1')]);
	fs.writeFileSync(script, 'def spin_\u00E9():\n    while True:\n        pass\n\n\nprint("ready", flush=True)\nspin_\u00E9()\n');
	const launcher = path.join(work, 'launch.py');
	fs.writeFileSync(launcher, `import os, sys\nscript = os.fsdecode(bytes.fromhex("${script.toString('hex')}"))\nos.execv(sys.executable, [sys.executable, script])\n`);
	return launcher;
}

/** Tachyon's collapsed output (3.15) as bytes. */
async function tachyonCollapsedBytes(interpreter: string, pid: number): Promise<Buffer> {
	const out = path.join(tempDir(), 'tachyon.txt');
	const child = spawn(interpreter, ['-m', 'profiling.sampling', 'attach', '--collapsed', '-o', out, '-d', '1', String(pid)], {stdio: 'ignore'});
	const code = await new Promise(resolve => child.on('exit', resolve));
	assert.equal(code, 0, 'Tachyon ran');
	return fs.readFileSync(out);
}

/** How the file's name reads in collapsed stacks: `m` U+DCFC `d.py`, surrogatepass-encoded. */
const expectedName = Buffer.from('6dedb3bc642e7079', 'hex');
const replacement = Buffer.from('efbfbd', 'hex');

for (const python of testPythons()) {
	describe(`undecodable file names on Python ${python.version}`, () => {
		test('collapsed stacks keep the bytes (surrogatepass), the pstats file loads back the same name', async () => {
			const target = await startPython(python, undecodableScript());
			running.push(target);
			const dir = tempDir();
			const out = path.join(dir, 'stacks.txt');
			const result = await runCli(['attach', '--collapsed', '-d', '1', '-o', out, String(target.pid)]);
			assert.equal(result.code, 0, result.stderr);
			const bytes = fs.readFileSync(out);
			assert.ok(bytes.includes(Buffer.concat([expectedName, Buffer.from(':spin_\u00E9:3', 'utf8')])), `the file name as Tachyon writes it: ${bytes.toString('hex').slice(0, 200)}`);
			assert.ok(!bytes.includes(replacement), 'no U+FFFD');
			if (python.version === '3.15') {
				const theirs = await tachyonCollapsedBytes(python.path, target.pid);
				const frame = (text: Buffer) => text.subarray(text.indexOf(expectedName), text.indexOf(Buffer.from(':spin_', 'utf8'), text.indexOf(expectedName)));
				assert.deepEqual(frame(bytes), frame(theirs), 'the same bytes as Tachyon');
			}

			const stats = path.join(dir, 'stats.pstats');
			const pstats = await runCli(['attach', '-d', '1', '-o', stats, String(target.pid)]);
			assert.equal(pstats.code, 0, pstats.stderr);
			const names = execFileSync(python.path, ['-c', 'import pstats, sys; print(ascii(sorted({f for f, _, _ in pstats.Stats(sys.argv[1]).stats})))', stats], {encoding: 'utf8'});
			assert.match(names, /caf\\udce9_\\udcff\/m\\udcfcd\.py/, `pstats loads the name back: ${names}`);
			await target.stop();
		});
	});
}
