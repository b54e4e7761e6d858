// The picker with a lister whose processes we choose (no Python needed): fzf's extended syntax
// over every column, rows that stay still while the user filters or has moved, keys handled one
// at a time however they arrive, Enter on the row highlighted whatever refreshes came between,
// and a process we may not read explained instead of ignored.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {highlightRuns} from '../../components/picker/picker-columns.js';
import {keepOrder, Picker, pickerFooter, pickerMatches} from '../../components/picker/picker.js';
import {shortPermissionAdvice, type PermissionFacts} from '../../sampler/permission-advice.js';
import type {ProcessEntry} from '../../sampler/process-list.js';
import {renderAt, widestLine} from '../render-at.js';

const delay = async (ms: number) => new Promise(resolve => {
	setTimeout(resolve, ms);
});

const down = '\u001B[B';

function entry(pid: number, user: string, version: string, command: string, cpuPercent = 0): ProcessEntry {
	return {pid, user, version, cpuPercent, rssBytes: 1e7, uptimeS: 60, command};
}

const processes = [
	entry(101, 'alice', '3.11.2', 'python3 web.py'),
	entry(102, 'bob', '3.11.2', 'python3 web.py'),
	entry(103, 'alice', '3.15.0', 'python3 worker.py'),
	entry(104, 'carol', '3.13.1', 'python3 batch.py'),
];

/** Each listing sorts the processes by a CPU share that changes every time, as the real lister does. */
function shufflingLister(entries: readonly ProcessEntry[]) {
	let round = 0;
	return {
		list() {
			round++;
			return entries.map((item, index) => ({...item, cpuPercent: (index * 7 + round * 13) % 29})).sort((a, b) => b.cpuPercent - a.cpuPercent);
		},
	};
}

const listed = (frame: string) => frame.split('\n').filter(line => /^[› ] +\d+ /.test(line)).map(line => Number(/\d+/.exec(line)![0]));
const selected = (frame: string) => Number(/^› +(\d+)/m.exec(frame)?.[1]);

test('space-separated terms must all match (fzf extended syntax), over PID, user, version and command', () => {
	const pids = (query: string) => pickerMatches(processes, query).map(match => match.item.pid).sort();
	assert.deepEqual(pids('alice 3.11'), [101]);
	assert.deepEqual(pids('web !bob'), [101]);
	assert.deepEqual(pids('3.15'), [103]);
	assert.deepEqual(pids('carol'), [104]);
	assert.deepEqual(pids('^10 wkr'), [103]);
});

test('a refresh keeps the rows shown in their order, new processes last', () => {
	const fresh = [processes[3]!, entry(105, 'dan', '3.12.1', 'python3 new.py'), processes[0]!, processes[1]!];
	assert.deepEqual(keepOrder(fresh, processes).map(item => item.pid), [101, 102, 104, 105]);
});

test('keys that arrive in one read each do their part; the order stays still while filtering; Enter takes the highlighted row through refreshes', async () => {
	const picked: ProcessEntry[] = [];
	const view = render(<Picker lister={shufflingLister(processes)} onPick={item => picked.push(item)} onQuit={() => undefined} refreshMs={40} />);
	await delay(60);
	const frame = () => view.lastFrame() ?? '';
	view.stdin.write('web');
	await delay(60);
	assert.match(frame(), /> web_/);
	let order = listed(frame());
	assert.deepEqual([...order].sort(), [101, 102]);
	for (let round = 0; round < 5; round++) {
		await delay(60);
		assert.deepEqual(listed(frame()), order, 'refreshes do not reorder while filtering');
	}

	// ↓ and Enter in one read: Enter takes the row ↓ highlighted, though the list refreshed meanwhile.
	view.stdin.write(`${down}\r`);
	await delay(60);
	assert.equal(picked.length, 1);
	assert.equal(picked[0]!.pid, order[1]);
	// Clearing the filter lets the list follow the CPU order again; after ↓ it stays still.
	view.stdin.write('\u001B');
	await delay(80);
	view.stdin.write(down);
	await delay(60);
	order = listed(frame());
	const chosen = selected(frame());
	for (let round = 0; round < 5; round++) {
		await delay(60);
		assert.deepEqual(listed(frame()), order, 'refreshes do not reorder once the selection moved');
		assert.equal(selected(frame()), chosen);
	}

	view.stdin.write('\r');
	await delay(60);
	assert.equal(picked[1]!.pid, chosen);
	view.unmount();
});

test('Enter on a process we may not read says why and what to do, from the cause, in one line of 80 columns', async () => {
	const locked = {...entry(201, 'root', '3.11.2', 'python3 daemon.py'), unreadable: 'no permission to read its memory'};
	const us = {pid: 201, uid: 1000, gid: 1000, capSysPtrace: false, yamaScope: 0, targetUids: [1000, 1000, 1000], targetGids: [1000, 1000, 1000], targetUser: 'alice', dumpable: true, descendant: false};
	const cases: Array<[Partial<PermissionFacts>, RegExp]> = [
		[{targetUids: [0, 0, 0], targetGids: [0, 0, 0], targetUser: 'root'}, /PID 201 \(root\): owned by root: run tachyon-top with sudo/],
		[{targetUids: [1001, 1001, 1001], targetUser: 'bob'}, /owned by bob: run as bob or with sudo/],
		[{uid: 0, gid: 0}, /root, but no CAP_SYS_PTRACE: --cap-add SYS_PTRACE/],
		[{dumpable: false}, /not dumpable: run with sudo or CAP_SYS_PTRACE/],
		[{yamaScope: 1}, /ptrace_scope 1: start it with run, or use sudo/],
		[{yamaScope: 3}, /ptrace_scope 3 forbids it for all, until a reboot/],
		[{uid: 0, gid: 0, capSysPtrace: true}, /refused despite CAP_SYS_PTRACE/],
	];
	for (const [facts, pattern] of cases) {
		const picked: ProcessEntry[] = [];
		// The lister's fake /proc has no PID 201: the facts the advice reads are given here.
		const advice = (item: ProcessEntry) => shortPermissionAdvice({...us, ...facts, pid: item.pid});
		const view = renderAt(<Picker lister={{list: () => [locked]}} onPick={item => picked.push(item)} onQuit={() => undefined} advice={advice} />, 80, 24);
		try {
			const messageLine = () => view.lastFrame().replaceAll(/\u001B\[[\d;]*m/g, '').split('\n').find(text => text.includes('PID 201'))?.trimEnd();
			// Conditions, not sleeps: the row is drawn before Enter, the message after it.
			for (const started = Date.now(); !view.lastFrame().includes('daemon.py') && Date.now() - started < 20_000;) {
				await delay(20);
			}

			view.stdin.write('\r');
			for (const started = Date.now(); messageLine() === undefined && Date.now() - started < 20_000;) {
				await delay(20);
			}

			assert.equal(picked.length, 0);
			const line = messageLine() ?? '';
			assert.match(line, pattern);
			assert.doesNotMatch(line, /…$/, `whole within 80 columns: ${line}`);
		} finally {
			view.unmount();
		}
	}
});

for (const [columns, rows] of [[80, 24], [80, 20]] as const) {
	test(`${columns}×${rows}: the key line keeps Enter and Esc; long commands keep their script's name`, async t => {
		const listed = [
			entry(301, 'dev', '3.15.2', 'python3.15 /home/dev/projects/tachyon-top/bench/workload.py --spin'),
			entry(302, 'dev', '3.11.7', '/usr/bin/python3 /home/dev/projects/tachyon-top/examples/workload.py 900'),
		];
		const view = renderAt(<Picker lister={{list: () => listed}} onPick={() => undefined} onQuit={() => undefined} />, columns, rows);
		// The picker refreshes on a timer: unmounted on every way out, or a failure would hang the file.
		t.after(view.unmount);
		await delay(80);
		const frame = view.lastFrame();
		assert.match(frame, /↑\/↓ select · Enter attach · Esc clear\/quit/, frame);
		assert.ok(widestLine(frame) <= columns - 1, frame);
		const lines = frame.split('\n');
		assert.ok(lines.find(line => line.includes(' 301 '))?.includes('python3.15 …/workload.py --'), frame);
		assert.doesNotMatch(frame, / RSS /, 'below 100 columns RSS gives its room to the command');
		assert.ok(lines.find(line => line.includes(' 302 '))?.includes('…/python3 …/workload.py 900'), frame);
		view.unmount();
	});
}

test('the key line at its full length where it fits, the syntax shortened first', () => {
	assert.equal(pickerFooter(200), 'type to filter (terms AND, fzf syntax: \'exact ^start end$ !not) · ↑/↓ select · Enter attach · Esc clear/quit');
	assert.equal(pickerFooter(79), 'type to filter (fzf syntax) · ↑/↓ select · Enter attach · Esc clear/quit');
});

test('a shortened command highlights the characters fzf matched where they are still shown', () => {
	const long = entry(401, 'dev', '3.11.7', 'python3 /srv/app/examples/workload.py 900');
	const [match] = pickerMatches([long], 'wkld');
	assert.ok(match);
	const runs = highlightRuns(long, match.positions, 26);
	assert.equal(runs.map(run => run.text).join(''), 'python3 …/workload.py 900'.padEnd(26));
	assert.equal(runs.filter(run => run.matched).map(run => run.text).join(''), 'wkld');
	// Too long even so: cut at the end.
	assert.equal(highlightRuns(long, new Set(), 12).map(run => run.text).join(''), 'python3 …/w…');
});
