// Thread names, as `threading` knows them, on every version: read from the target's threading
// module as threading.enumerate() finds them: sys.modules['threading'] → `_active` (ident → Thread, dummy
// threads included) and `_limbo` (started, not yet in `_active`) → each Thread's `_name`. A
// thread state's thread_id is that ident (pthread_self); the Thread's `_native_id` (the TID) is
// checked too where set, since an ident is reused once its thread is gone. A thread seen before
// its Thread has recorded both is asked again (batch-builder.ts): guessing it was the one Thread
// starting named a thread ending (sampled late on a loaded machine) after the next one.
// The OS's name is only the fallback (a thread threading does not know, a torn read): 3.14+ name
// OS threads after Thread.name, but the kernel keeps 15 bytes of it (`CustomThreadNam`).
//
// Asked only when a thread is first seen, never per sample. A torn read costs nothing: the
// name is then the OS's ('' when the OS knows none).
import fs from 'node:fs';
import {objectLayout} from './layouts.js';
import {threadName} from './proc.js';
import {ObjectReader} from './python-objects.js';
import {TargetGoneError, TornReadError} from './remote-memory.js';
import type {RemoteContext} from './remote-context.js';

/**
 * Re-read the threading module on a miss (threads come and go), at most this often. A thread is
 * asked about once, when first seen, so a miss inside this window keeps the OS name for good: at
 * 500 ms, a program starting a thread every 0.2 s lost two names in three. A miss is rare (a
 * new thread), and a re-read costs a few reads per thread.
 */
const refreshMs = 50;
const maxThreads = 10_000;

type Known = {readonly name: string; readonly tid: number};

export class ThreadNames {
	private readonly remote: RemoteContext;
	private readonly objects: ObjectReader | undefined;
	/** By ident, as last read. */
	private known = new Map<number, Known>();
	private lastRead = -1e9;

	constructor(remote: RemoteContext) {
		this.remote = remote;
		const layout = objectLayout(remote.target.version);
		this.objects = layout ? new ObjectReader(remote, layout) : undefined;
	}

	/**
	 * The name of a sampled thread: Python's where it can be read, else the OS's.
	 * `firstSeen`: the thread was just sampled, so a Thread that has its ident but not yet its
	 * native id is its own while the thread still lives; asked again later, it may be a newer one's.
	 */
	name(thread: {readonly tid: number; readonly tstate: number}, nowMs = performance.now(), firstSeen = true): string {
		const {pid} = this.remote.target;
		if (this.objects && thread.tstate !== 0) {
			try {
				const ident = this.objects.pointer(thread.tstate + this.remote.layout.tstate.threadId);
				// Ident 0: a thread state not bound to its thread yet (it reads as TID 0 too).
				let known = ident === 0 ? '' : this.lookUp(ident, thread.tid, false);
				if (known === undefined && nowMs - this.lastRead >= refreshMs) {
					this.lastRead = nowMs;
					this.readThreads();
					// Alive after the read: it held its ident throughout, which no other live thread can.
					known = this.lookUp(ident, thread.tid, firstSeen && fs.existsSync(`/proc/${pid}/task/${thread.tid}`));
				}

				if (known) {
					return known;
				}
			} catch (error) {
				if (!(error instanceof TornReadError || error instanceof TargetGoneError)) {
					throw error;
				}
				// A torn read (the threading module changing under us): the OS's name.
			}
		}

		return threadName(pid, thread.tid);
	}

	/**
	 * A Thread whose native id is not set yet (starting) is trusted only as just read for a thread
	 * just sampled and still alive (`startingIsIt`): it holds that ident, so the Thread is its own.
	 * Asked again later, the thread may have ended and its ident gone to a newer thread, still
	 * starting: on 3.12 at load 25, short-lived-29 was named after short-lived-30 that way.
	 */
	private lookUp(ident: number, tid: number, startingIsIt: boolean): string | undefined {
		const known = this.known.get(ident);
		return known && (known.tid === tid || (known.tid === 0 && startingIsIt)) ? known.name : undefined;
	}

	/** Every thread the threading module knows, by ident (Threads starting without one are left out). */
	private readThreads(): void {
		const objects = this.objects!;
		const threads = new Map<number, Known>();
		this.known = threads;
		const dict = objects.moduleDict('threading');
		if (dict === 0) {
			return;
		}

		const active = objects.dictGet(dict, '_active');
		const limbo = objects.dictGet(dict, '_limbo');
		// _active maps ident → Thread; _limbo maps Thread → Thread (its _ident set once it runs).
		const candidates = [
			...(active === 0 ? [] : objects.dictItems(active).map(([ident, thread]) => [thread, this.int(ident)] as const)),
			...(limbo === 0 ? [] : objects.dictItems(limbo).map(([thread]) => [thread, this.int(objects.attribute(thread, '_ident'))] as const)),
		];
		for (const [thread, ident] of candidates.slice(0, maxThreads)) {
			try {
				const name = threads.has(ident) || ident === 0 ? 0 : objects.attribute(thread, '_name');
				const text = name === 0 ? undefined : objects.text(name);
				if (text !== undefined) {
					// _native_id is the thread's id where the target runs (its container's): ours is asked for.
					threads.set(ident, {name: text, tid: this.remote.ids.toHost(this.int(objects.attribute(thread, '_native_id')))});
				}
			} catch (error) {
				if (!(error instanceof TornReadError)) {
					throw error;
				}
				// A thread torn down as we read it: the others still count.
			}
		}
	}

	/** An int attribute's value; 0 for absent, None or anything not an int. */
	private int(object: number): number {
		const objects = this.objects!;
		if (object === 0 || object === this.remote.target.none || objects.typeName(objects.typeOf(object)) !== 'int') {
			return 0;
		}

		return objects.int(object);
	}
}
