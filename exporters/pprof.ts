// pprof (`profile.proto`, gzipped), written with the `pprof-format` package: what Google's
// pprof, Pyroscope, Parca and Datadog read. Two sample types, `samples/count` then the real
// time the samples stand for (`wall/nanoseconds`, or `cpu/nanoseconds` in cpu mode); one
// Location per (function, file, line); labels thread_id, thread_name (and pid on request).
import type {ProfilingMode} from '../common/profile-types.js';
import {gzipSync} from 'node:zlib';
import {Function as PprofFunction, Label, Line, Location, Mapping, Profile as PprofProfile, Sample, StringTable, ValueType} from 'pprof-format';
import type {FrameDef} from '../common/profile-types.js';
import {statusFitsMode, type Cell, type Profile, type ProfileWindow} from './model.js';

export type PprofOptions = {
	/** Only the samples of this window (the agent's), instead of all the profile holds. */
	readonly window?: ProfileWindow;
	/** Label every sample with the process id: profiles of several processes stay apart when merged. */
	readonly pidLabel?: boolean;
	/** The samples a mode keeps (default: the profile's capture mode). */
	readonly mode?: ProfilingMode | undefined;
};

/** The sample type that carries time: what the mode counts. */
export function timeSampleType(profile: Profile, mode: ProfilingMode = profile.meta.mode): 'cpu' | 'wall' {
	return mode === 'cpu' ? 'cpu' : 'wall';
}

/** pprof's Function: Tachyon's (qualified) name for the function, its file and first line. */
function functionKey(frame: FrameDef): string {
	return `${frame.kind}\0${functionName(frame)}\0${functionFile(frame)}\0${frame.firstLine ?? 0}`;
}

function functionName(frame: FrameDef): string {
	return frame.funcname;
}

/** Synthetic frames (<GC>, <native>: file `~`) have none; task frames keep `<task>`, native functions (--native-stacks) their ELF file. */
function functionFile(frame: FrameDef): string {
	return frame.filename === '~' ? '' : frame.filename;
}

/** The profile as a pprof message (not yet encoded): tests and the agent look at it. */
export function pprofProfile(profile: Profile, options: PprofOptions = {}): PprofProfile {
	const mode = options.mode ?? profile.meta.mode;
	const strings = new StringTable();
	const functions: PprofFunction[] = [];
	const functionIds = new Map<string, number>();
	const locations: Location[] = [];
	const locationIds = new Map<string, number>();
	const locationOfFrame = new Map<number, number>();
	const locationsOfStack = new Map<number, number[]>();

	const locationFor = (frameId: number): number => {
		let id = locationOfFrame.get(frameId);
		if (id !== undefined) {
			return id;
		}

		const frame = profile.frames[frameId]!;
		const fkey = functionKey(frame);
		let functionId = functionIds.get(fkey);
		if (functionId === undefined) {
			functionId = functions.length + 1;
			functionIds.set(fkey, functionId);
			functions.push(new PprofFunction({
				id: functionId,
				name: strings.dedup(functionName(frame)),
				filename: strings.dedup(functionFile(frame)),
				startLine: Math.max(frame.firstLine ?? 0, 0),
			}));
		}

		const line = Math.max(frame.line, 0);
		const lkey = `${functionId}\0${line}`;
		id = locationIds.get(lkey);
		if (id === undefined) {
			id = locations.length + 1;
			locationIds.set(lkey, id);
			locations.push(new Location({id, mappingId: 1, line: [new Line({functionId, line})]}));
		}

		locationOfFrame.set(frameId, id);
		return id;
	};

	/** Location ids of a stack, leaf first as pprof wants them. */
	const stackLocations = (stack: number): number[] => {
		let ids = locationsOfStack.get(stack);
		if (ids === undefined) {
			ids = [];
			for (let id = stack; id >= 0; id = profile.stackParentOf(id)) {
				ids.push(locationFor(profile.stackFrameOf(id)));
			}

			locationsOfStack.set(stack, ids);
		}

		return ids;
	};

	// One pprof sample per (thread, stack): the statuses a mode keeps are merged.
	const merged = new Map<string, {tid: number; stack: number; count: number; timeUs: number}>();
	const cells: Iterable<Cell> = options.window ? options.window.cells : profile.cells;
	for (const cell of cells) {
		if (cell.stack < 0 || !statusFitsMode(cell.status, mode)) {
			continue; // No Python frame (a thread caught starting or tearing down), or not what the mode counts.
		}

		const key = `${cell.tid}:${cell.stack}`;
		const entry = merged.get(key);
		if (entry) {
			entry.count += cell.count;
			entry.timeUs += cell.timeUs;
		} else {
			merged.set(key, {tid: cell.tid, stack: cell.stack, count: cell.count, timeUs: cell.timeUs});
		}
	}

	const threadIdKey = strings.dedup('thread_id');
	const threadNameKey = strings.dedup('thread_name');
	const pidKey = strings.dedup('pid');
	const labelsOfThread = new Map<number, Label[]>();
	const labelsFor = (tid: number): Label[] => {
		let labels = labelsOfThread.get(tid);
		if (labels === undefined) {
			const name = profile.threads.get(tid)?.name ?? '';
			labels = [
				new Label({key: threadIdKey, str: strings.dedup(String(tid))}),
				...(name === '' ? [] : [new Label({key: threadNameKey, str: strings.dedup(name)})]),
				...(options.pidLabel ? [new Label({key: pidKey, str: strings.dedup(String(profile.meta.pid))})] : []),
			];
			labelsOfThread.set(tid, labels);
		}

		return labels;
	};

	// A whole profile's times are samples × one sample's share of the time sampled, as in the
	// pstats table (Profile.sampleTimeUs); an agent's window keeps the time its own ticks stood for.
	const sampleUs = options.window ? undefined : profile.sampleTimeUs();
	const samples: Sample[] = [];
	for (const entry of merged.values()) {
		samples.push(new Sample({
			locationId: stackLocations(entry.stack),
			value: [entry.count, Math.round((sampleUs === undefined ? entry.timeUs : entry.count * sampleUs) * 1000)],
			label: labelsFor(entry.tid),
		}));
	}

	const time = timeSampleType(profile, mode);
	const startUs = options.window?.startUs ?? 0;
	// The time the samples stand for since the last reset (Profile.sampledTimeUs: whole µs, kept
	// exactly by the binary format, so a replayed capture writes the same file as the direct one).
	const durationUs = options.window ? options.window.endUs - options.window.startUs : profile.sampledTimeUs();
	const {meta} = profile;
	return new PprofProfile({
		sampleType: [
			new ValueType({type: strings.dedup('samples'), unit: strings.dedup('count')}),
			new ValueType({type: strings.dedup(time), unit: strings.dedup('nanoseconds')}),
		],
		sample: samples,
		// One mapping, the interpreter, marked as already symbolized: pprof then neither looks
		// for the binary nor "demangles" the names (it would strip `<module>` to nothing).
		mapping: [new Mapping({id: 1, filename: strings.dedup(meta.command[0] ?? 'python'), hasFunctions: true, hasFilenames: true, hasLineNumbers: true})],
		location: locations,
		function: functions,
		// Epoch nanoseconds exceed 2^53: computed in BigInt from whole microseconds.
		timeNanos: BigInt(Math.round((meta.startedAt * 1000) + startUs)) * 1000n,
		durationNanos: Math.round(Math.max(0, durationUs) * 1000),
		periodType: new ValueType({type: strings.dedup(time), unit: strings.dedup('nanoseconds')}),
		period: meta.intervalUs * 1000,
		comment: [
			strings.dedup(`tachyon-top: pid ${meta.pid}, Python ${meta.pythonVersion}, ${mode} mode, ${Math.round(1e6 / meta.intervalUs)} Hz`),
			...(meta.command.length > 0 ? [strings.dedup(meta.command.join(' '))] : []),
		],
		defaultSampleType: strings.dedup(time),
		stringTable: strings,
	});
}

/** The gzipped `profile.proto` bytes, as `pprof` and Pyroscope's `/ingest?format=pprof` take them. */
export function pprofFile(profile: Profile, options: PprofOptions = {}): Uint8Array {
	return gzipSync(pprofProfile(profile, options).encode());
}
