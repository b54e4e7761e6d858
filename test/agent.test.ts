// `tachyon-top agent` against a Pyroscope-style /ingest on 127.0.0.1 (test/ingest-server.ts),
// with real Python targets: windows every interval with the right series and times, samples
// that add up, nothing lost through 503s or a server that goes away and comes back, processes
// found by --match as they start and finished as they exit, files in --output-dir.
import assert from 'node:assert/strict';
import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {PushQueue} from '../live/agent/push-queue.js';
import {cli, delay, python, runCli, startPython, tempDir, testPythons, type PythonProcess} from './helpers.js';
import {IngestServer, type ReceivedWindow} from './ingest-server.js';
import {readPprof} from './pprof-helpers.js';

const running: PythonProcess[] = [];
const agents: ChildProcess[] = [];
const servers: IngestServer[] = [];
after(async () => {
	for (const agent of agents) {
		agent.kill('SIGKILL');
	}

	await Promise.all([...running.map(async target => target.stop()), ...servers.map(async server => server.stop())]);
});

/** Polls `condition` until it holds; fails with `what` after a generous deadline (the machine may be busy). */
async function waitFor(what: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) {
			throw new Error(`timed out waiting for ${what}`);
		}

		await delay(50);
	}
}

type RunningAgent = {
	readonly child: ChildProcess;
	stderr(): string;
	/** Stops it as a service manager would, and resolves with its exit code. */
	stop(signal?: NodeJS.Signals): Promise<number | null>;
	readonly exited: Promise<number | null>;
};

function startAgent(args: string[]): RunningAgent {
	const child = spawn(process.execPath, [cli, 'agent', ...args], {stdio: ['ignore', 'ignore', 'pipe']});
	agents.push(child);
	let stderr = '';
	child.stderr.on('data', (data: Buffer) => {
		stderr += data.toString();
	});
	const exited = new Promise<number | null>(resolve => {
		child.on('exit', code => {
			resolve(code);
		});
	});
	return {
		child,
		stderr: () => stderr,
		exited,
		async stop(signal = 'SIGINT') {
			child.kill(signal);
			return exited;
		},
	};
}

async function startServer(): Promise<IngestServer> {
	const server = new IngestServer();
	servers.push(server);
	await server.start();
	return server;
}

/** The agent's own account of a process at exit (--verbose): windows made, samples in them, windows sent. */
function reported(stderr: string, pid: number): {windows: number; samples: number; sent: number; end: string} {
	const match = new RegExp(`pid ${pid}: (\\d+) windows, (\\d+) samples, (\\d+) windows sent \\((\\w+)\\)`).exec(stderr);
	assert.ok(match, `no totals for pid ${pid} in:\n${stderr}`);
	return {windows: Number(match[1]), samples: Number(match[2]), sent: Number(match[3]), end: match[4]!};
}

/** Windows of one process follow each other with no gap and no overlap, to the nanosecond. */
function assertContiguous(windows: ReceivedWindow[]): void {
	const sorted = windows.toSorted((a, b) => Number(BigInt(a.pprof.raw.timeNanos) - BigInt(b.pprof.raw.timeNanos)));
	for (let index = 1; index < sorted.length; index++) {
		const previous = sorted[index - 1]!;
		const end = BigInt(previous.pprof.raw.timeNanos) + BigInt(previous.pprof.raw.durationNanos);
		assert.equal(BigInt(sorted[index]!.pprof.raw.timeNanos), end, `window ${index} starts where window ${index - 1} ended`);
		assert.equal(sorted[index]!.from, Math.floor(Number(end / 1_000_000_000n)), 'from/until follow the windows');
	}
}

/** Every window the agent made for the process arrived, back to back, with every sample it counted. */
function assertNothingLost(windows: ReceivedWindow[], stderr: string, pid: number): ReturnType<typeof reported> {
	const totals = reported(stderr, pid);
	assert.equal(windows.length, totals.windows, stderr);
	assert.equal(totals.sent, totals.windows);
	assertContiguous(windows);
	assert.equal(windows.reduce((sum, window) => sum + window.samples, 0), totals.samples, 'every sample taken was pushed');
	return totals;
}

const hasFunction = (window: ReceivedWindow, name: string) => window.pprof.samples.some(sample => sample.frames.some(frame => frame.name === name));

describe('agent: the push queue', () => {
	test('oldest windows are dropped to stay under the memory limit, and counted', async () => {
		const sent: number[] = [];
		let open = false;
		const dropped: number[] = [];
		const queue = new PushQueue<{bytes: number; id: number}>({
			limitBytes: 350,
			send(item) {
				if (!open) {
					return Promise.resolve({kind: 'retry', reason: 'ECONNREFUSED'});
				}

				sent.push(item.id);
				return Promise.resolve({kind: 'sent', status: 200});
			},
			onDropped(count) {
				dropped.push(count);
			},
			backoffMs: {first: 5, max: 20},
		});
		for (let id = 0; id < 6; id++) {
			queue.add({bytes: 100, id});
		}

		// Window 0 is being sent (and retried); the oldest of the others went to make room.
		assert.equal(queue.length, 3);
		assert.equal(queue.queuedBytes, 300);
		assert.equal(queue.stats.dropped, 3);
		assert.deepEqual(dropped, [1, 1, 1]);
		await waitFor('a few retries', () => queue.stats.retried >= 3, 10_000);
		open = true;
		assert.equal(await queue.flush(10_000), 0);
		assert.deepEqual(sent, [0, 4, 5], 'in order, the survivors');
		assert.equal(queue.stats.sent, 3);
	});

	test('a refused window (4xx) is dropped, not retried; a stop gives up after its deadline and counts what was left', async () => {
		const queue = new PushQueue<{bytes: number; id: number}>({
			limitBytes: 1e6,
			send: item => Promise.resolve(item.id === 0 ? {kind: 'rejected', reason: '400 Bad Request'} : {kind: 'retry', reason: 'timed out'}),
			backoffMs: {first: 5, max: 20},
		});
		queue.add({bytes: 10, id: 0});
		queue.add({bytes: 10, id: 1});
		queue.add({bytes: 10, id: 2});
		assert.equal(await queue.flush(300), 2);
		assert.deepEqual({...queue.stats, retried: queue.stats.retried > 0}, {sent: 0, retried: true, dropped: 2, rejected: 1});
		assert.equal(queue.length, 0);
	});
});

describe('agent: the command line', () => {
	const cases: Array<[string, string[], RegExp]> = [
		['no --app', ['--server', 'http://127.0.0.1:9', '1'], /Expected `--app NAME`/],
		['neither --server nor --output-dir', ['--app', 'x', '1'], /Expected `--server URL` \(Pyroscope\) or `--output-dir DIR`/],
		['a server that is no URL', ['--app', 'x', '--server', 'localhost 4040', '1'], /Expected `--server` to be a URL/],
		['no target', ['--app', 'x', '--server', 'http://127.0.0.1:9'], /Expected one of: process ids, --match REGEX, --all-python/],
		['two kinds of target', ['--app', 'x', '--server', 'http://127.0.0.1:9', '--all-python', '1'], /Expected one of/],
		['a tag without a value', ['--app', 'x', '--server', 'http://127.0.0.1:9', '--tag', 'env', '1'], /Expected `--tag` as NAME=VALUE/],
		['a tag that would break the series name', ['--app', 'x', '--server', 'http://127.0.0.1:9', '--tag', 'env=a,b', '1'], /must be non-empty, without spaces/],
		['a tag the agent sets', ['--app', 'x', '--server', 'http://127.0.0.1:9', '--tag', 'pid=3', '1'], /sets `pid` itself/],
		['a header without a colon', ['--app', 'x', '--server', 'http://127.0.0.1:9', '--header', 'Authorization Bearer x', '1'], /Expected `--header` as 'Name: value'/],
		['a bad regular expression', ['--app', 'x', '--server', 'http://127.0.0.1:9', '--match', '('], /Expected `--match` to be a regular expression/],
		['an interval under a second', ['--app', 'x', '--server', 'http://127.0.0.1:9', '--interval', '0.5', '1'], /at least 1 second/],
		['a process that does not exist', ['--app', 'x', '--server', 'http://127.0.0.1:9', '999999999'], /No such process: 999999999/],
	];
	for (const [what, args, message] of cases) {
		test(`${what}: one line, non-zero exit`, async () => {
			const {code, stderr} = await runCli(['agent', ...args]);
			assert.notEqual(code, 0);
			assert.match(stderr, message);
			assert.equal(stderr.trim().split('\n').length, 1, stderr);
			assert.doesNotMatch(stderr, /\n\s+at /);
		});
	}

	test('agent --help', async () => {
		const {code, stdout} = await runCli(['agent', '--help']);
		assert.equal(code, 0);
		assert.match(stdout, /--server URL/);
		assert.match(stdout, /--match REGEX/);
	});
});

const py = python('3.11') ?? testPythons()[0];

describe('agent with real processes', {skip: py ? false : 'no test Python'}, () => {
	test('a window every interval: series name, tags, headers, from/until; pushed samples add up to the samples taken', async () => {
		const server = await startServer();
		const target = await startPython(py!, 'agent-target.py', ['named']);
		running.push(target);
		const agent = startAgent(['--server', server.url, '--app', 'shop', '--tag', 'env=test', '--tag', 'region=eu-1', '--header', 'X-Scope-OrgID: team-a',
			'--header', 'Authorization: Bearer s3cret', '--interval', '1', '-r', '100', '--verbose', String(target.pid)]);
		await waitFor('five windows', () => server.windowsOf(target.pid).length >= 5);
		assert.equal(await agent.stop('SIGTERM'), 0, agent.stderr());
		await target.stop();
		assert.deepEqual([server.malformed, server.refused], [[], []]);
		const windows = server.windowsOf(target.pid);
		const version = /^\d+\.\d+/.exec(py!.version)![0];
		for (const window of windows) {
			assert.equal(window.query.get('name'), `shop{env=test,region=eu-1,pid=${target.pid},python=${version}}`);
			assert.equal(window.query.get('sampleRate'), '100');
			assert.equal(window.headers['x-scope-orgid'], 'team-a');
			assert.equal(window.headers['authorization'], 'Bearer s3cret');
			assert.match(window.headers['content-type'] ?? '', /^multipart\/form-data; boundary=/);
			assert.deepEqual(window.pprof.sampleTypes, [['samples', 'count'], ['wall', 'nanoseconds']]);
			assert.equal(Number(window.pprof.raw.period), 10_000_000, '100 Hz');
			// One interval each (the first starts when sampling did; a busy machine delays the cut a little).
			assert.ok(Number(window.pprof.raw.durationNanos) <= 3e9, `window of ${Number(window.pprof.raw.durationNanos) / 1e9} s`);
			const fromNs = BigInt(window.pprof.raw.timeNanos);
			assert.equal(window.from, Math.floor(Number(fromNs / 1_000_000_000n)));
			assert.ok(window.until - window.from >= 1 && window.until - window.from <= 3, `${window.from}–${window.until}`);
		}

		assert.ok(windows.some(window => hasFunction(window, 'agent_busy')) && windows.some(window => hasFunction(window, 'agent_sleep')));
		const totals = assertNothingLost(windows, agent.stderr(), target.pid);
		assert.equal(totals.end, 'stopped');
		// And the samples are what 100 Hz gives over the time the windows cover (most of it, on a busy machine).
		const coveredS = windows.reduce((sum, window) => sum + (Number(window.pprof.raw.durationNanos) / 1e9), 0);
		assert.ok(totals.samples > coveredS * 100 * 0.5 && totals.samples <= (coveredS * 100 * 1.05) + 2, `${totals.samples} samples in ${coveredS.toFixed(2)} s`);
		assert.equal(agent.stderr().match(/pushed shop\{/g)?.length, windows.length, 'one line per push with --verbose');
	});

	test('a server answering 503 for a while loses no window', async () => {
		const server = await startServer();
		server.failWith = 503;
		const target = await startPython(py!, 'agent-target.py', ['unavailable']);
		running.push(target);
		const agent = startAgent(['--server', server.url, '--app', 'shop', '--interval', '1', '--verbose', String(target.pid)]);
		await waitFor('three refused pushes', () => server.refused.length >= 3);
		assert.match(agent.stderr(), /push of shop\{pid=\d+,python=[\d.]+\} failed \(503 Service Unavailable: try again later\); retrying in/);
		server.failWith = undefined;
		await waitFor('the backlog, then two more windows', () => server.windowsOf(target.pid).length >= 5);
		assert.equal(await agent.stop(), 0, agent.stderr());
		await target.stop();
		assertNothingLost(server.windowsOf(target.pid), agent.stderr(), target.pid);
		assert.match(agent.stderr(), /stopped: \d+ windows sent, [1-9]\d* retried, 0 dropped, 0 queued/);
	});

	test('a server that goes down and comes back loses no window', async () => {
		const server = await startServer();
		const target = await startPython(py!, 'agent-target.py', ['down-and-up']);
		running.push(target);
		const agent = startAgent(['--server', server.url, '--app', 'shop', '--interval', '1', '--verbose', String(target.pid)]);
		await waitFor('two windows', () => server.windowsOf(target.pid).length >= 2);
		await server.stop();
		const before = server.windows.length;
		await waitFor('failed pushes', () => (agent.stderr().match(/failed \((ECONNREFUSED|ECONNRESET|socket hang up)\)/g)?.length ?? 0) >= 2);
		await server.start();
		await waitFor('the backlog', () => server.windows.length >= before + 3);
		assert.equal(await agent.stop(), 0, agent.stderr());
		await target.stop();
		assertNothingLost(server.windowsOf(target.pid), agent.stderr(), target.pid);
	});

	test('--match: a process started after the agent is found; when it exits its last window is sent and the agent goes on', async () => {
		const server = await startServer();
		const token = `agent-match-${process.pid}`;
		const other = await startPython(py!, 'agent-target.py', ['not-this-one']);
		running.push(other);
		const agent = startAgent(['--server', server.url, '--app', 'batch', '--match', token, '--interval', '1', '--verbose']);
		// Its first look at the processes is done before it says it is watching.
		await waitFor('the agent to start watching', () => agent.stderr().includes('watching for Python processes'));
		assert.match(agent.stderr(), new RegExp(`watching for Python processes matching /${token}/ \\(a window every 1 s to http://127\\.0\\.0\\.1:\\d+ as batch\\)`));
		// 10 s: finding it (a look a second, taken on its second sighting) and starting its sampler
		// take 2–3 s of that at load 20, and the windows must still cover most of its run.
		const target = await startPython(py!, 'agent-target.py', [token, '10']);
		running.push(target);
		await waitFor('a window of the new process', () => server.windowsOf(target.pid).some(window => hasFunction(window, 'agent_busy')));
		await target.exited;
		await waitFor('the agent to see it exit', () => agent.stderr().includes(`pid ${target.pid} exited`));
		await waitFor('its last window', () => server.windowsOf(target.pid).length === Number(new RegExp(`pid ${target.pid} exited: (\\d+) window`).exec(agent.stderr())![1]));
		// The agent goes on looking (and exits only when stopped).
		assert.equal(agent.child.exitCode, null);
		assert.equal(await agent.stop(), 0, agent.stderr());
		const windows = server.windowsOf(target.pid);
		assert.equal(assertNothingLost(windows, agent.stderr(), target.pid).end, 'exited');
		// It ran 10 s: the windows cover most of that, up to its end.
		const coveredS = windows.reduce((sum, window) => sum + (Number(window.pprof.raw.durationNanos) / 1e9), 0);
		assert.ok(coveredS > 5 && coveredS < 11, `covered ${coveredS} s`);
		assert.deepEqual(server.windowsOf(other.pid), [], 'a process that does not match is left alone');
		assert.ok(windows.every(window => window.app === 'batch'));
	});

	test('--output-dir: one pprof file per window, whole; the status line every --status-interval', async () => {
		const dir = tempDir('tachyon-top-agent-files-');
		const target = await startPython(py!, 'agent-target.py', ['files']);
		running.push(target);
		const agent = startAgent(['--output-dir', dir, '--app', 'svc/api', '--interval', '1', '--status-interval', '1', String(target.pid)]);
		const files = () => fs.readdirSync(dir).filter(name => name.endsWith('.pb.gz'));
		await waitFor('three files', () => files().length >= 3);
		await waitFor('a status line', () => /tachyon-top agent: 1 process attached, [1-9]\d* files written/.test(agent.stderr()));
		assert.equal(await agent.stop(), 0, agent.stderr());
		await target.stop();
		assert.deepEqual(fs.readdirSync(dir).filter(name => !name.endsWith('.pb.gz')), [], 'no partial file left');
		for (const name of files()) {
			assert.match(name, new RegExp(`^svc_api_${target.pid}_\\d{8}T\\d{6}\\.\\d{3}Z\\.pb\\.gz$`));
			const pprof = readPprof(path.join(dir, name));
			assert.ok(pprof.samples.length > 0);
		}

		assert.doesNotMatch(agent.stderr(), /pushed/, 'no per-push lines without --verbose');
		assert.match(agent.stderr(), new RegExp(`stopped: ${files().length} files written`));
	});
});
