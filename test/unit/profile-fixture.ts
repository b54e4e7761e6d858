// A small profile built from literal sampler batches, as the worker would send them: two
// threads, a recursion, a frame shared by two callers, a <GC> and a <native> marker, every
// status bit. The golden files of every text exporter are made from it; nothing here needs Python.
import {ThreadStatus, type FrameDef} from '../../common/profile-types.js';
import {Profile} from '../../exporters/model.js';
import type {SampleBatch, SamplerStats} from '../../sampler/protocol.js';

const file = '/srv/app/service.py';
const python = (funcname: string, line: number, filename = file): FrameDef => ({
	filename, funcname, line, endLine: line, col: 4, endCol: 20, opcode: -1, kind: 'python',
});

/** Frame ids are indexes into this list. */
export const fixtureFrames: FrameDef[] = [
	python('<module>', 40),
	python('main', 33),
	python('handle_request', 20),
	python('parse', 8),
	python('render', 14),
	python('fib', 3, '/srv/app/maths.py'),
	{filename: '~', funcname: '<GC>', line: 0, endLine: 0, col: -1, endCol: -1, opcode: -1, kind: 'gc'},
	{filename: '~', funcname: '<native>', line: 0, endLine: 0, col: -1, endCol: -1, opcode: -1, kind: 'native'},
	python('Worker.run', 51),
	python('wait', 60),
];

/** (parent stack, frame) per stack id, root first. */
const stacks = [
	[-1, 0], // 0 <module>
	[0, 1], // 1 <module>;main
	[1, 2], // 2 …;handle_request
	[2, 3], // 3 …;handle_request;parse
	[2, 4], // 4 …;handle_request;render
	[4, 3], // 5 …;render;parse (parse has two callers)
	[1, 5], // 6 main;fib
	[6, 5], // 7 main;fib;fib (recursion)
	[7, 5], // 8 main;fib;fib;fib
	[4, 6], // 9 render;<GC>
	[3, 7], // 10 handle_request;parse;<native>
	[-1, 8], // 11 Worker.run (a second thread)
	[11, 9], // 12 Worker.run;wait
] as const;

const main = 100;
const worker = 101;
const {hasGil, onCpu, gilRequested, hasException, mainThread, inGc} = ThreadStatus;
const busy = mainThread | hasGil | onCpu;

/** Per tick: the µs it stands for, then (tid, status, stack) per thread sampled. */
const ticks: Array<[number, Array<[number, number, number]>]> = [
	[1000, [[main, busy, 3], [worker, gilRequested, 12]]],
	[1000, [[main, busy, 3], [worker, 0, 12]]],
	[1000, [[main, busy, 5], [worker, 0, 12]]],
	[1000, [[main, busy | inGc, 9], [worker, 0, 12]]],
	[1000, [[main, busy, 10], [worker, onCpu | hasGil, 11]]],
	[1000, [[main, busy, 8], [worker, 0, 12]]],
	[1000, [[main, busy, 7], [worker, 0, 12]]],
	[1000, [[main, mainThread | hasException | hasGil, 4], [worker, 0, 12]]],
	[2000, [[main, mainThread, 6], [worker, 0, -1]]],
	[1000, [[main, busy, 3]]],
];

const stats: SamplerStats = {attempts: 10, errors: 0, missed: 1, elapsedUs: 11_000, reads: 40, bytesRead: 20_000, cpuUs: 900};

/** The batch the worker would have sent for the ticks above (interned frames, threads, stacks). */
export function fixtureBatch(): SampleBatch {
	const tickWords: number[] = [];
	const recordWords: number[] = [];
	let time = 0;
	for (const [standsFor, records] of ticks) {
		time += standsFor;
		tickWords.push(time, standsFor, records.length);
		for (const [tid, status, stack] of records) {
			recordWords.push(tid, status, stack >>> 0);
		}
	}

	return {
		type: 'batch',
		frames: fixtureFrames,
		threads: [{tid: main, name: 'MainThread'}, {tid: worker, name: 'worker-1'}],
		stacks: Int32Array.from(stacks.flat()),
		ticks: Float64Array.from(tickWords),
		records: Uint32Array.from(recordWords),
		stats,
	};
}

/** The fixture as a profile: fixed metadata (pid, start time) so exports are byte-stable. */
export function fixtureProfile(options: {timeline?: boolean; opcodes?: boolean} = {}): Profile {
	const profile = new Profile({
		pid: 4242, pythonVersion: '3.15.2', command: ['/usr/bin/python3.15', '/srv/app/service.py'], mode: 'wall', intervalUs: 1000,
		startedAt: Date.UTC(2026, 10, 30, 12, 0, 0), allThreads: true, gc: true, native: true, opcodes: options.opcodes ?? false, asyncAware: false,
	}, {timeline: options.timeline ?? false});
	profile.ingest(fixtureBatch());
	profile.endReason = 'duration';
	return profile;
}
