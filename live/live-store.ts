// The live view's data: the sampler worker feeds a Profile (without a timeline, so memory
// stays flat) and this store turns it into one immutable snapshot per display tick (≤ 10 Hz),
// which React reads with useSyncExternalStore. View settings (mode, thread, sort, filter)
// live here too, so changing one re-aggregates the samples already taken: the sampler reads
// every thread with its CPU and exception state, and nothing re-attaches.
import os from 'node:os';
import path from 'node:path';
import {functionStats, type FunctionRow} from '../exporters/function-stats.js';
import {defaultOutputName, type ExportOptions, type Exporter} from '../exporters/index.js';
import type {Profile, ThreadInfo, View} from '../exporters/model.js';
import {slotUs} from '../exporters/recent-samples.js';
import {opcodeCounts, type OpcodeCount} from '../exporters/opcode-stats.js';
import {profilingModes, type ProfilingMode} from '../common/profile-types.js';
import {hasUnsafeText, terminalText} from '../common/terminal-text.js';
import type {NativeStacksMode, SamplerOptions, SamplerStats} from '../sampler/protocol.js';
import {processStartMs} from '../sampler/proc.js';
import {samplerDefaults, type Sampler, type SamplerHandle} from '../sampler/sampler.js';
import type {ChildProfile, SubprocessFollower} from './subprocesses.js';
import type {SourceStore} from '../sampler/source-lines.js';
import {buildFlame, type FlameFrame} from './flame-data.js';
import {functionHeat, lineOpcodes, type FunctionHeat} from './source-data.js';
import {absoluteFolder, folderProblem, freePath, writeExportOrFallBack, type WrittenExport} from './output.js';
import {displayRow, exportSort, type LiveSortKey, liveSortKeys, rowMatches, sortLiveRows} from './live-rows.js';
import {startProfiling} from './start-profiling.js';
import {statusCounts} from '../exporters/status-counts.js';

/** Lengths of the recent window `W` cycles through, seconds. */
export const windowLengths = [5, 10, 30, 60] as const;
export type WindowLength = typeof windowLengths[number];

/** The header's trends: one value per half second over the last minute, oldest first. */
export type Trends = {
	/** Sampling ticks per second. */
	readonly rate: readonly number[];
	/** % of the view's thread samples on a CPU, holding the GIL. */
	readonly cpu: readonly number[];
	readonly gil: readonly number[];
};

export type LiveStatus = 'attaching' | 'sampling' | 'exited' | 'error';

export type LiveSnapshot = {
	readonly pid: number;
	/** The PID inside the target's own PID namespace (a container), where it differs. */
	readonly nsPid?: number;
	readonly command: string;
	readonly version: string;
	readonly status: LiveStatus;
	/** Why sampling stopped (error or exit), for the header. */
	readonly message: string | undefined;
	/** Seconds since sampling started. */
	readonly elapsedS: number;
	/** Seconds since the target process started (as top's uptime), or undefined if /proc no longer has it. */
	readonly uptimeS: number | undefined;
	readonly mode: ProfilingMode;
	/** The thread shown, or undefined for all threads. */
	readonly tid: number | undefined;
	readonly threads: readonly ThreadInfo[];
	readonly sort: LiveSortKey;
	/** Rows per (file, line, function) instead of per (file, function). */
	readonly lines: boolean;
	/** The recent window: on or since the start, its length, and the seconds it spans so far. */
	readonly window: {readonly on: boolean; readonly lengthS: WindowLength; readonly spanS: number; readonly available: boolean};
	readonly trends: Trends;
	/** Seconds sampled since the last export (or the start): `q` asks before losing more than a minute. */
	readonly unsavedS: number;
	readonly filter: string;
	readonly paused: boolean;
	/** Rows of the view, filtered and sorted. */
	readonly rows: readonly FunctionRow[];
	/** Rows before the filter. */
	readonly functionCount: number;
	/** Every row of the view by id, to name callers and callees. */
	readonly rowsById: ReadonlyMap<number, FunctionRow>;
	/** Thread samples in the view (the % base). */
	readonly totalSamples: number;
	readonly intervalUs: number;
	readonly requestedHz: number;
	/** Achieved sampling rate over the last second or so. */
	readonly achievedHz: number;
	/** Failed ticks, % of attempts. */
	readonly errorPercent: number;
	/** Shares of the thread's (or all threads') samples, whatever the mode. */
	readonly gilPercent: number;
	readonly cpuPercent: number;
	readonly gcPercent: number;
	/** The sampler missed more than 5 % of its ticks lately: the machine is too busy for this rate. */
	readonly behind: boolean;
	/** --opcodes: the sampler records each leaf frame's instruction (the opcode panel). */
	readonly opcodes: boolean;
	/** --blocking, native stacks: mean µs the target's threads stood still per sample, lately (undefined when they are not stopped). */
	readonly pauseUs: number | undefined;
	/** Native stacks (`n`): sampled or not, or switching; the last refusal, numbered so the view says it once. */
	readonly nativeStacks: NativeStacksState;
	/** Bumped per published snapshot. */
	readonly sequence: number;
};

export type NativeStacksState = {
	readonly state: 'off' | 'on' | 'all' | 'turning on' | 'turning off';
	readonly error?: {readonly id: number; readonly text: string};
};

/** A function's opcode mix (--opcodes): its instructions by samples, most first. */
export type OpcodeMix = {
	readonly version: string;
	readonly counts: readonly OpcodeCount[];
	/** Samples of the function that carry an opcode. */
	readonly total: number;
};

export type LiveStoreOptions = {
	readonly pid: number;
	readonly intervalUs: number;
	/** Stop sampling after this many seconds (the view keeps its data); 0 or undefined for no limit. */
	readonly durationS?: number | undefined;
	/** The target was just started (run --live): wait for its runtime. */
	readonly waitForRuntimeMs?: number;
	/** run --live: the script's start gate, opened by the sampler once it has read the script (SamplerOptions.gateFd). */
	readonly gateFd?: number;
	/** Where `e` writes files (default: the current directory). */
	readonly outputDir?: string;
	/** Display ticks per second (default 10). */
	readonly hz?: number;
	readonly mode?: ProfilingMode;
	/** --opcodes: record the instruction of each sample's innermost Python frame. */
	readonly opcodes?: boolean;
	/** --blocking: stop the target's threads for each sample (ptrace, in the sampler's worker). */
	readonly blocking?: boolean;
	/** --native-stacks[=all]: start with native stacks on (`n` turns them off and on). */
	readonly nativeStacks?: NativeStacksMode;
	/** Why `n` cannot turn native stacks on in this view (run --live of a script that is Node's own child). */
	readonly nativeStacksUnavailable?: string;
	/** --subprocesses: show a child the follower already samples, instead of sampling `pid` here. */
	readonly child?: ChildProfile;
	/** One of several processes (--subprocesses): exports label each sample with its pid (pprof). */
	readonly subprocesses?: boolean;
	/** --subprocesses: the target's children are sampled with it, and their news go to this follower. */
	readonly follower?: SubprocessFollower;
};

/** What a live view samples: every thread with its CPU and exception state, so mode and thread switch without re-attaching. */
export function liveSamplerOptions(options: Pick<LiveStoreOptions, 'pid' | 'intervalUs' | 'durationS' | 'waitForRuntimeMs' | 'gateFd' | 'hz' | 'opcodes' | 'blocking' | 'nativeStacks' | 'nativeStacksUnavailable'>): SamplerOptions {
	return {
		...samplerDefaults, pid: options.pid, intervalUs: options.intervalUs, durationS: options.durationS ?? 0, allThreads: true, cpuState: true, exceptionState: true,
		opcodes: options.opcodes ?? false, blocking: options.blocking ?? false,
		// `n` turns native stacks on and off in the worker, which loads their unwinder for it (~45 ms of CPU, once).
		...(options.nativeStacks ? {nativeStacks: options.nativeStacks} : {}), nativeStacksToggle: options.nativeStacksUnavailable === undefined,
		// Batches twice per display tick, so every tick has news (same period → ticks missed by a hair).
		batchMs: 500 / (options.hz ?? 10), waitForRuntimeMs: options.waitForRuntimeMs ?? 0,
		...(options.gateFd === undefined ? {} : {gateFd: options.gateFd}),
	};
}

type Listener = () => void;

export class LiveStore {
	readonly profile: Profile;
	private readonly options: LiveStoreOptions;
	private readonly listeners = new Set<Listener>();
	private readonly sampler: SamplerHandle;
	/** The sampler this store started (not a follower's child), which `n` can reconfigure. */
	private ownSampler: Sampler | undefined;
	private native: NativeStacksState;
	/** The mode `n` turns native stacks on in: --native-stacks=all keeps the interpreter's frames. */
	private readonly nativeMode: NativeStacksMode;
	private timer: NodeJS.Timeout | undefined;
	private snapshot: LiveSnapshot;
	private status: LiveStatus = 'attaching';
	private message: string | undefined;
	private mode: ProfilingMode;
	private tid: number | undefined;
	private sort: LiveSortKey = 'direct';
	private lines = false;
	private windowOn = false;
	private windowLength: WindowLength = 10;
	/** Sampled seconds at the last export. */
	private savedAtS = 0;
	private readonly sources: SourceStore;
	/** Per-snapshot caches for the flame and source screens (built only when shown). */
	private flameCache: {sequence: number; root: FlameFrame} | undefined;
	private heatCache: {key: string; heat: FunctionHeat} | undefined;
	private filter = '';
	private paused = false;
	private publishedVersion = -1;
	private sequence = 0;
	/** Sampler stats about a second ago, for the recent rate and the falling-behind warning. */
	private rateWindow: {at: SamplerStats; achievedHz: number; behind: boolean; pauseUs: number | undefined} = {at: {attempts: 0, errors: 0, missed: 0, elapsedUs: 0, reads: 0, bytesRead: 0, cpuUs: 0}, achievedHz: 0, behind: false, pauseUs: undefined};
	private readonly finishedPromise: Promise<void>;
	private resolveFinished!: () => void;
	/** The last opcode mix asked for, by snapshot and function: renders between ticks reuse it. */
	private mixCache: {key: string; mix: OpcodeMix} | undefined;

	/** The target's start time, read once: it never changes while the PID is the same process. */
	private readonly processStartMs: number | undefined;
	/** When sampling ended: the uptime shown stops there (the process may be gone). */
	private endedAtMs: number | undefined;

	/**
	 * Why `e` cannot write into its folder (the current directory, or outputDir), found before
	 * anything is sampled, as -o is checked for a report; exports then go where
	 * writeExportOrFallBack puts them, and say so.
	 */
	readonly exportFolderProblem: string | undefined;

	constructor(options: LiveStoreOptions) {
		this.options = options;
		this.exportFolderProblem = folderProblem(options.outputDir ?? '.');
		this.processStartMs = processStartMs(options.pid);
		this.mode = options.mode ?? 'wall';
		this.nativeMode = options.nativeStacks ?? 'default';
		this.native = {state: options.child === undefined && options.nativeStacks ? options.nativeStacks === 'all' ? 'all' : 'on' : 'off'};
		// A follower's child is already being sampled (its profile and sampler come with it).
		const {profile, sampler} = options.child ?? this.startSampling(options);
		this.profile = profile;
		// The code the target runs, read from it (the source screen `v`; also what an archive keeps).
		this.sources = profile.sources;
		this.sampler = sampler;
		this.finishedPromise = new Promise(resolve => {
			this.resolveFinished = resolve;
		});
		this.snapshot = this.compute();
	}

	/** Samples `options.pid`, and with --subprocesses its children for the follower. */
	private startSampling(options: LiveStoreOptions): {profile: Profile; sampler: SamplerHandle} {
		const {follower} = options;
		const {profile, sampler} = startProfiling({...liveSamplerOptions(options), mode: this.mode, sources: true, recent: true, ...(follower ? {followChildren: true} : {})}, {
			onAttached: () => {
				this.status = 'sampling';
				this.publish(true);
			},
			...(follower ? {onChild: follower.onEvent} : {}),
			onNativeStacks: (mode, error) => {
				this.native = {
					state: mode === undefined ? 'off' : mode === 'all' ? 'all' : 'on',
					...(error === undefined ? {} : {error: {id: (this.native.error?.id ?? 0) + 1, text: error}}),
				};
				this.publish(true);
			},
		});
		this.ownSampler = sampler;
		follower?.follow(sampler);
		return {profile, sampler};
	}

	/** Resolves when sampling has ended (the target exited, an error, or stop()). */
	get finished(): Promise<void> {
		return this.finishedPromise;
	}

	get pid(): number {
		return this.options.pid;
	}

	/** Starts the display clock and watches for the end of sampling (which began with the store). */
	start(): this {
		const {pid} = this.options;
		void this.sampler.finished.then(end => {
			this.endedAtMs = Date.now();
			if (end.kind === 'error') {
				this.status = 'error';
				this.message = end.message;
			} else if (end.reason === 'exited') {
				this.status = 'exited';
				this.message = `process ${pid} exited`;
				this.profile.endReason = 'exited';
			} else {
				this.status = this.status === 'attaching' ? 'error' : 'exited';
				this.message ??= end.reason === 'duration' ? 'sampling duration reached' : 'sampling stopped';
			}

			clearInterval(this.timer);
			this.publish(true);
			this.resolveFinished();
		});
		// One clock: the display tick; batches arrive at the same rate and are coalesced here.
		this.timer = setInterval(() => {
			// A follower's child attaches in the follower's hands: it is sampling once its version is known.
			const attached = this.status === 'attaching' && this.profile.meta.pythonVersion !== '?';
			if (attached) {
				this.status = 'sampling';
			}

			this.publish(attached);
		}, 1000 / (this.options.hz ?? 10));
		return this;
	}

	/** Stops sampling; the data stays for exports. */
	stop(): void {
		clearInterval(this.timer);
		this.sampler.stop();
	}

	subscribe = (listener: Listener): (() => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	getSnapshot = (): LiveSnapshot => this.snapshot;

	cycleSort(step: 1 | -1): void {
		const index = liveSortKeys.indexOf(this.sort);
		this.sort = liveSortKeys[(index + step + liveSortKeys.length) % liveSortKeys.length]!;
		this.publish(true);
	}

	/** A click on a column heading: that column's order. */
	setSort(sort: LiveSortKey): void {
		this.sort = sort;
		this.publish(true);
	}

	/** `L`: rows per function ↔ per line. */
	toggleLines(): void {
		this.lines = !this.lines;
		this.publish(true);
	}

	/** `w`: since the start ↔ the recent window. */
	toggleWindow(): void {
		this.windowOn = !this.windowOn;
		this.publish(true);
	}

	/** `W`: the next window length (and the window on). */
	cycleWindowLength(): void {
		this.windowLength = windowLengths[(windowLengths.indexOf(this.windowLength) + 1) % windowLengths.length]!;
		this.windowOn = true;
		this.publish(true);
	}

	/** The flame graph of the view shown (mode, thread, window, filter), built once per snapshot. */
	flame(): FlameFrame {
		if (this.flameCache?.sequence !== this.snapshot.sequence) {
			const keep = this.filter === '' ? undefined : this.frameFilter();
			this.flameCache = {sequence: this.snapshot.sequence, root: buildFlame(this.profile, this.view(), keep)};
		}

		return this.flameCache.root;
	}

	/** One function's samples per line in the view shown, built once per snapshot. */
	heat(filename: string, funcname: string): FunctionHeat {
		const key = `${this.snapshot.sequence}\0${filename}\0${funcname}`;
		if (this.heatCache?.key !== key) {
			this.heatCache = {key, heat: functionHeat(this.profile, this.view(), filename, funcname)};
		}

		return this.heatCache.heat;
	}

	/** --opcodes: the instruction mix of one line of a function, in the view shown. */
	lineOpcodes(filename: string, funcname: string, line: number): OpcodeMix {
		const counts = lineOpcodes(this.profile, this.view(), filename, funcname, line);
		return {version: this.profile.meta.pythonVersion, counts, total: counts.reduce((sum, entry) => sum + entry.samples, 0)};
	}

	/** A file's lines as the target sees it (its root and cwd), or undefined. */
	sourceLines(filename: string): readonly string[] | undefined {
		return this.sources.lines(filename);
	}

	cycleMode(): void {
		this.mode = profilingModes[(profilingModes.indexOf(this.mode) + 1) % profilingModes.length]!;
		this.publish(true);
	}

	/** `t`: all threads ↔ one thread (the first seen, or the one last chosen). */
	toggleThread(): void {
		this.tid = this.tid === undefined ? this.threadList()[0]?.tid : undefined;
		this.publish(true);
	}

	/** ←/→: the previous or next thread (switches to one-thread view). */
	cycleThread(step: 1 | -1): void {
		const threads = this.threadList();
		if (threads.length === 0) {
			return;
		}

		const index = this.tid === undefined ? (step === 1 ? -1 : 0) : threads.findIndex(thread => thread.tid === this.tid);
		this.tid = threads[(index + step + threads.length) % threads.length]!.tid;
		this.publish(true);
	}

	setFilter(filter: string): void {
		this.filter = filter;
		this.publish(true);
	}

	/** `p`: freezes the display; sampling goes on. */
	togglePause(): void {
		this.paused = !this.paused;
		this.publish(true);
	}

	/**
	 * `n`: native stacks on ↔ off, from the sampler's next batch (the worker answers, and the
	 * header follows). Returns what to tell the user, with whether it is a refusal.
	 */
	toggleNativeStacks(): {text: string; error: boolean} {
		const sampler = this.ownSampler;
		if (!sampler || this.options.nativeStacksUnavailable !== undefined) {
			return {text: `Native stacks are not available here: ${this.options.nativeStacksUnavailable ?? 'this process is sampled by its parent\'s sampler (--subprocesses)'}`, error: true};
		}

		if (this.status !== 'sampling' && this.status !== 'attaching') {
			return {text: 'Native stacks: sampling has ended', error: true};
		}

		const on = this.native.state === 'off' || this.native.state === 'turning off';
		sampler.setNativeStacks(on ? this.nativeMode : undefined);
		this.native = {state: on ? 'turning on' : 'turning off', ...(this.native.error ? {error: this.native.error} : {})};
		this.publish(true);
		return on
			? {text: 'Native stacks on: C/C++/Rust frames between the Python frames; each thread is stopped for every sample (the header shows the pause)', error: false}
			: {text: 'Native stacks off', error: false};
	}

	/** `r`: forgets the samples so far. */
	reset(): void {
		this.profile.reset();
		this.publish(true);
	}

	/**
	 * The opcode mix of one function (every line of it) in the view shown: the instructions its
	 * samples stood on when it was the innermost Python frame.
	 */
	opcodeMix(filename: string, funcname: string): OpcodeMix {
		const key = `${this.snapshot.sequence}\0${filename}\0${funcname}`;
		if (this.mixCache?.key === key) {
			return this.mixCache.mix;
		}

		const {frames} = this.profile;
		// The names asked for are the rows' (terminal-safe) ones.
		const counts = opcodeCounts(this.profile, this.view(), frameId => terminalText(frames[frameId]!.funcname) === funcname && terminalText(frames[frameId]!.filename) === filename);
		const mix = {version: this.profile.meta.pythonVersion, counts, total: counts.reduce((sum, entry) => sum + entry.samples, 0)};
		this.mixCache = {key, mix};
		return mix;
	}

	/**
	 * Writes what has been sampled so far in one format, in the mode on screen, without
	 * stopping sampling. Never overwrites: a taken name gets a suffix. Returns the absolute path,
	 * and when the folder failed (see exportFolderProblem), which path and why: the file then
	 * went to the current or the temporary directory.
	 */
	exportTo(format: Exporter, options: ExportOptions = {}): WrittenExport & {readonly path: string} {
		// A current directory removed before we ever asked for it (started there): the temporary directory (exportFolderProblem said so).
		const folder = absoluteFolder(this.options.outputDir ?? '.') ?? os.tmpdir();
		const target = freePath(path.join(folder, defaultOutputName(format, this.profile.meta.pid)), format.extension);
		// Checked again at each export: the folder may have gone bad since the start (or become good).
		const refused = folderProblem(folder);
		const written = writeExportOrFallBack(format, this.profile, {sort: exportSort[this.sort], mode: this.mode, pidLabel: this.options.subprocesses === true, ...options}, target, false, {keepEarlier: true, refused});
		this.savedAtS = this.profile.stats.elapsedUs / 1e6;
		return {...written, path: path.resolve(written.path!)};
	}

	/** Recomputes now, even when paused or unchanged (tests, and settings changes). */
	publish(force: boolean): void {
		if (!force && (this.paused || this.profile.version === this.publishedVersion)) {
			return;
		}

		this.snapshot = this.compute();
		for (const listener of this.listeners) {
			listener();
		}
	}

	/** What the screens show: the mode, the thread, and the recent window when it is on. */
	private view(): View {
		const recent = this.profile.recent;
		const since = this.windowOn && recent ? {sinceUs: recent.newestUs - (this.windowLength * 1e6)} : {};
		return {mode: this.mode, ...(this.tid === undefined ? {} : {tid: this.tid}), ...since};
	}

	private windowSpanS(): number {
		const recent = this.profile.recent;
		return recent ? recent.ticksSince(recent.newestUs - (this.windowLength * 1e6)).spanUs / 1e6 : 0;
	}

	/** The header's sparklines, from the recent samples' half-second slots. */
	private trends(): Trends {
		const slots = this.profile.recent?.trend(this.tid) ?? [];
		const share = (part: number, whole: number) => (whole > 0 ? (part / whole) * 100 : 0);
		return {
			rate: slots.map(slot => slot.ticks / (slotUs / 1e6)),
			cpu: slots.map(slot => share(slot.onCpu, slot.samples)),
			gil: slots.map(slot => share(slot.hasGil, slot.samples)),
		};
	}

	/** The filter as a frame test (the flame graph keeps the stacks with a matching frame). */
	private frameFilter(): (frameId: number) => boolean {
		const needle = this.filter.toLowerCase();
		const {frames} = this.profile;
		return frameId => {
			const frame = frames[frameId]!;
			return frame.funcname.toLowerCase().includes(needle) || `${frame.filename}:${Math.max(0, frame.line)}`.toLowerCase().includes(needle);
		};
	}

	private threadList(): ThreadInfo[] {
		return [...this.profile.threads.values()].sort((a, b) => a.index - b.index);
	}

	private compute(): LiveSnapshot {
		const profile = this.profile;
		// A paused display keeps its rows; only the settings shown change.
		const frozen = this.paused && this.sequence > 0 ? this.snapshot : undefined;
		this.publishedVersion = profile.version;
		const view = this.view();
		const stats = frozen ? undefined : functionStats(profile, view, {lines: this.lines});
		if (stats) {
			// Times in proportion to samples: a row's share of the samples of the time sampled.
			const usPerSample = stats.totalSamples > 0 ? stats.totalTimeUs / stats.totalSamples : 0;
			for (const row of stats.rows) {
				row.directTimeUs = row.directSamples * usPerSample;
				row.cumulativeTimeUs = row.cumulativeSamples * usPerSample;
			}
		}

		// Names enter the screen here: each row, thread and the command line is made terminal-safe once.
		const statRows = stats?.rows.map(row => displayRow(row));
		const needle = this.filter.toLowerCase();
		const matching = statRows === undefined ? frozen!.rows : statRows.filter(row => needle === '' || rowMatches(row, needle));
		const rows = frozen ? matching : sortLiveRows(matching, this.sort);

		const {samples: all, hasGil: gil, onCpu: cpu, inGc: gc} = statusCounts(profile.select({mode: 'wall', ...(this.tid === undefined ? {} : {tid: this.tid})}));
		const share = (part: number) => (all > 0 ? (part / all) * 100 : 0);
		this.updateRate(profile.stats);
		const attempts = profile.stats.attempts;
		return {
			pid: this.options.pid,
			...(profile.meta.nsPid === undefined ? {} : {nsPid: profile.meta.nsPid}),
			command: terminalText(profile.meta.command.join(' ')),
			version: profile.meta.pythonVersion,
			status: this.status,
			message: this.message === undefined ? undefined : terminalText(this.message),
			elapsedS: profile.stats.elapsedUs / 1e6,
			uptimeS: this.processStartMs === undefined ? undefined : Math.max(0, ((this.endedAtMs ?? Date.now()) - this.processStartMs) / 1000),
			mode: this.mode,
			tid: this.tid,
			threads: this.threadList().map(thread => (hasUnsafeText(thread.name) ? {...thread, name: terminalText(thread.name)} : thread)),
			sort: this.sort,
			lines: this.lines,
			window: {on: this.windowOn && profile.recent !== undefined, lengthS: this.windowLength, spanS: this.windowSpanS(), available: profile.recent !== undefined},
			trends: this.trends(),
			unsavedS: Math.max(0, (profile.stats.elapsedUs / 1e6) - this.savedAtS),
			filter: this.filter,
			paused: this.paused,
			rows,
			functionCount: stats?.rows.length ?? frozen!.functionCount,
			rowsById: statRows ? new Map(statRows.map(row => [row.id, row])) : frozen!.rowsById,
			totalSamples: stats?.totalSamples ?? frozen!.totalSamples,
			intervalUs: this.options.intervalUs,
			requestedHz: 1e6 / this.options.intervalUs,
			achievedHz: this.rateWindow.achievedHz,
			errorPercent: attempts > 0 ? (profile.stats.errors / attempts) * 100 : 0,
			gilPercent: share(gil),
			cpuPercent: share(cpu),
			gcPercent: share(gc),
			behind: this.rateWindow.behind,
			opcodes: profile.meta.opcodes,
			pauseUs: this.rateWindow.pauseUs,
			nativeStacks: this.native,
			sequence: ++this.sequence,
		};
	}

	/** Keeps a window of about a second for the achieved rate and the falling-behind warning. */
	private updateRate(stats: SamplerStats): void {
		const window = this.rateWindow;
		const spanUs = stats.elapsedUs - window.at.elapsedUs;
		if (spanUs < 1e6 && window.achievedHz > 0) {
			return;
		}

		if (spanUs <= 0) {
			return;
		}

		const attempts = stats.attempts - window.at.attempts;
		const missed = stats.missed - window.at.missed;
		// Late ticks are caught up, back to back (sampler/pacer.ts): only when most come late is it news.
		const late = (stats.late ?? 0) - (window.at.late ?? 0);
		this.rateWindow = {
			at: stats,
			achievedHz: (attempts / spanUs) * 1e6,
			behind: attempts + missed > 0 && (missed / (attempts + missed) > 0.05 || late / Math.max(attempts, 1) > 0.5),
			// Native stacks turned off (without --blocking): the threads no longer stop, and no pause is shown.
			pauseUs: pauseOver(window.at, stats) ?? (this.options.blocking === true || this.native.state !== 'off' ? window.pauseUs : undefined),
		};
	}
}

/** --blocking: mean pause per sample between two readings of the sampler's counters. */
function pauseOver(from: SamplerStats, to: SamplerStats): number | undefined {
	const pauses = (to.pauses ?? 0) - (from.pauses ?? 0);
	return pauses > 0 ? ((to.pauseUs ?? 0) - (from.pauseUs ?? 0)) / pauses : undefined;
}
