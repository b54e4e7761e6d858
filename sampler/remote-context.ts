// What the readers of Python objects (asyncio's tasks, threading's names) read a target with.
//
// Why not the unwinder itself: they read between samples, through the same memory reader,
// and need the target's layout and string decoding, but nothing of the walk's state. A small
// context keeps them from reaching into the unwinder and the unwinder free to change.
import type {Layout, VersionTraits} from './layouts.js';
import type {ThreadIdMap} from './pid-namespace.js';
import type {RemoteMemory} from './remote-memory.js';
import type {RemoteStrings} from './remote-strings.js';
import type {Target} from './target.js';

export type RemoteContext = {
	readonly memory: RemoteMemory;
	readonly target: Target;
	readonly layout: Layout;
	readonly traits: VersionTraits;
	readonly strings: RemoteStrings;
	/** The target's thread ids as ours (they differ in a container). */
	readonly ids: ThreadIdMap;
};
