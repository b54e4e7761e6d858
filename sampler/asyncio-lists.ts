// --async-aware on CPython 3.14+: the per-thread task lists CPython keeps for debuggers
// (offsets in the `.AsyncioDebug` section of the binary or of the _asyncio extension).
import {type Task, type TaskSource, untag} from './asyncio-objects.js';
import {readMappedElf} from './mapped-file.js';
import {readMaps, type Mapping} from './proc.js';
import type {RemoteContext} from './remote-context.js';
import type {ThreadSample} from './unwind-types.js';

type Offsets = {
	readonly taskName: number;
	readonly taskAwaitedBy: number;
	readonly taskIsTask: number;
	readonly taskAwaitedByIsSet: number;
	readonly taskCoro: number;
	readonly taskNode: number;
	readonly interpTasksHead: number;
	readonly threadRunningLoop: number;
	readonly threadRunningTask: number;
	readonly threadTasksHead: number;
};

const sectionSize = 13 * 8;
const maxTasks = 65_536;

/** The .AsyncioDebug table, from whichever mapped file holds it; undefined until asyncio's C module is loaded. */
function findOffsets(pid: number, binary: string): Offsets | undefined {
	const files = new Map<string, Mapping>();
	for (const mapping of readMaps(pid)) {
		if ((mapping.path === binary || /_asyncio/.test(mapping.path)) && !files.has(mapping.path)) {
			files.set(mapping.path, mapping);
		}
	}

	for (const mapping of files.values()) {
		const elf = readMappedElf(pid, mapping);
		const section = elf?.sections.get('.AsyncioDebug');
		const table = section ? elf!.readAt(section.addr, sectionSize) : undefined;
		if (table) {
			const word = (index: number) => Number(table.readBigUInt64LE(index * 8));
			return {
				taskName: word(1), taskAwaitedBy: word(2), taskIsTask: word(3), taskAwaitedByIsSet: word(4), taskCoro: word(5), taskNode: word(6),
				interpTasksHead: word(8), threadRunningLoop: word(10), threadRunningTask: word(11), threadTasksHead: word(12),
			};
		}
	}

	return undefined;
}

/** 3.14+: the tasks of each thread's list, and of the interpreter's list of tasks whose thread died. */
/** The parents of a task awaited by none (shared: callers only read parent lists). */
const noParents: number[] = [];

export class TaskLists implements TaskSource {
	private readonly remote: RemoteContext;
	private offsets: Offsets | undefined;
	private lastLook = -1e9;
	/**
	 * The tasks, kept from sample to sample: 10,000 tasks made afresh every sample kept the
	 * worker's scavenger copying them (most of a sample's CPU); a task's entry is reset when seen
	 * again and dropped when a sample no longer finds it.
	 */
	private readonly tasks = new Map<number, Task & {seen: number}>();
	private pass = 0;
	/**
	 * Per list head, the nodes its last walk went through and their tasks: a list that did not
	 * change is walked again without looking each of its 10,000 tasks up by address (a Map keyed
	 * by numbers past 2^31, each boxed for the lookup: most of a walk's 2 ms, and of its garbage).
	 */
	private readonly lastWalks = new Map<number, {nodes: Float64Array; tasks: Array<Task & {seen: number}>; count: number}>();
	/** [parent], shared by every task awaited by that one parent (a TaskGroup's children). */
	private readonly singleParents = new Map<number, number[]>();

	constructor(remote: RemoteContext) {
		this.remote = remote;
	}

	get taskName(): number {
		return this.offsets!.taskName;
	}

	get taskCoro(): number {
		return this.offsets!.taskCoro;
	}

	collect(nowMs: number, threads: readonly ThreadSample[]): Map<number, Task> | undefined {
		if (!this.offsets && nowMs - this.lastLook > 500) {
			// asyncio may not be imported yet (run mode): look again now and then.
			this.lastLook = nowMs;
			this.offsets = findOffsets(this.remote.target.pid, this.remote.target.binary);
		}

		const offsets = this.offsets;
		if (!offsets) {
			return undefined;
		}

		const {tasks} = this;
		this.pass++;
		let seen = 0;
		for (const thread of threads) {
			seen += this.walk(thread.tstate + offsets.threadTasksHead, thread.tid, thread.status);
		}

		const interp = this.remote.memory.pointer(this.remote.target.runtimeAddress + this.remote.layout.runtime.interpretersHead);
		seen += this.walk(interp + offsets.interpTasksHead, threads[0]?.tid ?? 0, threads[0]?.status ?? 0);
		if (tasks.size > seen) {
			for (const [address, task] of tasks) {
				if (task.seen !== this.pass) {
					tasks.delete(address);
				}
			}
		}

		return tasks;
	}

	settled(): boolean {
		return this.offsets !== undefined;
	}

	running(thread: ThreadSample): number {
		const {memory} = this.remote;
		const offsets = this.offsets!;
		if (memory.pointer(thread.tstate + offsets.threadRunningLoop) === 0) {
			return 0;
		}

		return untag(memory.pointer(thread.tstate + offsets.threadRunningTask));
	}

	parents(task: Task, tasks: Map<number, Task>): number[] {
		const {memory, layout} = this.remote;
		const offsets = this.offsets!;
		const awaitedBy = untag(memory.pointer(task.address + offsets.taskAwaitedBy));
		if (awaitedBy === 0) {
			return noParents;
		}

		const parents: number[] = [];

		const isSet = memory.int8(task.address + offsets.taskAwaitedByIsSet) !== 0;
		if (!isSet) {
			return tasks.has(awaitedBy) ? this.singleParent(awaitedBy) : noParents;
		}

		const set = layout.set;
		const mask = memory.pointer(awaitedBy + set.mask);
		const table = memory.pointer(awaitedBy + set.table);
		if (mask < 4096 && table !== 0) {
			const slots = memory.copy(table, (mask + 1) * 16);
			for (let slot = 0; slot <= mask; slot++) {
				const key = Number(slots.readBigUInt64LE(slot * 16));
				// Only tasks we know: skips empty slots and the set's deleted-entry dummy.
				if (key !== 0 && tasks.has(key)) {
					parents.push(key);
				}
			}
		}

		return parents;
	}

	private singleParent(parent: number): number[] {
		let parents = this.singleParents.get(parent);
		if (!parents) {
			if (this.singleParents.size > 100_000) {
				this.singleParents.clear();
			}

			parents = [parent];
			this.singleParents.set(parent, parents);
		}

		return parents;
	}

	/** Walks one intrusive task list (llist_node next pointers back to its head); returns the tasks new to this pass. */
	private walk(head: number, tid: number, status: number): number {
		const {memory} = this.remote;
		const {tasks, pass} = this;
		const offsets = this.offsets!;
		const last = this.lastWalkOf(head);
		let added = 0;
		let node = memory.pointer(head);
		let steps = 0;
		for (; node !== head && node !== 0 && steps < maxTasks; steps++) {
			let task = steps < last.count && last.nodes[steps] === node ? last.tasks[steps]! : undefined;
			// Seen by the last pass: still in `tasks` (a task is dropped only when a pass misses it).
			if (task === undefined || task.seen < pass - 1) {
				const address = node - offsets.taskNode;
				task = tasks.get(address);
				if (!task) {
					task = {address, tid, status, name: undefined, parents: undefined, part: undefined, seen: -1};
					tasks.set(address, task);
				}

				if (steps >= last.nodes.length) {
					const nodes = new Float64Array(Math.min(maxTasks, last.nodes.length * 2));
					nodes.set(last.nodes);
					last.nodes = nodes;
				}

				last.nodes[steps] = node;
				last.tasks[steps] = task;
			}

			if (task.seen !== pass) {
				task.tid = tid;
				task.status = status;
				task.name = undefined;
				task.parents = undefined;
				task.seen = pass;
				added++;
			}

			node = memory.pointer(node);
		}

		last.count = steps;
		return added;
	}

	private lastWalkOf(head: number): {nodes: Float64Array; tasks: Array<Task & {seen: number}>; count: number} {
		let last = this.lastWalks.get(head);
		if (!last) {
			if (this.lastWalks.size > 1024) {
				// Threads come and go, each with its own head: start afresh rather than grow.
				this.lastWalks.clear();
			}

			last = {nodes: new Float64Array(64), tasks: [], count: 0};
			this.lastWalks.set(head, last);
		}

		return last;
	}
}
