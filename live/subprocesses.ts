// --subprocesses: follows the target's descendants and profiles each Python one with a
// sampler of its own, as Tachyon does; each child's profile is written next to the
// parent's as NAME_PID.EXT (Tachyon 3.15's naming: `-o out.txt` → `out_PID.txt`).
import fs from 'node:fs';
import path from 'node:path';
import {defaultOutputName, type ExportOptions, type Exporter} from '../exporters/index.js';
import type {ProfilingMode} from '../common/profile-types.js';
import type {Profile} from '../exporters/model.js';
import {readCmdline, descendants} from '../sampler/proc.js';
import type {SamplerOptions} from '../sampler/protocol.js';
import type {Sampler, SamplerEnd} from '../sampler/sampler.js';
import {openTarget} from '../sampler/target.js';
import {writeExport} from './output.js';
import {startProfiling} from './start-profiling.js';

const pollMs = 100;
/** As Tachyon: at most this many child profilers. */
const maxChildren = 100;
/** A descendant not yet Python (a shell, a fork about to exec) is looked at this many times. */
const maxLooks = 50;

export type ChildProfile = {
	readonly pid: number;
	readonly command: string[];
	readonly profile: Profile;
	readonly sampler: Sampler;
	end: SamplerEnd | undefined;
};

export type FollowerConfig = {
	readonly rootPid: number;
	/** The parent's sampler options; each child gets the same with its own pid. */
	readonly sampler: SamplerOptions;
	readonly mode: ProfilingMode;
	readonly timeline: boolean;
	/** Called for each child as its sampler starts (the live view lists them). */
	readonly onChild?: (child: ChildProfile) => void;
};

/** Output path of a child's profile: `-o x.ext` → `x_PID.ext`, a heatmap directory `x` → `x_PID`. */
export function childOutputPath(format: Exporter, pid: number, output: string | undefined): string {
	if (output === undefined || (fs.existsSync(output) && fs.statSync(output).isDirectory())) {
		// Tachyon names a child's pstats `profile_PID.pstats`; other formats as their own default.
		const name = format.id === 'pstats' ? `profile_${pid}.pstats` : defaultOutputName(format, pid);
		return output === undefined ? name : path.join(output, name);
	}

	const base = format.extension === undefined ? output.replace(/\.html?$/i, '') : output;
	// A double extension stays whole: `-o out.pb.gz` → `out_PID.pb.gz`.
	const extension = format.extension === undefined ? '' : (base.endsWith(`.${format.extension}`) ? `.${format.extension}` : path.extname(base));
	return `${base.slice(0, base.length - extension.length)}_${pid}${extension}`;
}

export class SubprocessFollower {
	readonly children = new Map<number, ChildProfile>();
	private readonly config: FollowerConfig;
	/** Descendants seen but not (yet) Python: pid → (times looked, last command line). */
	private readonly pending = new Map<number, {looks: number; command: string}>();
	private readonly timer: NodeJS.Timeout;
	private stopped = false;

	constructor(config: FollowerConfig) {
		this.config = config;
		this.timer = setInterval(() => {
			this.poll();
		}, pollMs);
		this.poll();
	}

	/** Stops every child sampler and resolves once each has delivered its samples. */
	async stop(): Promise<void> {
		this.stopped = true;
		clearInterval(this.timer);
		for (const child of this.children.values()) {
			child.sampler.stop();
		}

		await Promise.all([...this.children.values()].map(async child => {
			await child.sampler.finished;
			await child.profile.sources.settled();
		}));
	}

	/** Writes each child's profile; returns the paths written. */
	write(format: Exporter, options: ExportOptions, output: string | undefined): string[] {
		const written: string[] = [];
		for (const child of this.children.values()) {
			if (child.profile.ticks === 0) {
				continue; // It ended before its first sample.
			}

			const target = childOutputPath(format, child.pid, output);
			written.push(writeExport(format, child.profile, options, target, false) ?? target);
		}

		return written;
	}

	private poll(): void {
		if (this.stopped) {
			return;
		}

		for (const pid of descendants(this.config.rootPid)) {
			if (this.children.has(pid) || this.children.size >= maxChildren) {
				continue;
			}

			// Wait until a new process looks the same twice in a row: a fork that is about to
			// exec still maps its parent's Python, and a sampler on that image would read garbage.
			const command = readCmdline(pid).join('\0');
			const seen = this.pending.get(pid);
			if (!seen || seen.command !== command) {
				this.pending.set(pid, {looks: seen ? seen.looks + 1 : 0, command});
				continue;
			}

			if (seen.looks >= maxLooks) {
				continue;
			}

			seen.looks++;
			try {
				openTarget(pid);
			} catch {
				continue; // Not Python (yet): look again next time.
			}

			this.pending.delete(pid);
			this.start(pid);
		}
	}

	private start(pid: number): void {
		// The root's start gate is the root's alone.
		const {gateFd: _rootGate, ...shared} = this.config.sampler;
		const {profile, sampler} = startProfiling({
			...shared, pid, durationS: 0, waitForRuntimeMs: 2000, mode: this.config.mode, timeline: this.config.timeline, sources: true,
		});
		const child: ChildProfile = {pid, command: readCmdline(pid), profile, sampler, end: undefined};
		void sampler.finished.then(end => {
			child.end = end;
			profile.endReason = end.kind === 'done' ? end.reason : 'stopped';
		});
		this.children.set(pid, child);
		this.config.onChild?.(child);
	}
}
