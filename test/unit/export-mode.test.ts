// The mode travels in the export options (the live view's mode on screen), not through the
// profile's metadata: a profile captured in wall mode exports only its on-CPU samples when
// asked for cpu, and its metadata stays as captured. A hand-built profile, no Python needed.
import assert from 'node:assert/strict';
import {gunzipSync} from 'node:zlib';
import {test} from 'node:test';
import {ThreadStatus, type FrameDef} from '../../common/profile-types.js';
import {exporters} from '../../exporters/index.js';
import {Profile} from '../../exporters/model.js';

function frame(funcname: string, line: number): FrameDef {
	return {filename: '/app/work.py', funcname, line, endLine: line, col: -1, endCol: -1, opcode: -1, kind: 'python'};
}

/** `busy` runs on a CPU for 30 samples, `sleepy` waits off-CPU for 70. */
function wallProfile(): Profile {
	const profile = new Profile({pid: 42, pythonVersion: '3.15.0', command: ['python3', 'work.py'], mode: 'wall', intervalUs: 1000, startedAt: 0, allThreads: true, gc: false, native: false, opcodes: false, asyncAware: false});
	profile.frames.push(frame('main', 1), frame('busy', 5), frame('sleepy', 9));
	const root = profile.addStack(-1, 0);
	const busy = profile.addStack(root, 1);
	const sleepy = profile.addStack(root, 2);
	profile.addSample(1, ThreadStatus.onCpu | ThreadStatus.hasGil, busy, 1000, 1000, 30);
	profile.addSample(2, 0, sleepy, 1000, 1000, 70);
	return profile;
}

test('each text exporter counts what the mode in its options keeps; the default is the capture mode', () => {
	const profile = wallProfile();
	const collapsed = (mode?: 'cpu') => exporters.collapsed.export(profile, mode ? {mode} : {});
	const text = (result: ReturnType<typeof collapsed>) => (result.kind === 'file' ? String(result.data) : '');
	assert.match(text(collapsed()), /sleepy:9 70/);
	assert.doesNotMatch(text(collapsed('cpu')), /sleepy/);
	assert.match(text(collapsed('cpu')), /busy:5 30/);
	const pstats = exporters.pstats.export(profile, {mode: 'cpu'});
	assert.doesNotMatch(text(pstats), /sleepy/);
	const jsonl = exporters.jsonl.export(profile, {mode: 'cpu'});
	assert.match(text(jsonl), /"mode":"cpu"/);
	const pprof = exporters.pprof.export(profile, {mode: 'cpu'});
	assert.ok(pprof.kind === 'file' && gunzipSync(pprof.data).includes('cpu mode'));
	assert.equal(profile.meta.mode, 'wall', 'exporting never changes the profile');
});
