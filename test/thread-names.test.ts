// Thread names as Python knows them (threading.Thread(name=...)), on every installed CPython:
// read from the target's threading module, since 3.11–3.13 leave OS threads named after the
// interpreter and 3.14+ name them but the kernel keeps 15 bytes (`io-worker-with-` for
// io-worker-with-a-long-name). The OS name only where threading knows none (a thread started
// by _thread that named itself with prctl). Checked in dump, gecko (attach and run, with
// threads that come and go and reuse idents) and the live store's thread list.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {LiveStore} from '../live/live-store.js';
import {delay, fixtures, missingVersions, runCli, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';

const dir = tempDir('tachyon-top-thread-names-');
const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
	fs.rmSync(dir, {recursive: true, force: true});
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Each gecko thread's name and the functions its samples ran. */
function geckoThreads(file: string): Array<{name: string; functions: Set<string>}> {
	const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
	const strings = profile['shared'].stringArray as string[];
	return (profile['threads'] as Json[]).map(thread => {
		const functions = new Set<string>();
		for (let stack of thread['samples'].stack as Array<number | null>) {
			for (; stack !== null && stack !== undefined; stack = thread['stackTable'].prefix[stack] as number | null) {
				functions.add(strings[thread['funcTable'].name[thread['frameTable'].func[thread['stackTable'].frame[stack]]]]!);
			}
		}

		return {name: thread['name'] as string, functions};
	});
}

/** The gecko thread that ran `fn`; its name is "NAME (TID)" or "Thread-TID". */
function nameOf(threads: ReturnType<typeof geckoThreads>, fn: string): string | undefined {
	return threads.find(thread => thread.functions.has(fn))?.name.replace(/ \(\d+\)$/, '');
}

for (const version of missingVersions(['3.11', '3.12', '3.13', '3.14', '3.15'])) {
	test(`thread names on Python ${version}`, {skip: `Python ${version} is not installed on this machine`}, () => {});
}

for (const python of testPythons()) {
	describe(`thread names on Python ${python.version}`, () => {
		test('dump -a names each thread', async () => {
			const target = await startPython(python, 'thread_names.py');
			running.push(target);
			const {code, stdout, stderr} = await runCli(['dump', '-a', String(target.pid)]);
			assert.equal(code, 0, stderr);
			const sections = stdout.split('\n\n');
			const header = (fn: string) => sections.find(section => section.includes(`, in ${fn}\n`))?.split('\n')[0];
			assert.match(header('io_wait') ?? stdout, /^Thread \d+ \(io-worker-with-a-long-name, /);
			assert.match(header('crunch') ?? stdout, /^Thread \d+ \(number-cruncher, /);
			assert.match(header('parked') ?? stdout, /^Thread \d+ \(ünïcode-wait, /);
			assert.match(header('os_named') ?? stdout, /^Thread \d+ \(os-named, /);
			assert.match(sections.find(section => section.startsWith(`Thread ${target.pid} `)) ?? stdout, /^Thread \d+ \(MainThread, /);
		});

		test('attach --gecko carries the names', async () => {
			const target = running.at(-1)!;
			const file = path.join(dir, `attach-${python.version}.json`);
			const result = await runCli(['attach', '-a', '-d', '1', '--gecko', '-o', file, String(target.pid)]);
			assert.equal(result.code, 0, result.stderr);
			const threads = geckoThreads(file);
			const names = threads.map(thread => thread.name).join(', ');
			assert.equal(nameOf(threads, 'io_wait'), 'io-worker-with-a-long-name', names);
			assert.equal(nameOf(threads, 'crunch'), 'number-cruncher', names);
			assert.equal(nameOf(threads, 'parked'), 'ünïcode-wait', names);
			assert.equal(nameOf(threads, 'os_named'), 'os-named', names);
		});

		test('the live store lists the threads by name', async () => {
			const target = running.at(-1)!;
			const store = new LiveStore({pid: target.pid, intervalUs: 1000, outputDir: dir}).start();
			try {
				const wanted = ['MainThread', 'io-worker-with-a-long-name', 'number-cruncher', 'ünïcode-wait', 'os-named'];
				const deadline = Date.now() + 15_000;
				let names: string[] = [];
				while (Date.now() < deadline) {
					names = store.getSnapshot().threads.map(thread => thread.name);
					if (wanted.every(name => names.includes(name))) {
						break;
					}

					await delay(100);
				}

				assert.deepEqual(names.filter(name => wanted.includes(name)).sort(), [...wanted].sort(), names.join(', '));
			} finally {
				store.stop();
			}
		});

		test('threads that come and go (reused idents) get their own names, attached and under run', async () => {
			// Six short-lived threads, one after another, then the script ends (and the capture): the
			// attached one starts them once our sampler runs, as run's does from its first line.
			const go = path.join(dir, `churn-go-${python.version}`);
			const target = await startPython(python, 'thread_names.py', ['churn', '6'], 'ready', {CHURN_GO: go});
			running.push(target);
			const attached = path.join(dir, `churn-attach-${python.version}.json`);
			const launched = path.join(dir, `churn-run-${python.version}.json`);
			const [attach, run] = await Promise.all([
				runCli(['attach', '-a', '--realtime-stats', '--gecko', '-o', attached, String(target.pid)], {
					timeoutMs: 120_000,
					onStderr(_child, text) {
						if (text.includes('Stats:') && !fs.existsSync(go)) {
							fs.writeFileSync(go, '');
						}
					},
				}),
				runCli(['run', '-a', '--gecko', '-o', launched, '--python', python.path, path.join(fixtures, 'thread_names.py'), 'churn', '6'], {timeoutMs: 120_000}),
			]);
			assert.equal(attach.code, 0, attach.stderr);
			assert.equal(run.code, 0, run.stderr);
			for (const file of [attached, launched]) {
				const threads = geckoThreads(file);
				const names = threads.map(thread => thread.name).join(', ');
				assert.equal(nameOf(threads, 'crunch'), 'number-cruncher', names);
				const shortLived = threads.filter(thread => thread.functions.has('short_lived')).map(thread => thread.name.replace(/ \(\d+\)$/, ''));
				// Each lives 0.2 s: sampled unless the sampler waited that long for a CPU (it has, at load 30).
				assert.ok(shortLived.length >= 4, names);
				// Never another thread's name (a reused ident). A thread sampled while it starts,
				// before its Thread has its ident and native id, is asked again for two seconds: only
				// one that ends first (or the capture does) keeps none.
				const named = shortLived.filter(name => /^short-lived-\d+$/.test(name));
				assert.equal(new Set(named).size, named.length, names);
				assert.ok(named.length >= shortLived.length - 1, names);
				assert.ok(shortLived.every(name => named.includes(name) || /^Thread-\d+$/.test(name)), names);
			}
		});
	});
}
