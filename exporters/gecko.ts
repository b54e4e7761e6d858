// Firefox Profiler's processed ("Gecko") profile format, laid out as Tachyon 3.15 writes it:
// one thread per sampled thread, samples with their real timestamps, stack/frame/func tables
// and interval markers for the thread states we know (GIL, CPU, exception, GC).
// Deliberate differences from Tachyon (test/gecko.test.ts compares the rest field by field):
// `pid` is the target's, not the profiler's own; threads carry their names where known; CPU
// markers are left out while the CPU state was not measured (Tachyon writes "Off CPU" then), and
// exception markers only appear on threads that had one; meta.importedFrom is "tachyon-top".
// With --opcodes, "Opcode" interval markers span each run of samples whose innermost frame
// stands on the same instruction (opcode, line, column, function, file), as Tachyon's do.
import type {ProfilingMode} from '../common/profile-types.js';
import os from 'node:os';
import path from 'node:path';
import {statusFitsMode, type Profile} from './model.js';
import {ThreadStatus, type FrameDef} from '../common/profile-types.js';
import {formatOpcode, isSpecialized, opcodeBase, opcodeName} from '../sampler/opcodes.js';

const categories = [
	['Other', 'grey'], ['Python', 'yellow'], ['Native', 'blue'], ['GC', 'orange'], ['GIL', 'green'],
	['CPU', 'purple'], ['Code Type', 'red'], ['Opcodes', 'magenta'], ['Exception', 'lightblue'],
].map(([name, color]) => ({name, color, subcategories: ['Other']}));

const Category = {other: 0, python: 1, native: 2, gc: 3, gil: 4, cpu: 5, codeType: 6, opcodes: 7, exception: 8} as const;

/** Firefox Profiler's schema for the opcode markers: how its marker table and chart label them. */
const opcodeMarkerSchema = {
	name: 'Opcode',
	display: ['marker-table', 'marker-chart'],
	tooltipLabel: '{marker.data.opname}',
	tableLabel: '{marker.data.opname} at line {marker.data.line}',
	chartLabel: '{marker.data.opname}',
	fields: [
		{key: 'opname', label: 'Opcode', format: 'string', searchable: true},
		{key: 'base_opname', label: 'Base Opcode', format: 'string'},
		{key: 'is_specialized', label: 'Specialized', format: 'string'},
		{key: 'line', label: 'Line', format: 'integer'},
		{key: 'column', label: 'Column', format: 'integer'},
		{key: 'function', label: 'Function', format: 'string'},
		{key: 'duration', label: 'Duration', format: 'duration'},
	],
};

/** A column-oriented table as the Firefox Profiler stores them: one array per column, then `length`. */
type Table = {length: number; [column: string]: unknown[] | number};

function table(columns: string[]): Table {
	return Object.fromEntries([...columns.map(column => [column, []]), ['length', 0]]) as Table;
}

/** A state track: the marker a status (and whether the stack is collecting garbage) is in, or none. */
type Track = {
	readonly category: number;
	readonly state: (status: number, inGc: boolean) => string | undefined;
};

const tracks: Track[] = [
	{category: Category.gil, state: status => (status & ThreadStatus.hasGil) ? 'Has GIL' : 'No GIL'},
	{category: Category.cpu, state: status => (status & ThreadStatus.unknown) ? undefined : ((status & ThreadStatus.onCpu) ? 'On CPU' : 'Off CPU')},
	{
		category: Category.codeType,
		state(status) {
			if (status & ThreadStatus.hasGil) {
				return 'Python Code';
			}

			return (status & ThreadStatus.onCpu) && !(status & ThreadStatus.unknown) ? 'Native Code' : undefined;
		},
	},
	{category: Category.gil, state: status => (status & ThreadStatus.gilRequested) ? 'Waiting for GIL' : undefined},
	{category: Category.gc, state: (_status, inGc) => inGc ? 'GC Collecting' : undefined},
];
const exceptionTrack: Track = {category: Category.exception, state: status => (status & ThreadStatus.hasException) ? 'Has Exception' : 'No Exception'};

/** Python code by Tachyon's rule: a real file, or code typed in (<stdin>, <string>). */
function isPython(frame: FrameDef): boolean {
	return frame.kind === 'python' && (!frame.filename.startsWith('<') || frame.filename === '<stdin>' || frame.filename === '<string>');
}

const ms = (us: number) => Math.round(us) / 1000;

export type GeckoOptions = {
	/** Process start, ms (meta.startTime); defaults to the profile's start. */
	readonly startTime?: number;
	/** The samples a mode keeps (default: the profile's capture mode). */
	readonly mode?: ProfilingMode | undefined;
};

export function geckoProfile(profile: Profile, options: GeckoOptions = {}): Record<string, unknown> {
	const strings: string[] = ['(root)'];
	const stringIds = new Map<string, number>([['(root)', 0]]);
	const string = (text: string) => {
		let id = stringIds.get(text);
		if (id === undefined) {
			id = strings.length;
			strings.push(text);
			stringIds.set(text, id);
		}

		return id;
	};

	const {perThread, total} = threadSamples(profile, options.mode ?? profile.meta.mode);
	let firstTime = Infinity;
	let lastTime = -Infinity;
	for (const samples of perThread.values()) {
		firstTime = Math.min(firstTime, samples.time[0] ?? Infinity);
		lastTime = Math.max(lastTime, samples.time.at(-1) ?? -Infinity);
	}

	if (total === 0) {
		firstTime = 0;
		lastTime = 0;
	}

	const gcFrames = new Set(profile.frames.flatMap((frame, id) => frame.kind === 'gc' ? [id] : []));
	const threads = [...perThread].map(([tid, thread]) => {
		const funcTable = table(['name', 'isJS', 'relevantForJS', 'resource', 'fileName', 'lineNumber', 'columnNumber']);
		const resourceTable = table(['lib', 'name', 'host', 'type']);
		const frameTable = table(['address', 'category', 'subcategory', 'func', 'innerWindowID', 'implementation', 'optimizations',
			'line', 'column', 'inlineDepth', 'nativeSymbol']);
		const stackTable = table(['frame', 'category', 'subcategory', 'prefix']);
		const funcIds = new Map<string, number>();
		const resourceIds = new Map<string, number>();
		const frameIds = new Map<string, number>();
		const geckoFrameOf = new Map<number, number>();
		const stackIds = new Map<string, number>();
		const geckoStackOf = new Map<number, number | null>();
		const push = (target: Table, row: Record<string, unknown>) => {
			for (const [key, value] of Object.entries(row)) {
				(target[key] as unknown[]).push(value);
			}

			return target.length++;
		};

		const frameFor = (frameId: number): number => {
			let id = geckoFrameOf.get(frameId);
			if (id !== undefined) {
				return id;
			}

			const frame = profile.frames[frameId]!;
			const python = isPython(frame);
			const category = frame.kind === 'gc' ? Category.gc : (python ? Category.python : Category.native);
			const funcKey = `${frame.filename}\0${frame.funcname}`;
			let func = funcIds.get(funcKey);
			if (func === undefined) {
				const base = frame.kind === 'python' ? path.basename(frame.filename) : frame.filename;
				let resource = resourceIds.get(frame.filename);
				if (resource === undefined) {
					resource = push(resourceTable, {lib: null, name: string(base), host: null, type: 1});
					resourceIds.set(frame.filename, resource);
				}

				func = push(funcTable, {
					name: string(frame.funcname), isJS: python, relevantForJS: python, resource,
					fileName: python ? string(base) : null, lineNumber: python && frame.line > 0 ? frame.line : null, columnNumber: null,
				});
				funcIds.set(funcKey, func);
			}

			const line = frame.line > 0 ? frame.line : null;
			const column = frame.col >= 0 ? frame.col : null;
			const frameKey = `${func}\0${line}\0${column}`;
			id = frameIds.get(frameKey);
			if (id === undefined) {
				id = push(frameTable, {
					address: -1, category, subcategory: 0, func, innerWindowID: null, implementation: null, optimizations: null,
					line, column, inlineDepth: 0, nativeSymbol: null,
				});
				frameIds.set(frameKey, id);
			}

			geckoFrameOf.set(frameId, id);
			return id;
		};

		const stackFor = (stack: number): number | null => {
			const known = geckoStackOf.get(stack);
			if (known !== undefined) {
				return known;
			}

			let prefix: number | null = null;
			for (const frameId of profile.stackFrames(stack)) {
				const frame = frameFor(frameId);
				const key = `${frame}\0${prefix}`;
				let id = stackIds.get(key);
				if (id === undefined) {
					id = push(stackTable, {frame, category: (frameTable['category'] as number[])[frame], subcategory: 0, prefix});
					stackIds.set(key, id);
				}

				prefix = id;
			}

			geckoStackOf.set(stack, prefix);
			return prefix;
		};

		const samples = {stack: [] as Array<number | null>, time: [] as number[], eventDelay: [] as null[], weight: null, weightType: 'samples', length: 0};
		const markers = table(['data', 'name', 'startTime', 'endTime', 'phase', 'category']);
		const threadTracks = [...tracks];
		let isMainThread = false;
		let sawException = false;
		for (const status of thread.status) {
			isMainThread ||= (status & ThreadStatus.mainThread) !== 0;
			sawException ||= (status & ThreadStatus.hasException) !== 0;
		}

		if (sawException) {
			threadTracks.push(exceptionTrack);
		}

		const open: Array<{name: string; start: number} | undefined> = threadTracks.map(() => undefined);
		const close = (track: number, end: number) => {
			const marker = open[track];
			if (marker) {
				push(markers, {
					data: {type: marker.name.replaceAll(' ', ''), duration: ms((end - marker.start) * 1000), tid},
					name: string(marker.name), startTime: marker.start, endTime: end, phase: 1, category: threadTracks[track]!.category,
				});
				open[track] = undefined;
			}
		};

		for (let index = 0; index < thread.time.length; index++) {
			const stack = thread.stack[index]!;
			const status = thread.status[index]!;
			const time = ms(thread.time[index]! - firstTime);
			samples.stack.push(stack < 0 ? null : stackFor(stack));
			samples.time.push(time);
			samples.eventDelay.push(null);
			samples.length++;
			const inGc = (status & ThreadStatus.inGc) !== 0 || (stack >= 0 && gcFrames.size > 0 && gcFrames.has(profile.stackFrameOf(stack)));
			for (const [track, {state}] of threadTracks.entries()) {
				const name = state(status, inGc);
				if (name !== open[track]?.name) {
					close(track, time);
					if (name !== undefined) {
						open[track] = {name, start: time};
					}
				}
			}
		}

		for (const track of threadTracks.keys()) {
			close(track, ms(lastTime - firstTime));
		}

		if (profile.meta.opcodes) {
			addOpcodeMarkers(thread, (marker, name) => push(markers, {...marker, name: string(name)}), profile, firstTime, ms(lastTime - firstTime));
		}

		const name = profile.threads.get(tid)?.name;
		return {
			name: name ? `${name} (${tid})` : `Thread-${tid}`,
			isMainThread,
			processStartupTime: 0,
			processShutdownTime: null,
			registerTime: 0,
			unregisterTime: null,
			pausedRanges: [],
			pid: String(profile.meta.pid),
			tid,
			processType: 'default',
			processName: 'Python Process',
			samples,
			stackTable,
			frameTable,
			funcTable,
			resourceTable,
			nativeSymbols: {libIndex: [], address: [], name: [], functionSize: [], length: 0},
			markers,
		};
	});

	return {
		meta: {
			interval: total > 0 ? ms(lastTime - firstTime) / total || profile.meta.intervalUs / 1000 : profile.meta.intervalUs / 1000,
			startTime: options.startTime ?? profile.meta.startedAt,
			abi: os.machine(),
			misc: 'Python profiler',
			oscpu: os.machine(),
			platform: os.platform() === 'linux' ? 'Linux' : os.platform(),
			processType: 0,
			categories,
			stackwalk: 0,
			toolkit: '',
			version: 32,
			preprocessedProfileVersion: 57,
			appBuildID: '',
			physicalCPUs: os.availableParallelism(),
			logicalCPUs: os.availableParallelism(),
			CPUName: '',
			product: 'Python',
			symbolicated: true,
			markerSchema: profile.meta.opcodes ? [opcodeMarkerSchema] : [],
			importedFrom: 'tachyon-top',
			extensions: {id: [], name: [], baseURL: [], length: 0},
		},
		libs: [],
		threads,
		pages: [],
		shared: {stringArray: strings, sources: {length: 0, uuid: [], filename: []}},
	};
}

type ThreadSamples = {time: number[]; status: number[]; stack: number[]};

type MarkerRow = {data: Record<string, unknown>; startTime: number; endTime: number; phase: number; category: number};

/**
 * Tachyon's opcode markers: one interval per run of samples whose innermost frame stands on the
 * same (opcode, line, column, function, file), from the run's first sample to the next run's
 * first (the last closes at the thread's end); a leaf with no opcode (a synthetic frame) opens
 * a run but gets no marker.
 */
function addOpcodeMarkers(thread: ThreadSamples, add: (marker: MarkerRow, name: string) => void, profile: Profile, firstTime: number, end: number): void {
	const version = profile.meta.pythonVersion;
	let open: {leaf: FrameDef; key: string; start: number} | undefined;
	const close = (endTime: number) => {
		if (open === undefined || open.leaf.opcode < 0) {
			return;
		}

		const {leaf, start} = open;
		const opname = formatOpcode(version, leaf.opcode);
		add({
			data: {
				type: 'Opcode', opcode: leaf.opcode, opname, base_opname: opcodeName(version, opcodeBase(version, leaf.opcode)),
				is_specialized: isSpecialized(version, leaf.opcode), line: leaf.line, column: leaf.col >= 0 ? leaf.col : null,
				function: leaf.funcname, duration: Math.round((endTime - start) * 1000) / 1000,
			},
			startTime: start, endTime, phase: 1, category: Category.opcodes,
		}, opname);
	};

	for (let index = 0; index < thread.time.length; index++) {
		const stack = thread.stack[index]!;
		if (stack < 0) {
			continue;
		}

		const leaf = profile.frames[profile.stackFrameOf(stack)]!;
		const key = `${leaf.opcode}\0${leaf.line}\0${leaf.col}\0${leaf.funcname}\0${leaf.filename}`;
		if (key !== open?.key) {
			const time = ms(thread.time[index]! - firstTime);
			close(time);
			open = {leaf, key, start: time};
		}
	}

	close(end);
}

/**
 * Each thread's samples in time order (µs since the start), in the profile's mode. Profiles
 * without a timeline (the live view's) are laid out from their aggregated cells: each stack's
 * samples side by side, spaced by the time they stand for — right totals, made-up order.
 */
function threadSamples(profile: Profile, mode: ProfilingMode): {perThread: Map<number, ThreadSamples>; total: number} {
	const perThread = new Map<number, ThreadSamples>();
	let total = 0;
	const add = (tid: number, time: number, status: number, stack: number) => {
		let thread = perThread.get(tid);
		if (thread === undefined) {
			thread = {time: [], status: [], stack: []};
			perThread.set(tid, thread);
		}

		thread.time.push(time);
		thread.status.push(status);
		thread.stack.push(stack);
		total++;
	};

	const timeline = profile.timeline;
	if (timeline && timeline.length === profile.samples) {
		for (let index = 0; index < timeline.length; index++) {
			if (statusFitsMode(timeline.status[index]!, mode)) {
				add(timeline.tid[index]!, timeline.time[index]!, timeline.status[index]!, timeline.stack[index]!);
			}
		}

		return {perThread, total};
	}

	const clock = new Map<number, number>();
	for (const cell of profile.select({mode})) {
		const each = cell.count > 0 ? cell.timeUs / cell.count : 0;
		let time = clock.get(cell.tid) ?? 0;
		for (let index = 0; index < cell.count; index++) {
			add(cell.tid, time, cell.status, cell.stack);
			time += each;
		}

		clock.set(cell.tid, time);
	}

	return {perThread, total};
}

export function geckoJson(profile: Profile, options: GeckoOptions = {}): string {
	return JSON.stringify(geckoProfile(profile, options));
}
