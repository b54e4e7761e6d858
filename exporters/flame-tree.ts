// The call tree behind the flame graphs: built root → leaf from every thread stack, one node
// per (file, current line, function) under its parent, as Tachyon's flame graph keys it,
// with per-thread totals so a page can show one thread without another export.
import {isNativeFunction, isSynthetic, type Profile, type View} from './model.js';
import type {FrameDef} from '../common/profile-types.js';

export type PageThread = {readonly tid: number; readonly name: string; readonly samples: number};

export type FlameNode = {
	readonly frame: FrameDef;
	/** Samples in this node and below. */
	samples: number;
	/** Samples whose leaf is this node. */
	self: number;
	/** tid → [samples, self]. */
	readonly threads: Map<number, [number, number]>;
	readonly children: Map<string, FlameNode>;
	/** --opcodes: instruction → samples of this node standing on it (frames differ by opcode, nodes do not). */
	opcodes?: Map<number, number>;
};

export type FlameTree = {
	readonly root: FlameNode;
	/** tid → samples of that thread. */
	readonly threadTotals: Map<number, number>;
};

const rootFrame: FrameDef = {filename: '', funcname: 'Program Root', line: 0, endLine: 0, col: -1, endCol: -1, opcode: -1, kind: 'native'};

export function frameKey(frame: FrameDef): string {
	return `${frame.filename}\0${Math.max(frame.line, 0)}\0${frame.funcname}\0${frame.kind}`;
}

function newNode(frame: FrameDef): FlameNode {
	return {frame, samples: 0, self: 0, threads: new Map(), children: new Map()};
}

function addTo(node: FlameNode, tid: number, count: number, isLeaf: boolean): void {
	node.samples += count;
	let perThread = node.threads.get(tid);
	if (perThread === undefined) {
		perThread = [0, 0];
		node.threads.set(tid, perThread);
	}

	perThread[0] += count;
	if (isLeaf) {
		node.self += count;
		perThread[1] += count;
	}
}

export function buildFlameTree(profile: Profile, view: View = {}): FlameTree {
	const root = newNode(rootFrame);
	const threadTotals = new Map<number, number>();
	const keys = profile.frames.map(frame => frameKey(frame));
	const paths = new Map<number, number[]>();
	for (const cell of profile.select(view)) {
		let frames = paths.get(cell.stack);
		if (frames === undefined) {
			frames = cell.stack < 0 ? [] : profile.stackFrames(cell.stack);
			paths.set(cell.stack, frames);
		}

		threadTotals.set(cell.tid, (threadTotals.get(cell.tid) ?? 0) + cell.count);
		addTo(root, cell.tid, cell.count, frames.length === 0);
		let node = root;
		for (let index = 0; index < frames.length; index++) {
			const frameId = frames[index]!;
			const key = keys[frameId]!;
			let child = node.children.get(key);
			if (child === undefined) {
				child = newNode(profile.frames[frameId]!);
				node.children.set(key, child);
			}

			addTo(child, cell.tid, cell.count, index === frames.length - 1);
			const {opcode} = profile.frames[frameId]!;
			if (opcode >= 0) {
				child.opcodes ??= new Map();
				child.opcodes.set(opcode, (child.opcodes.get(opcode) ?? 0) + cell.count);
			}

			node = child;
		}
	}

	return {root, threadTotals};
}

/**
 * Whether a node is worth drawing: at least 0.1% of all samples, or of one thread's samples
 * (so a quiet thread keeps its detail when the page shows it alone), as Tachyon prunes.
 */
export function keepNode(node: FlameNode, tree: FlameTree): boolean {
	if (node.samples >= Math.max(1, Math.floor(tree.root.samples * 0.001))) {
		return true;
	}

	for (const [tid, [samples]] of node.threads) {
		if (samples >= Math.max(1, Math.floor((tree.threadTotals.get(tid) ?? 0) * 0.001))) {
			return true;
		}
	}

	return false;
}

/** Children, largest first, then by name so the layout is stable. */
export function sortedChildren(node: FlameNode): FlameNode[] {
	return [...node.children.values()].sort((a, b) => b.samples - a.samples || (a.frame.funcname < b.frame.funcname ? -1 : (a.frame.funcname > b.frame.funcname ? 1 : 0)));
}

/** Shortens long paths to their last two parts, as Tachyon's node names do. */
export function displayFile(filename: string): string {
	if (filename.length <= 50) {
		return filename;
	}

	const parts = filename.split('/');
	return parts.length > 2 ? `.../${parts.slice(-2).join('/')}` : filename;
}

/** "func (file:line)" or the marker of a synthetic frame ("<GC>"). */
export function nodeName(frame: FrameDef): string {
	if (frame.kind === 'task') {
		return `<task> ${frame.funcname}`;
	}

	if (isSynthetic(frame)) {
		return frame.funcname;
	}

	if (isNativeFunction(frame)) {
		return `${frame.funcname} (${frame.filename})`;
	}

	return `${frame.funcname} (${displayFile(frame.filename)}:${Math.max(frame.line, 0)})`;
}

/** Strings shared by many nodes are stored once; nodes refer to them by index. */
export class StringTable {
	readonly strings: string[] = [];
	private readonly index = new Map<string, number>();

	intern(text: string): number {
		let id = this.index.get(text);
		if (id === undefined) {
			id = this.strings.length;
			this.strings.push(text);
			this.index.set(text, id);
		}

		return id;
	}
}

/** Node as the page reads it: short keys keep a 100k-frame export small. */
export type NodeJson = {
	/** name: string index. */
	n: number;
	/** file, function: string indexes. */
	f: number;
	u: number;
	l: number;
	/** value (samples in and below), self. */
	v: number;
	s: number;
	/** Per thread: [thread index, samples, self] flattened. */
	t: number[];
	c?: NodeJson[];
	/** Extra fields exporters add (the diff's before/after). */
	[extra: string]: unknown;
};

export type TreeJsonOptions<State> = {
	readonly strings: StringTable;
	/** tid → its index in the page's thread list. */
	readonly threadIndex: Map<number, number>;
	/** Adds an exporter's fields to a node; gets its parent's state, returns its own for the children. */
	readonly decorate?: (node: FlameNode, json: NodeJson, parentState: State | undefined) => State;
};

/** Converts the tree for the page, pruned, children sorted. Iterative: stacks can be deep. */
export function treeToJson<State = undefined>(tree: FlameTree, options: TreeJsonOptions<State>): NodeJson {
	const {strings, threadIndex} = options;
	const convert = (node: FlameNode, name: string): NodeJson => {
		const t: number[] = [];
		for (const [tid, [samples, self]] of node.threads) {
			t.push(threadIndex.get(tid) ?? 0, samples, self);
		}

		return {n: strings.intern(name), f: strings.intern(node.frame.filename), u: strings.intern(node.frame.funcname), l: Math.max(node.frame.line, 0), v: node.samples, s: node.self, t};
	};

	const rootJson = convert(tree.root, 'Program Root');
	const rootState = options.decorate?.(tree.root, rootJson, undefined);
	const stack: Array<{node: FlameNode; json: NodeJson; state: State | undefined}> = [{node: tree.root, json: rootJson, state: rootState}];
	while (stack.length > 0) {
		const {node, json, state} = stack.pop()!;
		const kept = sortedChildren(node).filter(child => keepNode(child, tree));
		if (kept.length === 0) {
			continue;
		}

		json.c = [];
		for (const child of kept) {
			const childJson = convert(child, nodeName(child.frame));
			const childState = options.decorate?.(child, childJson, state);
			json.c.push(childJson);
			stack.push({node: child, json: childJson, state: childState});
		}
	}

	return rootJson;
}

/** The threads as a page lists them, busiest first; node JSON refers to them by index. */
export function pageThreads(profile: Profile, threadTotals: Map<number, number>): {threads: PageThread[]; index: Map<number, number>} {
	const threads = [...threadTotals]
		.sort((a, b) => b[1] - a[1] || a[0] - b[0])
		.map(([tid, samples]) => ({tid, name: profile.threads.get(tid)?.name ?? '', samples}));
	return {threads, index: new Map(threads.map((thread, index) => [thread.tid, index]))};
}

/** A frame's line of code for a tooltip, from the profile's sources (read from the target, or stored in its archive). */
export function tooltipSource(profile: Profile, frame: FrameDef): string | undefined {
	const text = frame.kind === 'python' ? profile.sources.line(frame.filename, frame.line) : undefined;
	return text ? text.slice(0, 200) : undefined;
}
