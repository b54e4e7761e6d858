// --async-aware on CPython 3.8–3.13, which keep no task lists for debuggers: the tasks are
// found the way asyncio's own Python code finds them, through objects. sys.modules →
// "asyncio.tasks" → its dict → `_current_tasks` (loop → running task), the WeakSet of tasks
// (`_all_tasks` on 3.11, `_scheduled_tasks` later: its `data` set of weakrefs) and
// `_eager_tasks` (3.12+, a plain set). Who awaits a task is read from its done callbacks
// (see TaskObjects).
//
// Everything here only reads the target. Offsets come from sampler/layouts/async-3.*.json.
import {asyncObjectLayout, type AsyncObjectLayout} from './layouts.js';
import {ObjectReader} from './python-objects.js';
import {TornReadError} from './remote-memory.js';
import type {RemoteContext} from './remote-context.js';
import type {ThreadSample} from './unwind-types.js';

export type Task = {
	readonly address: number;
	tid: number;
	status: number;
	name: string | undefined;
	/** Awaiting tasks' addresses. */
	parents: number[] | undefined;
	/** AsyncStacks' record of this task, kept with it while the source keeps the task object. */
	part?: unknown;
};

/** Where the tasks come from: the 3.14+ task lists, or the 3.11–3.13 objects. */
export type TaskSource = {
	/** Offsets of the name and coroutine in the C Task object. */
	readonly taskName: number;
	readonly taskCoro: number;
	/**
	 * The tasks now (every one with `all`; at least the running ones otherwise), or undefined
	 * while asyncio is not loaded (yet).
	 */
	collect(nowMs: number, threads: readonly ThreadSample[], all: boolean): Map<number, Task> | undefined;
	/** The task running on this thread, 0 if none. */
	running(thread: ThreadSample): number;
	/** Addresses of the tasks awaiting this one (a source may add them to the sample's tasks). */
	parents(task: Task, tasks: Map<number, Task>): number[];
	/**
	 * Whether collect would now find the tasks as the last time from the same memory: no cache
	 * of the source is due for a refresh (AsyncStacks repeats a rewrite only then).
	 */
	settled(nowMs: number): boolean;
};

const maxCallbacks = 1024;
/** fut_state STATE_PENDING: tasks that are done are not shown. */
const pending = 0;

export function untag(pointer: number): number {
	return pointer - (pointer % 8);
}

/**
 * The frame of a coroutine: embedded in it (3.11+), or the frame object it points to (3.8–3.10;
 * 0 once it finished). The address its frames have in a thread's sampled stack.
 */
export function coroutineFrame(remote: RemoteContext, coro: number): number {
	const {gen} = remote.layout;
	return gen.iframe >= 0 ? coro + gen.iframe : remote.memory.pointer(coro + gen.frame);
}

/** The objects asyncio keeps its tasks in, found once asyncio.tasks is imported. */
type Roots = {
	readonly currentTasks: number;
	/** The WeakSet's `data` set (of weakrefs to tasks). */
	readonly weakTasks: number;
	/** 3.12+: eagerly started tasks, a plain set; 0 on 3.11. */
	readonly eagerTasks: number;
	readonly taskType: number;
	/** gather()'s future type (a Python subclass of the C Future, so with its fields). */
	readonly gatheringFuture: number;
};

type TaskFields = {readonly loop: number; readonly coro: number};

/**
 * 3.11–3.13: the tasks, read through asyncio's Python objects. Who awaits a task is read from
 * its done callbacks, as asyncio itself wakes the awaiting side: the awaiting task's wakeup
 * (a builtin method bound to it), a TaskGroup's _on_task_done (the group knows its parent
 * task), or gather()'s _done_callback (its closure holds the gathering future, whose own
 * callback is the awaiting task's wakeup). So `running` mode reads only the running tasks
 * and their ancestors, not every task of the program.
 */
export class TaskObjects implements TaskSource {
	static forTarget(remote: RemoteContext): TaskObjects | undefined {
		const layout = asyncObjectLayout(remote.target.version);
		return layout ? new TaskObjects(remote, layout) : undefined;
	}

	readonly taskName: number;
	readonly taskCoro: number;
	private readonly remote: RemoteContext;
	private readonly objects: ObjectReader<AsyncObjectLayout>;
	private roots: Roots | undefined;
	private lastLook = -1e9;
	/** Each loop's thread ident, re-read every half second (it changes only when a loop starts or stops). */
	private loopIdents = new Map<number, number>();
	private lastIdents = -1e9;
	/** Per sample: the tasks read so far, their fields, the sampled threads by ident. */
	private tasks = new Map<number, Task>();
	private fields = new Map<number, TaskFields>();
	private threads: {readonly byIdent: Map<number, ThreadSample>; readonly first: ThreadSample | undefined} = {byIdent: new Map(), first: undefined};
	/** Per sample: each TaskGroup's parent task (a group's children all ask). */
	private groupParents = new Map<number, number>();
	private runningTasks: number[] = [];

	private constructor(remote: RemoteContext, layout: AsyncObjectLayout) {
		this.remote = remote;
		this.objects = new ObjectReader(remote, layout);
		this.taskName = layout.task.name;
		this.taskCoro = layout.task.coro;
	}

	collect(nowMs: number, threads: readonly ThreadSample[], all: boolean): Map<number, Task> | undefined {
		if (!this.roots && nowMs - this.lastLook > 500) {
			// asyncio may not be imported yet (run mode): look again now and then.
			this.lastLook = nowMs;
			this.roots = this.findRoots();
		}

		const roots = this.roots;
		if (!roots) {
			return undefined;
		}

		const {objects} = this;
		// A loop runs on the thread whose ident it recorded (BaseEventLoop._thread_id).
		const byIdent = new Map<number, ThreadSample>();
		for (const thread of threads) {
			byIdent.set(objects.pointer(thread.tstate + this.remote.layout.tstate.threadId), thread);
		}

		if (nowMs - this.lastIdents > 500) {
			this.lastIdents = nowMs;
			this.loopIdents = new Map();
		}

		this.threads = {byIdent, first: threads[0]};
		this.tasks = new Map();
		this.fields = new Map();
		this.groupParents = new Map();
		this.runningTasks = objects.dictItems(roots.currentTasks).map(([, task]) => task).filter(task => this.addTask(task));
		if (all) {
			// The WeakSet's data set holds weakrefs, each to a task or (once the task is gone) to None.
			const candidates = objects.setKeys(roots.weakTasks).map(ref => objects.pointer(ref + objects.layout.weakrefObject));
			if (roots.eagerTasks !== 0) {
				candidates.push(...objects.setKeys(roots.eagerTasks));
			}

			for (const address of candidates) {
				this.addTaskUnlessTorn(address);
			}
		}

		return this.tasks;
	}

	/**
	 * `all`: a task of the WeakSet, left out where it reads as torn (freed while read: the set
	 * still held it, its memory was being released). Failing the sample for it lost every other
	 * task's stack: a third of the samples of 2,000 parked tasks beside bursts of 3,000 short ones
	 * on 3.13 (with the parts read torn, see AsyncStacks.partOrTorn).
	 */
	private addTaskUnlessTorn(address: number): void {
		try {
			this.addTask(address);
		} catch (error) {
			if (!(error instanceof TornReadError)) {
				throw error;
			}
		}
	}

	settled(nowMs: number): boolean {
		if (!this.roots) {
			return false;
		}

		if (nowMs - this.lastIdents <= 500) {
			return true;
		}

		// The loops' idents are due for a refresh: if each reads as kept, they are refreshed
		// already, and collect would find every task on the thread it found it on before.
		try {
			for (const [loop, ident] of this.loopIdents) {
				if (this.loopThreadIdent(loop) !== ident) {
					return false;
				}
			}
		} catch (error) {
			if (!(error instanceof TornReadError)) {
				throw error;
			}

			return false;
		}

		this.lastIdents = nowMs;
		return true;
	}

	running(thread: ThreadSample): number {
		// The running task of this thread: the one whose coroutine frame is on the thread's stack.
		return this.runningTasks.find(task => {
			const coro = this.fields.get(task)?.coro ?? 0;
			return coro !== 0 && thread.addresses?.includes(coroutineFrame(this.remote, coro));
		}) ?? 0;
	}

	parents(task: Task): number[] {
		const parents = new Set<number>();
		for (const callback of this.callbacksOf(task.address)) {
			try {
				for (const parent of this.callbackParents(callback)) {
					if (this.addTask(parent)) {
						parents.add(parent);
					}
				}
			} catch (error) {
				if (!(error instanceof TornReadError)) {
					throw error;
				}
				// A callback of a shape we do not know: it links nothing.
			}
		}

		return [...parents];
	}

	/** Records a pending C Task (anything else, e.g. None behind a dead weakref, is refused). */
	private addTask(address: number): boolean {
		if (this.tasks.has(address)) {
			return true;
		}

		const {objects} = this;
		const layout = objects.layout.task;
		if (address === 0 || objects.typeOf(address) !== this.roots!.taskType) {
			return false;
		}

		// Three fields read one by one, not the whole object copied: no buffer per task (10,000 a
		// sample), and only these words count as read when passes are compared.
		const {memory} = this.remote;
		if (memory.int32(address + layout.state) !== pending) {
			return false;
		}

		const loop = memory.pointer(address + layout.loop);
		let ident = this.loopIdents.get(loop);
		if (ident === undefined) {
			ident = this.loopThreadIdent(loop);
			this.loopIdents.set(loop, ident);
		}

		const thread = this.threads.byIdent.get(ident) ?? this.threads.first;
		this.fields.set(address, {loop, coro: memory.pointer(address + layout.coro)});
		this.tasks.set(address, {address, tid: thread?.tid ?? 0, status: thread?.status ?? 0, name: undefined, parents: undefined});
		return true;
	}

	private findRoots(): Roots | undefined {
		const {objects} = this;
		const layout = objects.layout;
		const dict = objects.moduleDict('asyncio.tasks');
		if (dict === 0) {
			return undefined;
		}

		const weakSet = objects.dictGet(dict, '_scheduled_tasks') || objects.dictGet(dict, '_all_tasks');
		const weakTasks = weakSet === 0 ? 0 : objects.attribute(weakSet, 'data');
		const currentTasks = objects.dictGet(dict, '_current_tasks');
		const taskType = objects.dictGet(dict, 'Task');
		if (weakTasks === 0 || currentTasks === 0 || taskType === 0) {
			return undefined; // Half-imported: look again later.
		}

		if (objects.pointer(taskType + layout.type.basicsize) !== layout.task.size) {
			return undefined; // Not the C Task (a build without _asyncio): its fields are elsewhere.
		}

		return {currentTasks, weakTasks, eagerTasks: objects.dictGet(dict, '_eager_tasks'), taskType, gatheringFuture: objects.dictGet(dict, '_GatheringFuture')};
	}

	/** The ident of the thread running a loop (`loop._thread_id`, None when it is not running). */
	private loopThreadIdent(loop: number): number {
		const {objects} = this;
		const ident = loop === 0 ? 0 : objects.attribute(loop, '_thread_id');
		return ident === 0 || ident === this.remote.target.none ? 0 : objects.int(ident);
	}

	/** A future's (or task's) done callbacks: callback0, then the (callback, context) entries of its list. */
	private callbacksOf(future: number): number[] {
		const {objects} = this;
		const layout = objects.layout;
		const callback0 = objects.pointer(future + layout.task.callback0);
		const list = objects.pointer(future + layout.task.callbacks);
		const callbacks = callback0 === 0 ? [] : [callback0];
		if (list !== 0) {
			const count = objects.pointer(list + layout.list.size);
			const items = objects.pointer(list + layout.list.items);
			for (let index = 0; index < Math.min(count, maxCallbacks); index++) {
				const entry = objects.pointer(items + (index * 8));
				callbacks.push(layout.task.callbackEntryIsTuple ? objects.pointer(entry + layout.tuple.items) : entry);
			}
		}

		return callbacks;
	}

	/** Who a done callback wakes: candidate awaiting tasks (addTask checks they are tasks). */
	private callbackParents(callback: number): number[] {
		const {objects} = this;
		const layout = objects.layout;
		const kind = objects.typeName(objects.typeOf(callback));
		if (kind === 'builtin_function_or_method' || kind === 'TaskWakeupMethWrapper') {
			// A task's wakeup, bound to the task that awaits this one.
			return [this.wakeupTask(callback, kind)];
		}

		if (kind === 'method') {
			// TaskGroup._on_task_done, bound to the group.
			const group = objects.pointer(callback + layout.methodSelf);
			let parent = this.groupParents.get(group);
			if (parent === undefined) {
				parent = objects.attribute(group, '_parent_task');
				this.groupParents.set(group, parent);
			}

			return [parent];
		}

		if (kind === 'function') {
			// gather()'s _done_callback closes over the _GatheringFuture its caller awaits.
			const closure = objects.pointer(callback + layout.functionClosure);
			const count = closure === 0 ? 0 : Math.min(objects.pointer(closure + layout.tuple.size), 64);
			for (let index = 0; index < count; index++) {
				const cell = objects.pointer(closure + layout.tuple.items + (index * 8));
				const content = objects.pointer(cell + layout.cellRef);
				if (content !== 0 && objects.typeOf(content) === this.roots!.gatheringFuture) {
					return this.callbacksOf(content).map(wakeup => this.wakeupTask(wakeup, objects.typeName(objects.typeOf(wakeup)))).filter(task => task !== 0);
				}
			}
		}

		return [];
	}

	/** The task a wakeup callback wakes: a builtin method bound to it, or (3.8/3.9) a TaskWakeupMethWrapper around it; 0 for other callbacks. */
	private wakeupTask(callback: number, kind: string): number {
		const {objects} = this;
		if (kind === 'builtin_function_or_method') {
			return objects.pointer(callback + objects.layout.cfunctionSelf);
		}

		const at = objects.layout.task.wakeupTask;
		return kind === 'TaskWakeupMethWrapper' && at !== undefined ? objects.pointer(callback + at) : 0;
	}
}
