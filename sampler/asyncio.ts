// --async-aware: rebuilds each asyncio task's await chain as Tachyon does. A stack reads, root
// first: <task> root, its coroutine frames, <task> child, ... down to the leaf task's frames.
//
// Where the tasks come from depends on the version: 3.14+ keep per-thread task lists for
// debuggers (asyncio-lists.ts); 3.11–3.13 keep none, and their tasks are read through asyncio's
// Python objects (asyncio-objects.ts). The chains are built the same way from either.
import {UserError} from '../common/errors.js';
import {ThreadStatus, type AsyncMode} from '../common/profile-types.js';
import {sameNumbers} from '../common/same-numbers.js';
import {TaskLists} from './asyncio-lists.js';
import {coroutineFrame, TaskObjects, untag, type Task, type TaskSource} from './asyncio-objects.js';
import type {FrameTable} from './frame-table.js';
import {asyncObjectLayout, type AsyncObjectLayout} from './layouts.js';
import {opcodeBase, opcodeName} from './opcodes.js';
import {AddressMap} from './address-map.js';
import {PageSnapshot} from './page-snapshot.js';
import {readInt} from './python-objects.js';
import type {RemoteContext} from './remote-context.js';
import {TornReadError} from './remote-memory.js';
import {ThreadActivity} from './thread-activity.js';
import type {ThreadSample} from './unwind-types.js';

/** What the rewrite needs of the stack sampler (the Unwinder): its samples, and ids of coroutine frames. */
export type StackSampler = {
	readonly samples: ThreadSample[];
	readonly frameTable: FrameTable;
	/** Set here: the rewrite cuts a thread's stack at its running task's coroutine frame. */
	recordAddresses: boolean;
	frameIdAt(address: number): number;
};

/**
 * What a task is in a stack besides its place: its coroutine frames (leaf first), its awaiters
 * and name (\`all\`), and the pages they were read from (\`pages\`, complete when \`whole\`).
 * \`kept\`: the rewrite of \`pass\` kept it from the one before instead of reading it.
 */
type TaskPart = {
	pass: number; frames: number[]; pages: number[]; whole: boolean; kept: boolean; parents: number[]; name: string;
	/** The rewrite in which a page it was read from changed (see partsByPage), in which it awaited another task, in which it read torn memory. */
	changedIn: number; awaitedIn: number; tornIn: number;
	/** The table it belongs to (see AsyncStacks.partOfTask). */
	table: TaskPart[];
};

const maxChain = 256;
/**
 * Partial rewrites (see AsyncStacks.partial) between two that read every task, at most; fewer
 * where the pages compared have grown by pageGrowthToWhole since the last that read every task.
 * Only such a rewrite drops the pages no task reads any more (tasks gone): a partial one
 * compares every page the last one did. Reading every task costs ~200 ms at 10,000 tasks,
 * which every 100 partial rewrites was a sixth of a capture's time with 5 tasks moving.
 */
const maxPartialPasses = 1000;
const pageGrowthToWhole = 1.25;
/** See AsyncStacks.partsListed: ~9 pages a part at 10,000 parked tasks, so a few times what a rewrite lists afresh. */
const maxListedPerTask = 32;
/** A task part read from more pages than this (its awaiters read again, pages added each time) is read whole again. */
const maxPartPages = 256;
/** A look at the threads' activity is made only where the last rewrite read this many pages per thread looked at. */
const pagesPerThreadLooked = 8;
/** The root of a stack sampled outside any task. */
const noTask = '<no task>';
const longSubclass = 1 << 24;
const unicodeSubclass = 1 << 28;

export class AsyncStacks {
	private readonly remote: RemoteContext;
	private readonly stacks: StackSampler;
	private readonly mode: AsyncMode;
	private readonly source: TaskSource;
	/** 3.11–3.13: where a suspended coroutine's value stack is (no stackpointer in their layouts). */
	private readonly objectLayout: AsyncObjectLayout | undefined;
	private readonly taskFrames = new Map<string, number>();
	/**
	 * Each task's coroutine frames, computed once a rewrite (a parent's are needed once per
	 * child) into arrays kept from rewrite to rewrite, so 10,000 tasks allocate nothing.
	 */
	private readonly coroutineIndex = new AddressMap(3, 14);
	private coroutines: TaskPart[] = [];
	/** \`all\`: per stack of the last rewrite, what it was built from (see rewriteFromPages). */
	private readonly built: Array<{pass: number; leaf: number; chain: TaskPart[]}> = [];
	private lastTasks: number[] = [];
	/** partOf's copy of a part's last frames, awaiters and name while it reads them again. */
	private readonly previousPart = {frames: [] as number[], parents: [] as number[], name: ''};
	/** \`all\`: the parts of a rewrite's tasks, in the tasks' order (reused). */
	private readonly partsInOrder: TaskPart[] = [];
	private pass = 0;
	/**
	 * `all`: the last rewrite read again only the parts of tasks that read a page in `changed`
	 * last time (a partial rewrite), and kept the others'; at most maxPartialPasses in a row, so
	 * that pages no task reads any more (tasks gone) drop out of the comparison.
	 */
	partial = false;
	/** The pages the last rewrite that read every task compared (-1: not known yet, see rewrite). */
	private pagesAfterWhole = -1;
	/** Per stack of a partial rewrite: 1 where it is the last rewrite's stack at the same index (same thread). */
	private kept = new Uint8Array(0);
	private keptValid = false;
	private producedBefore = -1;
	/**
	 * \`all\`: the parts read from each page since the last rewrite that read every part (a part
	 * read again is listed again; one no longer read from a page stays listed, which costs it a
	 * read at most). A partial rewrite marks the parts of the changed pages through it (changedIn)
	 * instead of looking at every part's pages: 10,000 parts with a few pages changed cost a few
	 * lookups, not 10,000 × their pages × the changed pages (2.3 ms of a 20 ms sample).
	 */
	private readonly partsByPage = new Map<number, TaskPart[]>();
	/**
	 * Entries of partsByPage. Parts read again (tasks that moved) and parts of new tasks are
	 * listed again, and the parts of tasks gone stay listed, until a rewrite reads every task:
	 * one comes once there are maxListedPerTask entries per task of the last rewrite.
	 */
	private partsListed = 0;
	private passesSinceWhole = 0;
	/** Value-stack slots that may hold the awaited object (awaitedSlots), reused. */
	private readonly slots: number[] = [0, 0];
	private readonly out: ThreadSample[] = [];
	/** Threads seen running a task: their samples outside tasks are kept (see rewrite). */
	private readonly loopThreads = new Set<number>();
	/** Per stack of the last rewrite: the name of its leaf task (dump's section headers). */
	readonly leafNames: string[] = [];
	/** Generator states of the target's version: suspended (in `await`, 3.13+), and cleared. */
	private readonly yieldFrom: number;
	private readonly cleared: number;
	/**
	 * Frame ids of coroutine frames by frame address, with the code and position they were
	 * found for: a suspended coroutine's frame keeps both from sample to sample, and two words
	 * checked cost far less than reading the frame and looking its code up again.
	 */
	private readonly frameIndex = new AddressMap(3, 14);
	private frameCodes: number[] = [];
	private framePositions: number[] = [];
	private frameIds: number[] = [];
	/** The tasks seen in the current chain (emit), reused. */
	private readonly chain = new Set<number>();
	/** Every read of a rewrite goes through pages: tasks, coroutines and frames lie packed in a few. */
	private readonly pages: PageSnapshot;
	/** `all`: whether any thread of the target ran since the last rewrite (none: nothing to read). */
	private readonly activity: ThreadActivity | undefined;
	/**
	 * `all`: the task stacks the last rewrite produced (-1: none, or it failed), and the threads
	 * it was given (tid, thread state, status), all it depends on besides the pages it read.
	 */
	private lastProduced = -1;
	private lastThreads: number[] = [];
	/**
	 * The last rewrite repeated the one before it: its samples have the same threads and stacks,
	 * in the same order; only their statuses may differ (see rewrite).
	 */
	repeated = false;
	/** Thread statuses by tid, for a repeat whose threads' statuses changed (reused). */
	private readonly statusByTid = new Map<number, number>();

	constructor(remote: RemoteContext, stacks: StackSampler, mode: AsyncMode) {
		const {target, traits} = remote;
		this.remote = remote;
		this.stacks = stacks;
		this.mode = mode;
		this.objectLayout = asyncObjectLayout(target.version);
		const source = traits.asyncTasks === 'task-lists' ? new TaskLists(remote) : TaskObjects.forTarget(remote);
		if (!source) {
			throw new UserError(`--async-aware does not support Python ${target.version.text}`, 2);
		}

		this.source = source;
		stacks.recordAddresses = true;
		this.yieldFrom = traits.genAwaiting;
		this.cleared = traits.genCleared;
		this.pages = new PageSnapshot(target.pid, mode === 'all');
		this.activity = mode === 'all' ? new ThreadActivity(target.pid) : undefined;
	}

	/** Releases the /proc file descriptors it keeps. */
	close(): void {
		this.activity?.close();
	}

	/**
	 * Replaces the thread samples the sampler just took, [0, count), by one sample per task
	 * chain; returns the new count.
	 *
	 * `running`: a thread running no task (its event loop waiting in select, running a plain
	 * callback, or no loop yet) keeps its own stack under a `<no task>` root, for the main
	 * thread and any thread seen running a task: Tachyon drops those samples, so its table
	 * accounted for 44 of 370 samples captured on an idle loop. Other threads, which never
	 * ran a task, drop out as in Tachyon. `all`: one sample per leaf task, as Tachyon.
	 *
	 * `all` on a program whose tasks did not move (every word the last rewrite read holds the
	 * same bytes, the same threads at the same thread states, no cache of the source due for a
	 * refresh): the task stacks are the last rewrite's, so they are handed back without walking
	 * again, each with the status its thread has now (a task's status is its thread's), and
	 * `repeated` says so (the batch then sends the tick as a repeat, or with the stacks it
	 * interned last time). 10,000 parked tasks cost the page copy and a memcmp instead of a walk
	 * of every task.
	 *
	 * `all` where some of those words changed (a few tasks moved): a partial rewrite. Each task's
	 * part (awaiters, name, coroutine frames) is read again only if a page it was read from holds
	 * a changed word, and each stack whose tasks all read as before (and the same tasks in the
	 * same order) is the last one, not built again: 10,000 parked tasks with a few moving cost
	 * the page copy, the memcmp, the task list and a pass over the kept parts.
	 */
	rewrite(nowMs: number, count: number): number {
		// Looked at before any page is read, so that a quiet look vouches for the pages the last
		// rewrite read after its own look (see ThreadActivity). Only where the pages outweigh the
		// look: ~7 µs a thread against ~1 µs a page copied and compared. A look left out breaks
		// nothing: the next one answers for the time since the last one made.
		if (this.activity && this.pages.lastPassPages >= pagesPerThreadLooked * this.activity.watched
			&& this.activity.quietSinceLastLook() && this.sameThreadsAsLast(nowMs, count)) {
			return this.repeatLast(count);
		}

		const done = this.remote.memory.snapshotReads(this.pages);
		try {
			const changed = this.sameThreadsAsLast(nowMs, count) ? this.pages.changedPages() : undefined;
			if (changed?.length === 0) {
				this.pages.keepLastReads();
				return this.repeatLast(count);
			}

			this.repeated = false;
			this.keptValid = false;
			this.producedBefore = this.lastProduced;
			this.lastProduced = -1;
			if (this.pagesAfterWhole < 0) {
				// The last rewrite read every task: the pages it compared are the measure of growth.
				this.pagesAfterWhole = this.pages.lastPassPages;
			}

			this.partial = changed !== undefined && this.passesSinceWhole < maxPartialPasses
				&& this.pages.lastPassPages <= (this.pagesAfterWhole * pageGrowthToWhole) + 64
				&& this.partsListed <= (maxListedPerTask * this.lastTasks.length) + 65_536;
			if (this.partial) {
				// Only what read a changed page is read again (see partOf); the words the
				// rest was read from count as read by this pass, to be compared again next time.
				this.pages.keepLastReads();
				this.markChangedParts(changed!, this.pass + 1);
				this.passesSinceWhole++;
			} else {
				// Every part is read again, and listed again under the pages it reads now.
				this.partsByPage.clear();
				this.partsListed = 0;
				this.passesSinceWhole = 0;
				this.pagesAfterWhole = -1;
			}

			const produced = this.rewriteFromPages(nowMs, count);
			if (this.mode === 'all') {
				this.rememberThreads(count);
				this.lastProduced = produced;
			}

			return produced;
		} finally {
			done();
		}
	}

	/**
	 * After a partial rewrite that produced as many stacks as the one before: 1 for each stack
	 * that is that rewrite's stack at the same index, on the same thread (the batch then reuses
	 * its stack id instead of interning it again); else undefined.
	 */
	get keptStacks(): Uint8Array | undefined {
		return this.keptValid && !this.repeated ? this.kept : undefined;
	}

	/** The next rewrite walks every task, changed or not (the bench measures what a walk costs). */
	walkNext(): void {
		this.lastProduced = -1;
	}

	/**
	 * Whether the last rewrite may be repeated as far as all but its pages go: there is one, it
	 * had the same threads at the same thread states, and no cache of the source is due. (Its
	 * pages are the caller's question: changedPages, or no thread having run since.)
	 */
	private sameThreadsAsLast(nowMs: number, count: number): boolean {
		if (this.lastProduced < 0 || !this.source.settled(nowMs) || this.lastThreads.length !== count * 3) {
			return false;
		}

		const {samples} = this.stacks;
		const last = this.lastThreads;
		for (let index = 0; index < count; index++) {
			const thread = samples[index]!;
			if (last[index * 3] !== thread.tid || last[(index * 3) + 1] !== thread.tstate) {
				return false;
			}
		}

		return true;
	}

	/** Hands the last rewrite's task stacks out again, each with its thread's status now. */
	private repeatLast(count: number): number {
		this.repeated = true;
		this.restatus(count);
		// The thread samples just taken overwrote the first slots of the last result, and a
		// sample that failed (not rewritten) may have overwritten more: hand out every stack.
		this.handOut(0, this.lastProduced);
		this.rememberThreads(count);
		return this.lastProduced;
	}

	/**
	 * A repeat whose threads' statuses changed: each task stack takes its thread's status now,
	 * as a walk would give it (every stack's tid is one of the threads', its status that thread's).
	 */
	private restatus(count: number): void {
		const {samples} = this.stacks;
		const last = this.lastThreads;
		let changed = false;
		for (let index = 0; index < count && !changed; index++) {
			changed = last[(index * 3) + 2] !== samples[index]!.status;
		}

		if (!changed) {
			return;
		}

		const statuses = this.statusByTid;
		statuses.clear();
		for (let index = 0; index < count; index++) {
			statuses.set(samples[index]!.tid, samples[index]!.status);
		}

		for (let index = 0; index < this.lastProduced; index++) {
			const sample = this.out[index]!;
			sample.status = statuses.get(sample.tid) ?? sample.status;
		}
	}

	private rememberThreads(count: number): void {
		const {samples} = this.stacks;
		const last = this.lastThreads;
		last.length = count * 3;
		for (let index = 0; index < count; index++) {
			const thread = samples[index]!;
			last[index * 3] = thread.tid;
			last[(index * 3) + 1] = thread.tstate;
			last[(index * 3) + 2] = thread.status;
		}
	}

	/** Copies the task stacks [from, to) to the sampler's sample slots, where the caller reads them. */
	private handOut(from: number, to: number): void {
		for (let index = from; index < to; index++) {
			const source = this.out[index]!;
			const sample = this.stacks.samples[index] ?? (this.stacks.samples[index] = {tid: 0, tstate: 0, status: 0, depth: 0, frames: []});
			sample.tid = source.tid;
			sample.status = source.status;
			sample.depth = source.depth;
			for (let depth = 0; depth < source.depth; depth++) {
				sample.frames[depth] = source.frames[depth]!;
			}
		}
	}

	private rewriteFromPages(nowMs: number, count: number): number {
		const threads = this.stacks.samples.slice(0, count);
		const tasks = this.source.collect(nowMs, threads, this.mode === 'all');
		if (!tasks && this.mode === 'all') {
			return 0;
		}

		this.pass++;
		if (this.coroutines.length > 2 * (tasks?.size ?? 0) + 4096) {
			// Tasks come and go: start the table afresh rather than let it grow.
			this.coroutineIndex.clear();
			this.coroutines = [];
		}

		let produced = 0;
		if (this.mode === 'running') {
			for (const thread of threads) {
				const running = tasks ? this.source.running(thread) : 0;
				if (running === 0) {
					if ((thread.status & ThreadStatus.mainThread) !== 0 || this.loopThreads.has(thread.tid)) {
						this.emitOutsideTasks(produced++, thread);
					}

					continue;
				}

				this.loopThreads.add(thread.tid);
				const task = tasks!.get(running) ?? {address: running, tid: thread.tid, status: thread.status, name: undefined, parents: undefined};
				// The running task's own part is the thread's real stack down to its coroutine, so
				// plain `await coro()` callees show too.
				const coroFrame = coroutineFrame(this.remote, untag(this.remote.memory.pointer(running + this.source.taskCoro)));
				const cut = thread.addresses?.indexOf(coroFrame) ?? -1;
				const own = cut >= 0 ? thread.frames.slice(0, cut + 1) : this.coroutineFrames(running);
				this.emit(produced++, thread.tid, thread.status, own, task, tasks!);
			}
		} else {
			// The same tasks in the same order as last time: a stack whose tasks all kept their
			// parts (see partOf) is the last one at the same index.
			const sameTasks = this.sameTasksAsLast(tasks!);
			// Each task's part in the tasks' order, and which tasks await others: marked on their
			// parts, not put in a Set (10,000 lookups of numbers past 2^31, each boxed).
			const inOrder = this.partsInOrder;
			let parents: number[] | undefined;
			let at = 0;
			for (const task of tasks!.values()) {
				const part = this.partOrTorn(task, tasks!, sameTasks);
				inOrder[at++] = part;
				if (part.parents !== parents) {
					// Children of one parent share one list of parents (TaskLists.singleParent): marked once.
					parents = part.parents;
					for (const parent of parents) {
						this.entryOf(parent).awaitedIn = this.pass;
					}
				}
			}

			const kept = this.kept.length >= tasks!.size ? this.kept : (this.kept = new Uint8Array(tasks!.size * 2));
			at = 0;
			for (const task of tasks!.values()) {
				const part = inOrder[at++]!;
				if (part.awaitedIn === this.pass || part.tornIn === this.pass) {
					continue;
				}

				const index = produced++;
				const built = this.built[index];
				if (sameTasks && built?.pass === this.pass - 1 && built.leaf === task.address && this.allKept(built.chain)) {
					built.pass = this.pass;
					const sample = this.out[index]!;
					kept[index] = sample.tid === task.tid ? 1 : 0;
					sample.tid = task.tid;
					sample.status = task.status;
				} else {
					kept[index] = 0;
					this.emit(index, task.tid, task.status, this.coroutineFrames(task.address), task, tasks!);
				}
			}

			this.keptValid = sameTasks && produced === this.producedBefore;
		}

		this.handOut(0, produced);
		return produced;
	}

	/** Whether every part of a stack's chain is as the last rewrite had it. */
	private allKept(chain: readonly TaskPart[]): boolean {
		for (const part of chain) {
			if (part.pass !== this.pass || !part.kept) {
				return false;
			}
		}

		return true;
	}

	/** Whether `tasks` holds the tasks of the last rewrite, in the same order (and remembers them). */
	private sameTasksAsLast(tasks: Map<number, Task>): boolean {
		const last = this.lastTasks;
		let same = this.partial && last.length === tasks.size;
		let index = 0;
		for (const address of tasks.keys()) {
			if (same && last[index] !== address) {
				same = false;
			}

			last[index++] = address;
		}

		last.length = index;
		return same;
	}

	/**
	 * \`all\`: a task's own part (its awaiters, its name, its coroutine frames), read once a
	 * rewrite, and read at all only when one of the pages it was read from last time changed in
	 * a word read (a partial rewrite): else it is kept, as the last rewrite read it.
	 */
	private partOf(task: Task, tasks: Map<number, Task>, sameTasks: boolean): TaskPart {
		const part = this.partOfTask(task);
		if (part.pass !== this.pass) {
			part.kept = this.partial && part.whole && part.pass === this.pass - 1 && part.pages.length < maxPartPages && part.changedIn !== this.pass;
			part.pass = this.pass;
			if (part.kept && !sameTasks) {
				// Tasks came or went: which of its awaiters are tasks may differ, though its words did not.
				const listed = part.pages.length;
				this.pages.startTrace(part.pages, true);
				try {
					task.parents = undefined;
					part.parents = this.parentsOf(task, tasks);
				} catch (error) {
					part.pass = -1;
					throw error;
				} finally {
					this.pages.stopTrace();
				}

				this.listUnderPages(part, listed);
			}

			if (!part.kept) {
				const was = part.whole ? this.lastPart(part) : undefined;
				part.whole = false;
				this.pages.startTrace(part.pages);
				try {
					task.parents = undefined;
					task.name = undefined;
					part.parents = this.parentsOf(task, tasks);
					part.name = this.nameOf(task);
					this.readCoroutineFrames(task.address, part.frames);
					part.whole = true;
					// Read again but found the same: the stacks it is in need not be built again.
					part.kept = was !== undefined && this.sameAsLast(part, was);
				} catch (error) {
					part.pass = -1; // Half read: read again next time.
					throw error;
				} finally {
					this.pages.stopTrace();
				}

				this.listUnderPages(part);
			}
		}

		task.parents = part.parents;
		task.name = part.name;
		return part;
	}

	/**
	 * A task's part; where it read torn memory (the task or its coroutine freed while read: a
	 * task ending, a moving task's awaited object), a part marked torn in this rewrite (tornIn),
	 * with no frames and no awaiter: that task gives no stack of its own in this sample and ends
	 * the chains that reach it, and its part is read again at the next. Failing the whole sample
	 * instead lost 10,000 stacks for one task, and made the next sample walk every task again
	 * (~200 ms).
	 */
	private partOrTorn(task: Task, tasks: Map<number, Task>, sameTasks: boolean): TaskPart {
		try {
			return this.partOf(task, tasks, sameTasks);
		} catch (error) {
			if (!(error instanceof TornReadError)) {
				throw error;
			}

			const part = this.partOfTask(task);
			part.tornIn = this.pass;
			part.pass = this.pass;
			part.whole = false;
			part.kept = false;
			part.frames.length = 0;
			part.parents = [];
			part.name ||= `Task-${task.address.toString(16)}`;
			task.parents = part.parents;
			task.name = part.name;
			return part;
		}
	}

	/** What a part held before it is read again (its frames moved to a spare array, which it takes). */
	private lastPart(part: TaskPart): {frames: number[]; parents: number[]; name: string} {
		const last = this.previousPart;
		const frames = last.frames;
		last.frames = part.frames;
		part.frames = frames;
		last.parents = part.parents;
		last.name = part.name;
		return last;
	}

	private sameAsLast(part: TaskPart, last: {frames: number[]; parents: number[]; name: string}): boolean {
		return part.name === last.name && sameNumbers(part.frames, last.frames) && sameNumbers(part.parents, last.parents);
	}

	/**
	 * entryOf for a task, through the part the task keeps while it is the same task object (a
	 * source that keeps its tasks from sample to sample: TaskLists), and the table is the same.
	 */
	private partOfTask(task: Task): TaskPart {
		const kept = task.part as TaskPart | undefined;
		if (kept?.table === this.coroutines) {
			return kept;
		}

		const part = this.entryOf(task.address);
		task.part = part;
		return part;
	}

	private entryOf(taskAddress: number): TaskPart {
		const index = this.coroutineIndex.get(taskAddress);
		if (index >= 0) {
			return this.coroutines[index]!;
		}

		const part: TaskPart = {pass: -1, frames: [], pages: [], whole: false, kept: false, parents: [], name: '', changedIn: -1, awaitedIn: -1, tornIn: -1, table: this.coroutines};
		this.coroutineIndex.set(taskAddress, this.coroutines.length);
		this.coroutines.push(part);
		return part;
	}

	/** One stack: `own` frames (leaf first), then <task>, then each awaiting task's frames and <task>. */
	private emit(index: number, tid: number, status: number, own: number[], leaf: Task, tasks: Map<number, Task>): void {
		const sample = this.out[index] ?? (this.out[index] = {tid: 0, tstate: 0, status: 0, depth: 0, frames: []});
		const built = this.built[index] ?? (this.built[index] = {pass: -1, leaf: 0, chain: []});
		built.pass = this.pass;
		built.leaf = leaf.address;
		built.chain.length = 0;
		sample.tid = tid;
		sample.status = status;
		this.leafNames[index] = this.nameOf(leaf);
		const frames = sample.frames;
		let depth = 0;
		for (const frame of own) {
			frames[depth++] = frame;
		}

		const seen = this.chain;
		seen.clear();
		let task: Task | undefined = leaf;
		for (let hops = 0; task && hops < maxChain && !seen.has(task.address); hops++) {
			seen.add(task.address);
			if (this.mode === 'all') {
				built.chain.push(this.entryOf(task.address));
			}

			const parents = this.parentsOf(task, tasks);
			const name = this.nameOf(task);
			frames[depth++] = this.taskFrame(parents.length > 1 ? `${name} (${parents.length} parents)` : name);
			// Several awaiters: follow the lowest address, as Tachyon does, so stacks are stable.
			const parent = parents.length > 0 ? tasks.get(Math.min(...parents)) : undefined;
			if (parent) {
				for (const frame of this.coroutineFrames(parent.address)) {
					frames[depth++] = frame;
				}
			}

			task = parent;
		}

		sample.depth = depth;
	}

	/** A thread running no task: its own frames, under a `<no task>` root. */
	private emitOutsideTasks(index: number, thread: ThreadSample): void {
		const sample = this.out[index] ?? (this.out[index] = {tid: 0, tstate: 0, status: 0, depth: 0, frames: []});
		sample.tid = thread.tid;
		sample.status = thread.status;
		this.leafNames[index] = noTask;
		for (let depth = 0; depth < thread.depth; depth++) {
			sample.frames[depth] = thread.frames[depth]!;
		}

		sample.frames[thread.depth] = this.taskFrame(noTask);
		sample.depth = thread.depth + 1;
	}

	private taskFrame(name: string): number {
		let id = this.taskFrames.get(name);
		if (id === undefined) {
			id = this.stacks.frameTable.intern({filename: '<task>', funcname: name, line: 0, endLine: 0, col: -1, endCol: -1, opcode: -1, kind: 'task'});
			this.taskFrames.set(name, id);
		}

		return id;
	}

	private parentsOf(task: Task, tasks: Map<number, Task>): number[] {
		task.parents ??= this.source.parents(task, tasks);
		return task.parents;
	}

	/**
	 * A task's name, read from its name object each time its part is read (a kept part keeps
	 * it: the words of the name object were read too, so a new name shows as a change). Not
	 * kept by the name object's address: a task and its name freed (cancelled) and a new task
	 * made, the new ones may take both addresses (spawned-8 was shown as spawned-4).
	 */
	private nameOf(task: Task): string {
		if (task.name !== undefined) {
			return task.name;
		}

		const {memory, layout} = this.remote;
		const object = untag(memory.pointer(task.address + this.source.taskName));

		let name = `Task-${task.address.toString(16)}`;
		if (object !== 0) {
			const type = memory.pointer(object + layout.object.type);
			const flags = memory.pointer(type + layout.object.typeFlags);
			if (flags & unicodeSubclass) {
				name = this.remote.strings.readString(object);
			} else if (flags & longSubclass) {
				name = `Task-${readInt(this.remote, object)}`;
			}
		}

		task.name = name;
		return name;
	}

	/** A task's coroutine frames, leaf first: its coroutine and whatever coroutines it awaits. */
	private coroutineFrames(taskAddress: number): number[] {
		const entry = this.entryOf(taskAddress);
		if (entry.pass !== this.pass) {
			// Frames alone (\`running\`): not a whole part, never kept (see partOf).
			entry.pass = this.pass;
			entry.whole = false;
			entry.kept = false;
			this.readCoroutineFrames(taskAddress, entry.frames);
		}

		return entry.frames;
	}

	/** Marks the parts listed under `changed` pages as changed in rewrite `pass` (see partsByPage). */
	private markChangedParts(changed: readonly number[], pass: number): void {
		for (const page of changed) {
			for (const part of this.partsByPage.get(page) ?? []) {
				part.changedIn = pass;
			}
		}
	}

	/**
	 * Lists a part just read under the pages it was read from since pages[from] (see
	 * partsByPage), and drops from its pages those it already had: a part kept while tasks come
	 * and go reads its awaiters again at every rewrite, from the same pages, and listing those
	 * again each time grew the index by ~3 million entries in 200 samples of 2,000 tasks.
	 */
	private listUnderPages(part: TaskPart, from = 0): void {
		if (this.mode !== 'all') {
			return;
		}

		const {pages} = part;
		let unique = from;
		for (let index = from; index < pages.length; index++) {
			const page = pages[index]!;
			// A part's pages repeat as its reads go back and forth between them.
			if (unique > 0 && pages.lastIndexOf(page, unique - 1) >= 0) {
				continue;
			}

			pages[unique++] = page;
			const parts = this.partsByPage.get(page);
			if (parts) {
				parts.push(part);
			} else {
				this.partsByPage.set(page, [part]);
			}

			this.partsListed++;
		}

		pages.length = unique;
	}

	/** Fills `frames` (emptied first) with the task's coroutine frames, leaf first. */
	private readCoroutineFrames(taskAddress: number, frames: number[]): void {
		const {memory, layout} = this.remote;
		const {gen} = layout;
		frames.length = 0;
		let coro = untag(memory.pointer(taskAddress + this.source.taskCoro));
		const coroType = coro === 0 ? 0 : memory.pointer(coro + layout.object.type);
		for (let hops = 0; coro !== 0 && hops < maxChain; hops++) {
			// 3.8–3.10 keep no frame state: a finished coroutine has no frame.
			const state = gen.frameState >= 0 ? memory.int8(coro + gen.frameState) : this.yieldFrom;
			const frame = coroutineFrame(this.remote, coro);
			if (state === this.cleared || frame === 0) {
				break;
			}

			const id = this.frameIdOf(frame);
			if (id >= 0) {
				frames.push(id);
			}

			let next = 0;
			const slots = this.awaitedSlots(frame, state);
			for (let index = 0; index < slots; index++) {
				try {
					const candidate = untag(memory.pointer(this.slots[index]!));
					if (candidate !== 0 && memory.pointer(candidate + layout.object.type) === coroType) {
						next = candidate;
						break;
					}
				} catch (error) {
					if (!(error instanceof TornReadError)) {
						throw error;
					}
					// Not a pointer (a value on the stack): the chain ends here.
				}
			}

			coro = next;
		}

		frames.reverse();
	}

	private frameIdOf(frame: number): number {
		const {memory, layout} = this.remote;
		const code = memory.pointer(frame + layout.frame.executable);
		const position = layout.frame.lasti < 0 ? memory.pointer(frame + layout.frame.instrPtr) : memory.int32(frame + layout.frame.lasti);
		let index = this.frameIndex.get(frame);
		if (index >= 0 && this.frameCodes[index] === code && this.framePositions[index] === position) {
			return this.frameIds[index]!;
		}

		const id = this.stacks.frameIdAt(frame);
		if (index < 0) {
			if (this.frameIds.length >= 200_000) {
				this.frameIndex.clear();
				this.frameCodes = [];
				this.framePositions = [];
				this.frameIds = [];
			}

			index = this.frameIds.length;
			this.frameIndex.set(frame, index);
		}

		this.frameCodes[index] = code;
		this.framePositions[index] = position;
		this.frameIds[index] = id;
		return id;
	}

	/**
	 * Where a coroutine suspended in `await` keeps the awaited object: value-stack slots near
	 * its top, as CPython's _PyGen_yf reads them, written to this.slots; returns how many (none
	 * when it is not in an `await`).
	 */
	private awaitedSlots(frame: number, state: number): number {
		const {memory, target, layout} = this.remote;
		if (state !== this.yieldFrom) {
			return 0;
		}

		const objects = this.objectLayout;
		if (!objects) {
			// 3.14+: the frame's tagged stack pointer.
			const top = untag(memory.pointer(frame + layout.frame.stackpointer));
			return top > frame ? this.slotsAre(top - 8, top - 16) : 0;
		}

		if (objects.yieldFrom === 'yield-from-stacktop' || objects.yieldFrom === 'yield-from-stackdepth') {
			return this.yieldFromSlots(frame, objects);
		}

		if (objects.yieldFrom === 'resume-oparg') {
			// 3.11/3.12 have one SUSPENDED state: in `await` when the next instruction is RESUME with oparg >= 2.
			const at = memory.pointer(frame + layout.frame.instrPtr) + 2;
			const next = this.pages.untracked(() => memory.copy(at, 2));
			const name = opcodeName(target.version.text, opcodeBase(target.version.text, next[0]!));
			if ((name !== 'RESUME' && name !== 'INSTRUMENTED_RESUME') || next[1]! < 2) {
				return 0;
			}
		}

		const stacktop = memory.int32(frame + objects.frame.stacktop);
		return stacktop > 0 && stacktop < 65_536 ? this.slotsAre(frame + objects.frame.localsplus + ((stacktop - 1) * 8)) : 0;
	}

	/**
	 * 3.8–3.10 (a frame object): in `await` when the instruction after the last one run is
	 * YIELD_FROM; the awaited object then tops the value stack, at f_stacktop - 1 (3.8/3.9) or
	 * f_valuestack[f_stackdepth - 1] (3.10).
	 */
	private yieldFromSlots(frame: number, objects: AsyncObjectLayout): number {
		const {memory, target, layout, traits} = this.remote;
		const lasti = memory.int32(frame + layout.frame.lasti);
		if (lasti < 0) {
			return 0;
		}

		const code = memory.pointer(frame + layout.frame.executable);
		const next = memory.pointer(code + layout.code.code) + layout.bytes.data + (traits.lastiInBytes ? lasti + 2 : (lasti + 1) * 2);
		if (opcodeName(target.version.text, this.pages.untracked(() => memory.copy(next, 1))[0]!) !== 'YIELD_FROM') {
			return 0;
		}

		if (objects.yieldFrom === 'yield-from-stacktop') {
			const top = memory.pointer(frame + objects.frame.stacktop);
			return top === 0 ? 0 : this.slotsAre(top - 8);
		}

		const depth = memory.int32(frame + objects.frame.stacktop);
		return depth > 0 && depth < 65_536 ? this.slotsAre(memory.pointer(frame + objects.frame.localsplus) + ((depth - 1) * 8)) : 0;
	}

	private slotsAre(first: number, second?: number): number {
		this.slots[0] = first;
		if (second === undefined) {
			return 1;
		}

		this.slots[1] = second;
		return 2;
	}
}
