// `tachyon-top agent`: continuous profiling. Each target process has a sampler feeding its own
// profile; every interval each profile's window (the samples since the previous cut) becomes
// one gzipped pprof, pushed to Pyroscope's /ingest as the series APP{tags,pid,python} and/or
// written to --output-dir. A process that exits, and every process when the agent is stopped,
// has its last partial window sent too.
import fs from 'node:fs';
import {gzipSync} from 'node:zlib';
import {stateReadsFor, type ProfilingMode} from '../../common/profile-types.js';
import {pprofProfile} from '../../exporters/pprof.js';
import type {SamplerEnd} from '../../sampler/sampler.js';
import {startProfiling, type Profiling} from '../start-profiling.js';
import {ProcessDiscovery} from './discovery.js';
import {closeConnections, push, seriesName, type IngestRequest, type Label} from './ingest.js';
import {PushQueue} from './push-queue.js';
import {windowFileName, writeWindowFile} from './window-files.js';

export type AgentConfig = {
	readonly app: string;
	readonly tags: readonly Label[];
	/** Pyroscope's base URL; undefined when only writing files. */
	readonly server: string | undefined;
	readonly headers: readonly Label[];
	readonly outputDir: string | undefined;
	readonly intervalS: number;
	readonly hz: number;
	readonly mode: ProfilingMode;
	readonly allThreads: boolean;
	readonly native: boolean;
	readonly gc: boolean;
	/** Processes named on the command line. */
	readonly pids: readonly number[];
	/** --match / --all-python: find processes as they appear (match undefined: every Python). */
	readonly discover: {readonly match: RegExp | undefined} | undefined;
	readonly verbose: boolean;
	readonly queueLimitBytes: number;
	/** How often the one-line status is printed (without --verbose). */
	readonly statusEveryMs: number;
	/** How long a stopping agent keeps trying to send what is queued. */
	readonly flushTimeoutMs: number;
	readonly requestTimeoutMs: number;
	readonly log: (line: string) => void;
};

/** What the agent did for one process. */
export type TargetTotals = {
	readonly pid: number;
	windows: number;
	/** Samples in the windows made (what was pushed or queued). */
	samples: number;
	/** Windows the server took. */
	sent: number;
	end: 'running' | 'exited' | 'stopped' | 'failed';
};

type Target = {
	readonly pid: number;
	readonly profiling: Profiling;
	readonly totals: TargetTotals;
	readonly explicit: boolean;
	/** Resolves once the last window is made, after the sampler ended. */
	finished?: Promise<void>;
};

type Outgoing = {
	readonly bytes: number;
	readonly request: IngestRequest;
	readonly totals: TargetTotals;
	readonly samples: number;
};

/** How often --match / --all-python look for new processes (each look reads every process's maps). */
function discoveryPeriodMs(intervalS: number): number {
	return Math.min(5000, Math.max(1000, intervalS * 1000));
}

const kilobytes = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

export class Agent {
	/** Resolves when there is nothing left to profile: every named process ended and nothing is discovered. */
	readonly idle: Promise<void>;
	readonly totals = new Map<number, TargetTotals>();
	private readonly config: AgentConfig;
	private readonly targets = new Map<number, Target>();
	private readonly queue: PushQueue<Outgoing> | undefined;
	private readonly discovery: ProcessDiscovery | undefined;
	/** Discovered processes that could not be profiled: not tried again while they live. */
	private readonly failed = new Set<number>();
	private readonly timers: NodeJS.Timeout[] = [];
	private quickLook: NodeJS.Timeout | undefined;
	private resolveIdle!: () => void;
	private stopping: Promise<void> | undefined;
	private filesWritten = 0;
	private fileError: string | undefined;

	constructor(config: AgentConfig) {
		this.config = config;
		this.idle = new Promise(resolve => {
			this.resolveIdle = resolve;
		});
		this.discovery = config.discover ? new ProcessDiscovery({match: config.discover.match}) : undefined;
		if (config.server !== undefined) {
			const {server, headers, requestTimeoutMs} = config;
			this.queue = new PushQueue<Outgoing>({
				limitBytes: config.queueLimitBytes,
				send: async item => push(server, headers, item.request, requestTimeoutMs),
				onSent: (item, status, ms) => {
					item.totals.sent++;
					if (config.verbose) {
						config.log(`pushed ${item.request.name} ${clock(item.request.from * 1000)}–${clock(item.request.until * 1000)}: ${item.samples} samples, ${kilobytes(item.bytes)} (HTTP ${status}, ${Math.round(ms)} ms)`);
					}
				},
				onRetry: (item, reason, delayMs) => {
					if (config.verbose) {
						config.log(`push of ${item.request.name} failed (${reason}); retrying in ${(delayMs / 1000).toFixed(1)} s, ${this.queue!.length} window(s) queued`);
					}
				},
				onRejected(item, reason) {
					config.log(`the server refused ${item.request.name} ${clock(item.request.from * 1000)}–${clock(item.request.until * 1000)} (${reason}); dropped`);
				},
				onDropped(count, bytes) {
					config.log(`queue over ${kilobytes(config.queueLimitBytes)}: dropped the ${count} oldest window(s) (${kilobytes(bytes)})`);
				},
			});
		}
	}

	start(): void {
		for (const pid of this.config.pids) {
			this.attach(pid, true, undefined);
		}

		this.timers.push(setInterval(() => {
			for (const target of this.targets.values()) {
				this.ship(target);
			}
		}, this.config.intervalS * 1000));
		const where = [this.config.server, this.config.outputDir].filter(Boolean).join(' and ');
		if (this.discovery) {
			const look = () => {
				this.discover();
			};

			this.timers.push(setInterval(look, discoveryPeriodMs(this.config.intervalS)));
			look();
			const which = this.config.discover!.match ? `matching /${this.config.discover!.match.source}/` : 'of this user';
			this.config.log(`watching for Python processes ${which} (a window every ${this.config.intervalS} s to ${where} as ${this.config.app})`);
		} else {
			this.config.log(`profiling ${this.config.pids.join(', ')} (a window every ${this.config.intervalS} s to ${where} as ${this.config.app})`);
		}

		if (!this.config.verbose) {
			this.timers.push(setInterval(() => {
				this.config.log(this.status());
			}, this.config.statusEveryMs));
		}

		this.checkIdle();
	}

	/** Stops sampling, sends every last partial window (for up to flushTimeoutMs), and closes. */
	async stop(): Promise<void> {
		this.stopping ??= this.shutdown();
		return this.stopping;
	}

	/** One line: what the agent is doing and has done so far. */
	status(): string {
		return `tachyon-top agent: ${this.targets.size} process${this.targets.size === 1 ? '' : 'es'} attached, ${this.summary()}`;
	}

	/** What was sent, retried, dropped, queued and written. */
	summary(): string {
		const {queue} = this;
		const stats = queue?.stats;
		return [
			...(queue && stats ? [`${stats.sent} windows sent`, `${stats.retried} retried`, `${stats.dropped} dropped`, ...(stats.rejected > 0 ? [`${stats.rejected} refused`] : []), `${queue.length} queued`] : []),
			...(this.config.outputDir === undefined ? [] : [`${this.filesWritten} files written`]),
		].join(', ');
	}

	private async shutdown(): Promise<void> {
		for (const timer of this.timers) {
			clearInterval(timer);
		}

		clearTimeout(this.quickLook);

		const targets = [...this.targets.values()];
		for (const target of targets) {
			target.profiling.sampler.stop();
		}

		await Promise.all(targets.map(async target => target.finished));
		if (this.queue && this.queue.length > 0) {
			const left = await this.queue.flush(this.config.flushTimeoutMs);
			if (left > 0) {
				this.config.log(`could not send ${left} window(s) before stopping (${this.config.server} unreachable)`);
			}
		}

		closeConnections();
	}

	private discover(): void {
		for (const pid of this.failed) {
			if (!fs.existsSync(`/proc/${pid}`)) {
				this.failed.delete(pid);
			}
		}

		const known = new Set([...this.targets.keys(), ...this.failed]);
		const found = this.discovery!.poll(known, entry => {
			this.config.log(`cannot profile pid ${entry.pid} (${entry.command}): ${entry.unreadable}`);
		});
		for (const entry of found) {
			this.attach(entry.pid, false, entry.command);
		}

		// A new process is taken on its second sighting: look again soon rather than a period later.
		if (this.discovery!.waiting > 0 && this.quickLook === undefined) {
			this.quickLook = setTimeout(() => {
				this.quickLook = undefined;
				if (this.stopping === undefined) {
					this.discover();
				}
			}, 250);
		}
	}

	private attach(pid: number, explicit: boolean, command: string | undefined): void {
		const {config} = this;
		const profiling = startProfiling({
			pid,
			intervalUs: Math.max(1, Math.round(1e6 / config.hz)),
			allThreads: config.allThreads,
			gc: config.gc,
			native: config.native,
			...stateReadsFor(config.mode),
			// Fewer, larger batches: the agent needs them only once per interval.
			batchMs: 500,
			// A discovered process may still be starting its interpreter.
			waitForRuntimeMs: explicit ? 0 : 2000,
			mode: config.mode,
		}, {
			onAttached(target) {
				if (config.verbose) {
					config.log(`attached pid ${pid} (Python ${target.version}): ${(command ?? target.command.join(' ')).replaceAll(/\s+/g, ' ')}`);
				}
			},
		});
		const totals: TargetTotals = {pid, windows: 0, samples: 0, sent: 0, end: 'running'};
		const target: Target = {pid, profiling, totals, explicit};
		this.totals.set(pid, totals);
		this.targets.set(pid, target);
		target.finished = profiling.sampler.finished.then(end => {
			this.finish(target, end);
		});
	}

	private finish(target: Target, end: SamplerEnd): void {
		this.ship(target);
		this.targets.delete(target.pid);
		const {totals} = target;
		if (end.kind === 'error' && totals.samples === 0) {
			totals.end = 'failed';
			this.config.log(`cannot profile pid ${target.pid}: ${end.message}`);
			if (!target.explicit) {
				this.failed.add(target.pid);
			}
		} else {
			totals.end = end.kind === 'done' && end.reason === 'exited' ? 'exited' : 'stopped';
			if (this.config.verbose && totals.end === 'exited') {
				this.config.log(`pid ${target.pid} exited: ${totals.windows} window(s), ${totals.samples} samples`);
			}
		}

		this.checkIdle();
	}

	private checkIdle(): void {
		if (this.targets.size === 0 && !this.discovery) {
			this.resolveIdle();
		}
	}

	/** Cuts the target's window and sends it on: to the queue, to a file. Empty windows are skipped. */
	private ship(target: Target): void {
		const {profile} = target.profiling;
		const window = profile.cut();
		const message = pprofProfile(profile, {window});
		let samples = 0;
		for (const sample of message.sample) {
			samples += Number(sample.value[0]);
		}

		if (samples === 0) {
			return;
		}

		const fromMs = profile.meta.startedAt + (window.startUs / 1000);
		const untilMs = profile.meta.startedAt + (window.endUs / 1000);
		const data = gzipSync(message.encode());
		const {totals} = target;
		totals.windows++;
		totals.samples += samples;
		const python = /^\d+\.\d+/.exec(profile.meta.pythonVersion)?.[0] ?? 'unknown';
		const from = Math.floor(fromMs / 1000);
		const request: IngestRequest = {
			name: seriesName(this.config.app, [...this.config.tags, ['pid', String(target.pid)], ['python', python]]),
			from,
			// Pyroscope wants until after from; only a last window under a second long needs the nudge.
			until: Math.max(from + 1, Math.floor(untilMs / 1000)),
			sampleRate: this.config.hz,
			profile: data,
		};
		this.queue?.add({bytes: data.length, request, totals, samples});
		if (this.config.outputDir !== undefined) {
			this.writeFile(target.pid, fromMs, data);
		}
	}

	private writeFile(pid: number, fromMs: number, data: Uint8Array): void {
		try {
			writeWindowFile(this.config.outputDir!, windowFileName(this.config.app, pid, fromMs), data);
			this.filesWritten++;
			this.fileError = undefined;
		} catch (error) {
			const message = (error as Error).message;
			if (message !== this.fileError) {
				this.fileError = message;
				this.config.log(`cannot write to ${this.config.outputDir}: ${message}`);
			}
		}
	}
}
