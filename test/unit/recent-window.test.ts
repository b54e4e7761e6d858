// The recent window's ring (exporters/recent-samples.ts) and the terminal flame graph's layout
// (live/flame-data.ts) on hand-built profiles: no Python needed.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {ThreadStatus, type FrameDef} from '../../common/profile-types.js';
import {Profile} from '../../exporters/model.js';
import {slotCount, slotUs} from '../../exporters/recent-samples.js';
import {buildFlame, flameRows, frameAt, matchingFrames, pathOf} from '../../live/flame-data.js';

function frame(funcname: string, line: number): FrameDef {
	return {filename: '/app/work.py', funcname, line, endLine: line, col: -1, endCol: -1, opcode: -1, kind: 'python'};
}

function newProfile(): Profile {
	const profile = new Profile({pid: 1, pythonVersion: '3.15.0', command: [], mode: 'wall', intervalUs: 1000, startedAt: 0, allThreads: true, gc: false, native: false, opcodes: false, asyncAware: false}, {recent: true});
	profile.frames.push(frame('main', 1), frame('old_phase', 5), frame('new_phase', 9), frame('new_phase', 10));
	return profile;
}

/** One tick per millisecond from `fromMs` to `toMs`, each sampling `stack` on thread 7. */
function ingestTicks(profile: Profile, stack: number, fromMs: number, toMs: number): void {
	const ticks: number[] = [];
	const records: number[] = [];
	for (let ms = fromMs; ms < toMs; ms++) {
		ticks.push(ms * 1000, 1000, 1);
		records.push(7, ThreadStatus.onCpu, stack);
	}

	profile.ingest({frames: [], threads: [], stacks: [], ticks: new Float64Array(ticks), records: new Uint32Array(records), stats: profile.stats} as unknown as Parameters<Profile['ingest']>[0]);
}

test('the window holds the samples of its last seconds; the totals hold everything; memory stays bounded', () => {
	const profile = newProfile();
	const main = profile.addStack(-1, 0);
	const old = profile.addStack(main, 1);
	const young = profile.addStack(main, 2);
	ingestTicks(profile, old, 0, 20_000);
	ingestTicks(profile, young, 20_000, 30_000);
	const count = (view: Parameters<Profile['select']>[0]) => {
		const byStack = new Map<number, number>();
		for (const cell of profile.select(view)) {
			byStack.set(cell.stack, (byStack.get(cell.stack) ?? 0) + cell.count);
		}

		return byStack;
	};

	const totals = count({});
	assert.equal(totals.get(old), 20_000);
	assert.equal(totals.get(young), 10_000);
	const window = count({sinceUs: profile.recent!.newestUs - 5e6});
	assert.equal(window.get(old), undefined, 'nothing older than the window');
	// Whole slots: the window starts at the slot holding its start.
	assert.ok(window.get(young)! >= 5000 && window.get(young)! <= 5000 + (slotUs / 1000), String(window.get(young)));
	// Two minutes more: the ring keeps a minute, one cell per slot here.
	ingestTicks(profile, young, 30_000, 150_000);
	assert.ok(profile.recent!.cellCount <= slotCount, `${profile.recent!.cellCount} cells kept`);
	const trend = profile.recent!.trend();
	assert.equal(trend.length, slotCount - 1);
	assert.ok(trend.every(slot => slot.ticks === slotUs / 1000 && slot.onCpu === slot.samples));
	profile.reset();
	assert.equal(profile.recent!.cellCount, 0);
});

test('flame layout: bars within one column of their share, callees under their caller, paths survive a rebuild', () => {
	const profile = newProfile();
	const main = profile.addStack(-1, 0);
	profile.addSample(7, 0, profile.addStack(main, 1), 1000, 0, 300);
	profile.addSample(7, 0, profile.addStack(main, 2), 1000, 0, 600);
	profile.addSample(7, 0, profile.addStack(main, 3), 1000, 0, 100);
	const root = buildFlame(profile, {});
	const rows = flameRows(root, 79, 10);
	assert.deepEqual(rows.map(row => row.map(bar => bar.frame.funcname)), [['all'], ['main'], ['new_phase', 'old_phase']]);
	for (const row of rows) {
		for (const bar of row) {
			assert.ok(Math.abs(bar.width - ((bar.frame.samples / root.samples) * 79)) <= 1, bar.frame.funcname);
		}
	}

	// new_phase's two lines are one bar (functions, not lines), its hottest line noted.
	const newPhase = rows[2]![0]!;
	assert.equal(newPhase.frame.samples, 700);
	assert.equal(rows[2]![1]!.x, newPhase.x + newPhase.width, 'siblings side by side');
	const path = pathOf(newPhase.frame);
	assert.equal(frameAt(buildFlame(profile, {}), path).funcname, 'new_phase');
	assert.equal(matchingFrames(root, 'work.py:5').samples, 300, 'file:line matches');
	const kept = buildFlame(profile, {}, frameId => profile.frames[frameId]!.funcname === 'old_phase');
	assert.equal(kept.samples, 300, 'a filter keeps the stacks with a matching frame');
});
