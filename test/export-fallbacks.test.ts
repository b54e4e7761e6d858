// The live view's exports (`e`) and --subprocesses' per-child files are checked and written as
// -o is for run and attach (live/output.ts): a folder that cannot take them is said before
// anything is sampled, and a write that fails at the end goes to the default name in the
// current directory, else in the temporary one, and says where.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {render} from 'ink-testing-library';
import {createElement} from 'react';
import {exporters} from '../exporters/index.js';
import {LiveStore} from '../live/live-store.js';
import {LiveView} from '../components/live-view.js';
import {waitForFrame} from './live-helpers.js';
import {delay, parseCollapsed, runCli, shareOf, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';

const dir = tempDir('tachyon-top-fallbacks-');
const newest = testPythons().at(-1);
const running: PythonProcess[] = [];
const stores: LiveStore[] = [];
const startCwd = process.cwd();
const startTmp = process.env['TMPDIR'];
function restoreTmp(): void {
	if (startTmp === undefined) {
		delete process.env['TMPDIR'];
	} else {
		process.env['TMPDIR'] = startTmp;
	}
}

after(async () => {
	process.chdir(startCwd);
	restoreTmp();

	for (const store of stores) {
		store.stop();
	}

	await Promise.all(running.map(async target => target.stop()));
	fs.rmSync(dir, {recursive: true, force: true});
});

/** A store on names.py, once it has samples with the script's frames. */
async function sampledStore(outputDir: string): Promise<{store: LiveStore; pid: number}> {
	const target = await startPython(newest!, 'names.py');
	running.push(target);
	const store = new LiveStore({pid: target.pid, intervalUs: 1000, outputDir}).start();
	stores.push(store);
	// Generous: a loaded machine (load 40 on two cores) takes many seconds to a first sample.
	for (const started = Date.now(); !store.getSnapshot().rows.some(row => row.filename.endsWith('names.py')); await delay(100)) {
		assert.ok(Date.now() - started < 90_000, `no sample of names.py: ${store.getSnapshot().status} ${store.getSnapshot().message ?? ''}`);
	}

	return {store, pid: target.pid};
}

function assertNamesProfile(file: string): void {
	const stacks = parseCollapsed(fs.readFileSync(file, 'utf8'));
	assert.ok(shareOf(stacks, 'names.py') > 0, `${file}: ${[...stacks.keys()].slice(0, 3).join('\n')}`);
}

describe('live view exports (e)', {skip: newest ? false : 'no test Python'}, () => {
	test('a folder that cannot take them is known before sampling; they go to the current directory and say so', {timeout: 180_000}, async () => {
		const cwd = fs.mkdtempSync(path.join(dir, 'cwd-'));
		process.chdir(cwd);
		try {
			const file = path.join(dir, 'a-file');
			fs.writeFileSync(file, '');
			for (const [folder, why] of [['/proc/self/exports', /\/proc\/\d+ is a kernel file system/], [path.join(file, 'exports'), /a-file is not a directory/]] as const) {
				const {store, pid} = await sampledStore(folder);
				assert.match(store.exportFolderProblem ?? '', why);
				// The view says it at once, and where e's export went.
				const view = render(createElement(LiveView, {store, onQuit: () => undefined}));
				try {
					const frame = () => view.lastFrame() ?? '';
					await waitForFrame(frame, text => text.includes(`Exports go elsewhere (e says where): ${folder.startsWith('/proc') ? '/proc/' : file}`), 60_000);
					view.stdin.write('e');
					await waitForFrame(frame, text => text.includes('Export what was sampled so far'), 60_000);
					// The menu listens for keys from its first effect on: pressed until it answers.
					for (const started = Date.now(); !frame().includes(`Wrote collapsed to ${path.join(cwd, `collapsed_${pid}.txt`)}`); await delay(200)) {
						assert.ok(Date.now() - started < 60_000, frame());
						view.stdin.write('c');
					}

					assert.ok(fs.existsSync(path.join(cwd, `collapsed_${pid}.txt`)), 'e wrote into the current directory');
					// A `c` pressed again after the menu closed only clears the filter; the files go for the next checks.
					for (const name of fs.readdirSync(cwd)) {
						fs.rmSync(path.join(cwd, name));
					}
				} finally {
					view.unmount();
				}

				const written = store.exportTo(exporters.collapsed);
				assert.equal(written.path, path.join(cwd, `collapsed_${pid}.txt`));
				assert.equal(written.failed?.path, path.join(folder, `collapsed_${pid}.txt`));
				assertNamesProfile(written.path);
				// A second export keeps the first (a suffix, as in the folder asked for).
				assert.equal(store.exportTo(exporters.collapsed).path, path.join(cwd, `collapsed_${pid}_1.txt`));
				store.stop();
			}
		} finally {
			process.chdir(startCwd);
		}
	});

	test('a write that fails at the end goes to the current directory, else the temporary one, and says where', {timeout: 180_000}, async () => {
		const cwd = fs.mkdtempSync(path.join(dir, 'cwd-'));
		const temporary = fs.mkdtempSync(path.join(dir, 'tmp-'));
		const exportsDir = fs.mkdtempSync(path.join(dir, 'exports-'));
		process.chdir(cwd);
		process.env['TMPDIR'] = temporary;
		try {
			const {store, pid} = await sampledStore(exportsDir);
			assert.equal(store.exportFolderProblem, undefined, 'a good folder at the start');
			assert.equal(store.exportTo(exporters.collapsed).path, path.join(exportsDir, `collapsed_${pid}.txt`));
			// The folder becomes a file while sampling goes on.
			fs.rmSync(exportsDir, {recursive: true});
			fs.writeFileSync(exportsDir, 'not a folder\n');
			const inCwd = store.exportTo(exporters.collapsed);
			assert.equal(inCwd.path, path.join(cwd, `collapsed_${pid}.txt`));
			assert.equal(inCwd.failed?.path, path.join(exportsDir, `collapsed_${pid}.txt`));
			assert.match(inCwd.failed?.reason ?? '', /exports-\w+ is not a directory/);
			assertNamesProfile(inCwd.path);
			// The current directory becomes a file too (a removed one would be made again): the temporary directory takes it.
			fs.rmSync(cwd, {recursive: true});
			fs.writeFileSync(cwd, 'not a folder\n');
			const inTmp = store.exportTo(exporters.collapsed);
			assert.equal(inTmp.path, path.join(temporary, `collapsed_${pid}.txt`));
			assertNamesProfile(inTmp.path);
		} finally {
			process.chdir(startCwd);
			restoreTmp();
		}
	});
});

test('started in a removed directory: the folder check says so instead of throwing (the live view still opens)', {timeout: 60_000}, () => {
	const gone = fs.mkdtempSync(path.join(dir, 'gone-'));
	const probe = path.join(dir, 'probe.mjs');
	fs.writeFileSync(probe, `const {folderProblem} = await import(${JSON.stringify(new URL('../live/output.js', import.meta.url).href)});\nprocess.stdout.write(String(folderProblem('.')));\n`);
	// A process that never asked for its directory before it went: process.cwd() throws there.
	const said = execFileSync('/bin/sh', ['-c', 'cd "$1" && rmdir "$1" && exec "$2" "$3"', 'sh', gone, process.execPath, probe], {encoding: 'utf8', timeout: 60_000});
	assert.equal(said, 'the current directory was removed');
});

/** A parent that takes its output folder away (and with `dropCwd` its working directory), then runs a child that spins. */
const saboteur = `
import os, shutil, subprocess, sys
def parent_waits(out):
    shutil.rmtree(out)
    with open(out, "w") as file:
        file.write("not a folder\\n")
    if len(sys.argv) > 2:
        # Made a file: a removed folder would just be made again.
        cwd = os.getcwd()
        os.rmdir(cwd)
        with open(cwd, "w") as file:
            file.write("not a folder\\n")
    subprocess.run([sys.executable, "-c", "import time\\ndef child_spins():\\n    end = time.time() + 2\\n    while time.time() < end: pass\\nchild_spins()\\n"], check=True)
parent_waits(sys.argv[1])
`;

describe('--subprocesses: each child\'s file', {skip: newest ? false : 'no test Python'}, () => {
	test('a folder the user may not write: refused before sampling (pstats table on stdout, children\'s files in the current directory)', {timeout: 120_000, skip: process.getuid?.() === 0 && fs.existsSync('/usr/sbin/runuser') ? false : 'needs root and runuser to run as another user'}, async () => {
		const target = await startPython(newest!, 'sleep.py');
		running.push(target);
		const closed = fs.mkdtempSync(path.join(os.tmpdir(), 'tachyon-top-closed-'));
		fs.chmodSync(closed, 0o755);
		try {
			const started = Date.now();
			const result = await runCli(['attach', '-d', '60', '--subprocesses', String(target.pid)], {asUser: 'nobody', cwd: closed});
			assert.equal(result.code, 2, result.stderr);
			assert.match(result.stderr, /^tachyon-top: --subprocesses: cannot create files in .*tachyon-top-closed-.* \(permission denied\) \(each child's profile goes to the current directory\)\n$/);
			assert.ok(Date.now() - started < 50_000, 'refused at once, not after -d 60');
		} finally {
			fs.rmSync(closed, {recursive: true, force: true});
		}
	});

	for (const dropCwd of [false, true]) {
		test(`a write that fails at the end goes to ${dropCwd ? 'the temporary directory (the current one is now a file)' : 'the current directory'}, and says where`, {timeout: 180_000}, async () => {
			const cwd = fs.mkdtempSync(path.join(dir, 'run-cwd-'));
			const temporary = fs.mkdtempSync(path.join(dir, 'run-tmp-'));
			const out = fs.mkdtempSync(path.join(dir, 'out-'));
			const script = path.join(dir, 'saboteur.py');
			fs.writeFileSync(script, saboteur);
			const result = await runCli(['run', '--subprocesses', '--python', newest!.path, '--collapsed', '-o', path.join(out, 'out.txt'), script, out, ...(dropCwd ? ['drop-cwd'] : [])], {cwd, env: {TMPDIR: temporary}, timeoutMs: 150_000});
			assert.equal(result.code, 0, result.stderr);
			const landed = dropCwd ? temporary : cwd;
			const failed = [...result.stderr.matchAll(/could not write (\S+)_(\d+)\.txt: [^;\n]+; the profile goes to (\S+) instead/g)];
			assert.equal(failed.length, 1, `one child: ${result.stderr}`);
			const [, base, child, fallback] = failed[0]!;
			assert.equal(base, path.join(out, 'out'));
			assert.equal(fallback, path.join(landed, `collapsed_${child}.txt`));
			const stacks = parseCollapsed(fs.readFileSync(fallback, 'utf8'));
			assert.ok(shareOf(stacks, 'child_spins') > 0, `the child's profile: ${[...stacks.keys()].slice(0, 3).join('\n')}`);
			assert.equal(shareOf(stacks, 'parent_waits'), 0, 'the child\'s alone');
			// The parent's profile went the same way.
			assert.match(result.stderr, new RegExp(`could not write ${path.join(out, 'out.txt').replaceAll('.', '\\.')}: .*; the profile goes to ${landed.replaceAll('.', '\\.')}/collapsed_\\d+\\.txt instead`));
		});
	}
});
