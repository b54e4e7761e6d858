// The OS thread id (TID) of a thread state, on CPython 3.8–3.10.
//
// Why: those versions keep no native thread id in the thread state, only `thread_id`, the
// pthread_t of the thread, which on Linux (glibc and musl alike) is the address of the
// thread's `struct pthread`, and that struct holds the TID. Where in it depends on the C
// library and its version, so the offset is learned from the target itself: the one offset at
// which every thread's struct holds one of the process's TIDs (the main thread's: the PID), as
// the process knows them (in a container, its own namespace's: pid-namespace.ts).
import {namespacePid, type ThreadIdMap} from './pid-namespace.js';
import type {RemoteMemory} from './remote-memory.js';

/** How much of a struct pthread to search: glibc keeps the TID at 720, musl far lower. */
const searchBytes = 1024;
/** glibc's offset on x86-64 (struct pthread `tid`): tried first, kept when it fits. */
const glibcOffset = 720;

export class ThreadIds {
	private readonly pid: number;
	private readonly memory: RemoteMemory;
	private readonly ids: ThreadIdMap;
	private offset = -1;

	constructor(pid: number, memory: RemoteMemory, ids: ThreadIdMap) {
		this.pid = pid;
		this.memory = memory;
		this.ids = ids;
	}

	/**
	 * Where a thread's TID sits relative to its pthread_t, learned from the given thread ids
	 * (pthread_t values of live thread states); -1 until it can be told.
	 */
	learn(pthreads: readonly number[]): number {
		if (this.offset >= 0 || pthreads.length === 0) {
			return this.offset;
		}

		// In a container the structs hold the threads' ids there, not ours.
		const tids = this.ids.targetIds();
		const mainId = namespacePid(this.pid) ?? this.pid;
		const structs: Buffer[] = [];
		for (const pthread of pthreads) {
			try {
				structs.push(Buffer.from(this.memory.read(pthread, searchBytes, 0)));
			} catch {
				// A thread gone since its state was read: the others tell.
			}
		}

		// Every thread's struct holds a TID there; failing that (a thread that ended as we read),
		// the main thread's holds the PID there.
		const everyOne = (offset: number) => structs.length > 0 && structs.every(struct => tids.has(struct.readInt32LE(offset)));
		const theMainOne = (offset: number) => structs.some(struct => struct.readInt32LE(offset) === mainId);
		for (const fits of [everyOne, theMainOne]) {
			const offsets = [glibcOffset, ...Array.from({length: searchBytes / 4}, (_, index) => index * 4)];
			const found = offsets.find(offset => fits(offset));
			if (found !== undefined) {
				this.offset = found;
				break;
			}
		}

		return this.offset;
	}

	/** The TID offset from a pthread_t, or -1 while unknown. */
	get tidOffset(): number {
		return this.offset;
	}
}
