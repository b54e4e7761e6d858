// --async-aware: rebuilds each asyncio task's await chain as Tachyon does, from the per-thread
// task lists CPython 3.14+ keeps for debuggers (offsets in the `.AsyncioDebug` section of
// the binary or of the _asyncio extension). A stack reads, root first:
// <task> root, its coroutine frames, <task> child, ... down to the leaf task's frames.
//
// 3.11–3.13 keep no such lists: their tasks are reachable only through Python objects (the
// _asyncio module's WeakSet of tasks, the event loop's ready queue), which a reader of raw
// memory would have to find by walking module dicts; not supported, with a clear error.
import {readElf} from './elf.js';
import {UserError} from './errors.js';
import {readMaps} from './proc.js';
import {TornReadError} from './remote-memory.js';
import type {ThreadSample, Unwinder} from './unwinder.js';

export type AsyncMode = 'running' | 'all';

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
const maxChain = 256;
const longSubclass = 1 << 24;
const unicodeSubclass = 1 << 28;

export function checkAsyncSupport(version: {major: number; minor: number; text: string}): void {
	if (version.major === 3 && version.minor < 14) {
		throw new UserError(`--async-aware needs CPython 3.14 or newer (per-thread asyncio task lists with .AsyncioDebug offsets); process runs Python ${version.text}`, 2);
	}
}

/** The .AsyncioDebug table, from whichever mapped file holds it; undefined until asyncio's C module is loaded. */
function findOffsets(pid: number, binary: string): Offsets | undefined {
	const files = new Set([binary]);
	for (const mapping of readMaps(pid)) {
		if (/_asyncio/.test(mapping.path)) {
			files.add(mapping.path);
		}
	}

	for (const file of files) {
		const elf = readElf(`/proc/${pid}/root${file}`) ?? readElf(file);
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

type Task = {
	readonly address: number;
	readonly tid: number;
	readonly status: number;
	name: string | undefined;
	/** Awaiting tasks' addresses. */
	parents: number[] | undefined;
};

export class AsyncStacks {
	private readonly unwinder: Unwinder;
	private readonly mode: AsyncMode;
	private offsets: Offsets | undefined;
	private lastLook = -1e9;
	private readonly taskFrames = new Map<string, number>();
	private readonly out: ThreadSample[] = [];
	/** Per stack of the last rewrite: the name of its leaf task (dump's section headers). */
	readonly leafNames: string[] = [];
	/** Generator states of the target's version: suspended in `yield from`/`await`, and cleared. */
	private readonly yieldFrom: number;
	private readonly cleared: number;

	constructor(unwinder: Unwinder, mode: AsyncMode) {
		checkAsyncSupport(unwinder.target.version);
		this.unwinder = unwinder;
		this.mode = mode;
		unwinder.recordAddresses = true;
		const minor = unwinder.target.version.minor;
		this.yieldFrom = minor >= 15 ? 2 : -1;
		this.cleared = minor >= 15 ? 5 : 4;
	}

	/**
	 * Replaces the thread samples the unwinder just took, [0, count), by one sample per task
	 * chain; returns the new count. Threads without a running event loop drop out, as in Tachyon.
	 */
	rewrite(nowMs: number, count: number): number {
		if (!this.offsets && nowMs - this.lastLook > 500) {
			// asyncio may not be imported yet (run mode): look again now and then.
			this.lastLook = nowMs;
			this.offsets = findOffsets(this.unwinder.target.pid, this.unwinder.target.binary);
		}

		const offsets = this.offsets;
		if (!offsets) {
			return 0;
		}

		const memory = this.unwinder.memory;
		const threads = this.unwinder.samples.slice(0, count);
		const tasks = new Map<number, Task>();
		for (const thread of threads) {
			this.collect(thread.tstate + offsets.threadTasksHead, thread.tid, thread.status, tasks);
		}

		const interp = memory.pointer(this.unwinder.target.runtimeAddress + this.unwinder.target.layout.runtime.interpretersHead);
		this.collect(interp + offsets.interpTasksHead, threads[0]?.tid ?? 0, threads[0]?.status ?? 0, tasks);
		let produced = 0;
		if (this.mode === 'running') {
			for (const thread of threads) {
				if (memory.pointer(thread.tstate + offsets.threadRunningLoop) === 0) {
					continue;
				}

				const running = untag(memory.pointer(thread.tstate + offsets.threadRunningTask));
				if (running === 0) {
					continue;
				}

				const task = tasks.get(running) ?? {address: running, tid: thread.tid, status: thread.status, name: undefined, parents: undefined};
				// The running task's own part is the thread's real stack down to its coroutine, so
				// plain `await coro()` callees show too.
				const coroFrame = untag(memory.pointer(running + offsets.taskCoro)) + this.unwinder.target.layout.gen.iframe;
				const cut = thread.addresses?.indexOf(coroFrame) ?? -1;
				const own = cut >= 0 ? thread.frames.slice(0, cut + 1) : this.coroutineFrames(running);
				this.emit(produced++, thread.tid, thread.status, own, task, tasks);
			}
		} else {
			const parents = new Set<number>();
			for (const task of tasks.values()) {
				for (const parent of this.parentsOf(task, tasks)) {
					parents.add(parent);
				}
			}

			for (const task of tasks.values()) {
				if (!parents.has(task.address)) {
					this.emit(produced++, task.tid, task.status, this.coroutineFrames(task.address), task, tasks);
				}
			}
		}

		// Hand the task stacks to the caller through the unwinder's sample slots.
		for (let index = 0; index < produced; index++) {
			const from = this.out[index]!;
			const to = this.unwinder.samples[index] ?? (this.unwinder.samples[index] = {tid: 0, tstate: 0, status: 0, depth: 0, frames: []});
			to.tid = from.tid;
			to.status = from.status;
			to.depth = from.depth;
			for (let depth = 0; depth < from.depth; depth++) {
				to.frames[depth] = from.frames[depth]!;
			}
		}

		return produced;
	}

	/** One stack: `own` frames (leaf first), then <task>, then each awaiting task's frames and <task>. */
	private emit(index: number, tid: number, status: number, own: number[], leaf: Task, tasks: Map<number, Task>): void {
		const sample = this.out[index] ?? (this.out[index] = {tid: 0, tstate: 0, status: 0, depth: 0, frames: []});
		sample.tid = tid;
		sample.status = status;
		this.leafNames[index] = this.nameOf(leaf);
		const frames = sample.frames;
		let depth = 0;
		for (const frame of own) {
			frames[depth++] = frame;
		}

		const seen = new Set<number>();
		let task: Task | undefined = leaf;
		for (let hops = 0; task && hops < maxChain && !seen.has(task.address); hops++) {
			seen.add(task.address);
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

	private taskFrame(name: string): number {
		let id = this.taskFrames.get(name);
		if (id === undefined) {
			id = this.unwinder.frameTable.intern({filename: '<task>', funcname: name, line: 0, endLine: 0, col: -1, endCol: -1, opcode: -1, kind: 'task'});
			this.taskFrames.set(name, id);
		}

		return id;
	}

	/** Walks one intrusive task list (llist_node next pointers back to its head). */
	private collect(head: number, tid: number, status: number, tasks: Map<number, Task>): void {
		const memory = this.unwinder.memory;
		const offsets = this.offsets!;
		let node = memory.pointer(head);
		for (let steps = 0; node !== head && node !== 0 && steps < maxTasks; steps++) {
			const address = node - offsets.taskNode;
			if (!tasks.has(address)) {
				tasks.set(address, {address, tid, status, name: undefined, parents: undefined});
			}

			node = memory.pointer(node);
		}
	}

	private nameOf(task: Task): string {
		if (task.name !== undefined) {
			return task.name;
		}

		const {memory, target} = this.unwinder;
		const layout = target.layout;
		const object = untag(memory.pointer(task.address + this.offsets!.taskName));
		let name = `Task-${task.address.toString(16)}`;
		if (object !== 0) {
			const type = memory.pointer(object + layout.object.type);
			const flags = memory.pointer(type + layout.object.typeFlags);
			if (flags & unicodeSubclass) {
				name = this.unwinder.readString(object);
			} else if (flags & longSubclass) {
				name = `Task-${readSmallInt(memory.copy(object, layout.long.digits + 16), layout)}`;
			}
		}

		task.name = name;
		return name;
	}

	/** Addresses of the tasks awaiting this one (a single task or a set of them). */
	private parentsOf(task: Task, tasks: Map<number, Task>): number[] {
		if (task.parents) {
			return task.parents;
		}

		const {memory, target} = this.unwinder;
		const offsets = this.offsets!;
		const awaitedBy = untag(memory.pointer(task.address + offsets.taskAwaitedBy));
		let parents: number[] = [];
		if (awaitedBy !== 0) {
			const isSet = memory.copy(task.address + offsets.taskAwaitedByIsSet, 1)[0] !== 0;
			if (isSet) {
				const set = target.layout.set;
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
			} else if (tasks.has(awaitedBy)) {
				parents = [awaitedBy];
			}
		}

		task.parents = parents;
		return parents;
	}

	/** A task's coroutine frames, leaf first: its coroutine and whatever coroutines it awaits. */
	private coroutineFrames(taskAddress: number): number[] {
		const {memory, target} = this.unwinder;
		const gen = target.layout.gen;
		const frames: number[] = [];
		let coro = untag(memory.pointer(taskAddress + this.offsets!.taskCoro));
		const coroType = coro === 0 ? 0 : memory.pointer(coro + target.layout.object.type);
		for (let hops = 0; coro !== 0 && hops < maxChain; hops++) {
			const state = memory.copy(coro + gen.frameState, 1).readInt8(0);
			if (state === this.cleared) {
				break;
			}

			const frame = coro + gen.iframe;
			const id = this.unwinder.frameIdAt(frame);
			if (id >= 0) {
				frames.push(id);
			}

			if (state !== this.yieldFrom) {
				break;
			}

			// Suspended in `await`: the awaited object sits on top of the frame's value stack.
			const top = untag(memory.pointer(frame + target.layout.frame.stackpointer));
			let next = 0;
			for (const back of top > frame ? [8, 16] : []) {
				try {
					const candidate = untag(memory.pointer(top - back));
					if (candidate !== 0 && memory.pointer(candidate + target.layout.object.type) === coroType) {
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

		return frames.reverse();
	}
}

function untag(pointer: number): number {
	return pointer - (pointer % 8);
}

/** A small non-negative int object's value (task counters). */
function readSmallInt(bytes: Buffer, layout: Unwinder['target']['layout']): number {
	const tag = Number(bytes.readBigUInt64LE(layout.long.tag));
	const digits = Math.min(Math.floor(tag / 8), 2);
	let value = 0;
	for (let index = digits - 1; index >= 0; index--) {
		value = (value * (2 ** 30)) + bytes.readUInt32LE(layout.long.digits + (index * 4));
	}

	return Math.floor(value);
}
