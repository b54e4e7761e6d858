// --subprocesses: the target's Python descendants, each with a profile of its own, written next
// to the parent's as NAME_PID.EXT (Tachyon 3.15's naming: `-o out.txt` → `out_PID.txt`).
// The target's sampler worker finds and reads them (sampler/followed-children.ts); this side
// turns its news into one profile per child, and keeps the Python children that ended before
// they could be read, to report them.
import fs from 'node:fs';
import path from 'node:path';
import {defaultOutputName} from '../exporters/formats.js';
import type {ExportOptions, Exporter} from '../exporters/index.js';
import type {ProfilingMode} from '../common/profile-types.js';
import {Profile} from '../exporters/model.js';
import type {SamplerOptions} from '../sampler/protocol.js';
import type {ChildEvent, Sampler, SamplerEnd, SamplerHandle} from '../sampler/sampler.js';
import {SourceLines} from '../sampler/source-lines.js';
import {UserError} from '../common/errors.js';
import {checkOutput, writeExportOrFallBack, type WrittenExport} from './output.js';
import {profileMetaFor} from './start-profiling.js';

export type ChildProfile = {
	readonly pid: number;
	readonly command: string[];
	readonly profile: Profile;
	/** This child's sampling: stop() ends it alone; `finished` resolves once it has ended. */
	readonly sampler: SamplerHandle;
	end: SamplerEnd | undefined;
};

/** A Python child that ended before it could be read once. */
export type UnreadChild = {readonly pid: number; readonly command: string[]; readonly why: string};

export type FollowerConfig = {
	/** The target's sampler options; each child's profile says the same, its own pid aside. */
	readonly sampler: SamplerOptions;
	readonly mode: ProfilingMode;
	readonly timeline: boolean;
	/** Keep each child's last minute of samples by time (the live view's window). */
	readonly recent?: boolean;
	/** Read each child's source files while it runs (unless false): for outputs that show them (FormatInfo.needsSources). */
	readonly sources?: boolean;
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

/**
 * The children's files checked before anything is sampled, as -o is (checkOutput): they go
 * beside -o's file, or into the current directory when pstats prints its table. Their PIDs are
 * not known yet; `pid` stands in for them (only the folder matters).
 */
export function checkChildOutput(format: Exporter, pid: number, output: string | undefined): void {
	const place = childOutputPath(format, pid, output);
	try {
		checkOutput(format, pid, place);
	} catch (error) {
		// Said as the user asked it: -o, or the current directory the children's files go to.
		throw output === undefined && error instanceof UserError ? new UserError(`--subprocesses: ${error.message.replace(/^-o \S+: /, '')} (each child's profile goes to the current directory)`, 2) : error;
	}
}

export class SubprocessFollower {
	readonly children = new Map<number, ChildProfile>();
	/** Python children that ended before they could be read, in the order they were found. */
	readonly unread: UnreadChild[] = [];
	private readonly config: FollowerConfig;
	private readonly ends = new Map<number, (end: SamplerEnd) => void>();
	/** Each child's source files, read while it runs (as startProfiling's `sources` does for the target). */
	private readonly sources = new Map<number, SourceLines>();
	private readonly listeners: Array<(child: ChildProfile) => void> = [];
	private root: Sampler | undefined;
	private rootFinished: Promise<unknown> = Promise.resolve();

	constructor(config: FollowerConfig) {
		this.config = config;
	}

	/**
	 * The target's sampler, started with followChildren and onEvent as its onChild: children are
	 * stopped through it, and end with it.
	 */
	follow(root: Sampler): void {
		this.root = root;
		this.rootFinished = root.finished.then(end => {
			for (const pid of [...this.ends.keys()]) {
				this.ended(pid, end.kind === 'error' ? end : {kind: 'done', reason: 'stopped'});
			}
		});
	}

	/** Calls `listener` for each child as its sampling starts, those already sampled first (the live view lists them). */
	listen(listener: (child: ChildProfile) => void): void {
		this.listeners.push(listener);
		for (const child of this.children.values()) {
			listener(child);
		}
	}

	/** What the target's worker says about its children (ProfilingHooks.onChild). */
	readonly onEvent = (event: ChildEvent): void => {
		switch (event.type) {
			case 'child-attached': {
				this.attached(event.target.pid, event.target);
				break;
			}

			case 'batch': {
				const profile = this.children.get(event.pid)?.profile;
				profile?.ingest(event);
				// New files are read now, while the child still runs (its files as it sees them).
				if (profile && event.frames.length > 0) {
					this.sources.get(event.pid)?.prefetch(event.frames.map(frame => frame.filename));
				}

				break;
			}

			case 'child-ended': {
				this.ended(event.pid, {kind: 'done', reason: event.reason});
				break;
			}

			case 'child-unread': {
				this.unread.push({pid: event.pid, command: event.command, why: event.why});
				break;
			}
		}
	};

	/** Resolves once the target's sampler, and with it every child's sampling, has ended. */
	async stop(): Promise<void> {
		this.root?.stop();
		await this.rootFinished;
		await Promise.all([...this.children.values()].map(async child => child.profile.sources.settled()));
	}

	/**
	 * Writes each child's profile; returns where each went. A write that fails goes to the
	 * child's default name in the current or the temporary directory (writeExportOrFallBack).
	 */
	write(format: Exporter, options: ExportOptions, output: string | undefined): WrittenExport[] {
		const written: WrittenExport[] = [];
		for (const child of this.children.values()) {
			if (child.profile.ticks === 0) {
				continue; // Stopped before its first sample (one that exited so is in `unread`).
			}

			written.push(writeExportOrFallBack(format, child.profile, options, childOutputPath(format, child.pid, output), false));
		}

		return written;
	}

	/** One line per Python child that ended before it could be read. */
	report(): string[] {
		return this.unread.map(child => `tachyon-top: child process ${child.pid} (${child.command.join(' ').slice(0, 80)}) was not sampled: ${child.why}`);
	}

	private attached(pid: number, target: Parameters<Profile['setTarget']>[0]): void {
		const profile = new Profile(profileMetaFor({...this.config.sampler, pid}, this.config.mode), {timeline: this.config.timeline, recent: this.config.recent === true});
		profile.setTarget(target);
		if (this.config.sources !== false) {
			const sources = new SourceLines(pid);
			profile.sources = sources;
			this.sources.set(pid, sources);
		}
		const finished = new Promise<SamplerEnd>(resolve => {
			this.ends.set(pid, resolve);
		});
		const child: ChildProfile = {
			pid,
			command: target.command,
			profile,
			sampler: {
				finished,
				stop: () => {
					this.root?.stopChild(pid);
				},
			},
			end: undefined,
		};
		this.children.set(pid, child);
		for (const listener of this.listeners) {
			listener(child);
		}
	}

	private ended(pid: number, end: SamplerEnd): void {
		const child = this.children.get(pid);
		const resolve = this.ends.get(pid);
		this.ends.delete(pid);
		if (child && resolve) {
			child.end = end;
			child.profile.endReason = end.kind === 'done' ? end.reason : 'stopped';
			resolve(end);
		}
	}
}
