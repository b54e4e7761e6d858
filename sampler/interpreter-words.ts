// The interpreter-wide words every sample reads before any thread: the head of the thread
// list, the GIL (locked, holder), the collector's state, the code-object generation and the
// main thread state, from wherever this version keeps them.
//
// Why a module: those inside the interpreter state lie within a few hundred bytes of each
// other, so their reads are planned once, at attach, as one range that lands where they are
// read from: no per-sample sorting, merging or copying. Words elsewhere (the GIL in the
// runtime, or behind a pointer) get a range of their own.
import type {Layout} from './layouts.js';
import type {RemoteMemory} from './remote-memory.js';

/** The interpreter-wide state of one sample. */
export type InterpreterSnapshot = {
	threadsHead: number;
	gilLocked: boolean;
	gilHolder: number;
	gcCollecting: boolean;
	/** 3.15+: the frame the collector runs under, else 0. */
	gcFrame: number;
	/** 3.14+: changes whenever code objects may have been freed or replaced; -1 where there is none. */
	generation: number;
	/** 3.14+: the main thread state, else 0. */
	threadsMain: number;
};

/** Scratch offsets of the words (-1: this version has none). */
type WordSlots = {threadsHead: number; gilLocked: number; gilHolder: number; gcCollecting: number; gcFrame: number; generation: number; threadsMain: number};
type WordName = keyof WordSlots;
type Word = {name: WordName; address: number; length: number; inInterp: boolean};
type Read = {address: number; length: number; at: number};

/** Where the words land in scratch (below sample-reads' regionsStart). */
const wordsAt = 0;
/** Interpreter words this close together are read as one range straight into scratch. */
const interpSpanMax = 2048;

/** Plans the per-sample reads of the words: one range for those near each other in the interpreter. */
function planReads(words: Word[]): {reads: Read[]; slots: WordSlots} {
	const slots: WordSlots = {threadsHead: -1, gilLocked: -1, gilHolder: -1, gcCollecting: -1, gcFrame: -1, generation: -1, threadsMain: -1};
	const reads: Read[] = [];
	const near = words.filter(word => word.inInterp);
	const start = Math.min(...near.map(word => word.address));
	const end = Math.max(...near.map(word => word.address + word.length));
	const oneRange = near.length > 0 && end - start <= interpSpanMax;
	if (oneRange) {
		reads.push({address: start, length: end - start, at: wordsAt});
	}

	let spare = wordsAt + interpSpanMax;
	for (const word of words) {
		if (oneRange && word.inInterp) {
			slots[word.name] = wordsAt + (word.address - start);
		} else {
			slots[word.name] = spare;
			reads.push({address: word.address, length: word.length, at: spare});
			spare += 16;
		}
	}

	return {reads, slots};
}

export class InterpreterWords {
	private readonly memory: RemoteMemory;
	private readonly reads: Read[];
	private readonly slots: WordSlots;
	private readonly snapshot: InterpreterSnapshot = {threadsHead: 0, gilLocked: false, gilHolder: 0, gcCollecting: false, gcFrame: 0, generation: -1, threadsMain: 0};

	/** Where `struct _gil_runtime_state` lies: its `locked` word is 16 bytes in (interval, last_holder first). */
	readonly gil: number;

	constructor(memory: RemoteMemory, layout: Layout, runtimeAddress: number, interp: number) {
		this.memory = memory;
		// 3.12 keeps a pointer to the GIL in the interpreter; it does not move once set.
		const gilStruct = layout.interp.gilPointer >= 0 && interp !== 0 ? memory.pointer(interp + layout.interp.gilPointer) : 0;
		const words = wordsOf(layout, runtimeAddress, interp, gilStruct);
		({reads: this.reads, slots: this.slots} = planReads(words));
		this.gil = words.find(word => word.name === 'gilLocked')!.address - 16;
	}

	/** Queues this sample's reads of the words; they land at the caller's next flush. */
	queue(): void {
		for (const read of this.reads) {
			this.memory.queue(read.address, read.length, read.at);
		}
	}

	/** The words as the last flush read them (the returned object is reused by the next call). */
	read(): InterpreterSnapshot {
		const {memory, slots, snapshot} = this;
		snapshot.threadsHead = memory.pointerAt(slots.threadsHead);
		snapshot.gilLocked = memory.int32At(slots.gilLocked) > 0;
		snapshot.gilHolder = memory.pointerAt(slots.gilHolder);
		snapshot.gcCollecting = memory.int32At(slots.gcCollecting) !== 0;
		snapshot.gcFrame = slots.gcFrame >= 0 ? memory.pointerAt(slots.gcFrame) : 0;
		snapshot.generation = slots.generation >= 0 ? memory.pointerAt(slots.generation) : -1;
		snapshot.threadsMain = slots.threadsMain >= 0 ? memory.pointerAt(slots.threadsMain) : 0;
		return snapshot;
	}
}

/** The words a sample needs, where they live in this version. */
function wordsOf(layout: Layout, runtimeAddress: number, interp: number, gilStruct: number): Word[] {
	const words: Word[] = [{name: 'threadsHead', address: interp + layout.interp.threadsHead, length: 8, inInterp: true}];
	if (layout.interp.gilLocked >= 0 && gilStruct === 0) {
		words.push(
			{name: 'gilLocked', address: interp + layout.interp.gilLocked, length: 4, inInterp: true},
			{name: 'gilHolder', address: interp + layout.interp.gilHolder, length: 8, inInterp: true},
		);
	} else if (gilStruct === 0) {
		words.push(
			{name: 'gilLocked', address: runtimeAddress + layout.runtime.gilLocked, length: 4, inInterp: false},
			{name: 'gilHolder', address: runtimeAddress + layout.runtime.gilHolder, length: 8, inInterp: false},
		);
	} else {
		words.push(
			{name: 'gilLocked', address: gilStruct + layout.interp.gilLocked, length: 4, inInterp: false},
			{name: 'gilHolder', address: gilStruct + layout.interp.gilHolder, length: 8, inInterp: false},
		);
	}

	// The collector's state: in the interpreter, but in the runtime on 3.8.
	words.push(layout.runtime.gc >= 0
		? {name: 'gcCollecting', address: runtimeAddress + layout.runtime.gc + layout.gc.collecting, length: 4, inInterp: false}
		: {name: 'gcCollecting', address: interp + layout.interp.gc + layout.gc.collecting, length: 4, inInterp: true});
	if (layout.gc.frame >= 0) {
		words.push({name: 'gcFrame', address: interp + layout.interp.gc + layout.gc.frame, length: 8, inInterp: true});
	}

	if (layout.interp.codeObjectGeneration >= 0) {
		words.push({name: 'generation', address: interp + layout.interp.codeObjectGeneration, length: 8, inInterp: true});
	}

	if (layout.interp.threadsMain >= 0) {
		words.push({name: 'threadsMain', address: interp + layout.interp.threadsMain, length: 8, inInterp: true});
	}

	return words;
}
