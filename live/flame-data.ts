// The terminal flame graph's data: a call tree of functions (one node per function under its
// caller, whatever line it stood on, so a bar is a function as in the table's default rows),
// laid out into rows of bars whose widths are their shares of the zoomed frame, and the moves
// between bars. Pure functions of a profile view: the store builds the tree once per tick.
import type {Profile, View} from '../exporters/model.js';

export type FlameFrame = {
	/** Unique among its siblings: the function (file and name). */
	readonly key: string;
	readonly funcname: string;
	readonly filename: string;
	readonly synthetic: boolean;
	readonly parent: FlameFrame | undefined;
	/** Samples in this frame and below. */
	samples: number;
	/** Samples whose innermost frame is this one. */
	self: number;
	/** Samples by the line the function stood on, for the status line's file:line (the hottest). */
	readonly lines: Map<number, number>;
	/** Callees, widest first once built. */
	children: FlameFrame[];
	readonly childByKey: Map<string, FlameFrame>;
};

function newFrame(key: string, funcname: string, filename: string, synthetic: boolean, parent: FlameFrame | undefined): FlameFrame {
	return {key, funcname, filename, synthetic, parent, samples: 0, self: 0, lines: new Map(), children: [], childByKey: new Map()};
}

/**
 * The call tree of a view, root first ("all"). With `keep`, only the samples whose stack has
 * a frame it keeps (the live filter) are counted.
 */
export function buildFlame(profile: Profile, view: View, keep?: (frameId: number) => boolean): FlameFrame {
	const root = newFrame('', 'all', '', true, undefined);
	const keys = new Map<number, string>();
	const keyOf = (frameId: number) => {
		let key = keys.get(frameId);
		if (key === undefined) {
			const frame = profile.frames[frameId]!;
			key = `${frame.filename}\0${frame.funcname}`;
			keys.set(frameId, key);
		}

		return key;
	};

	const paths = new Map<number, number[] | undefined>();
	for (const cell of profile.select(view)) {
		let frames = paths.get(cell.stack);
		if (!paths.has(cell.stack)) {
			frames = cell.stack < 0 ? [] : profile.stackFrames(cell.stack);
			if (keep && !frames.some(frameId => keep(frameId))) {
				frames = undefined;
			}

			paths.set(cell.stack, frames);
		}

		if (frames === undefined) {
			continue;
		}

		root.samples += cell.count;
		if (frames.length === 0) {
			root.self += cell.count;
		}

		let node = root;
		for (let index = 0; index < frames.length; index++) {
			const frameId = frames[index]!;
			const key = keyOf(frameId);
			let child = node.childByKey.get(key);
			if (child === undefined) {
				const frame = profile.frames[frameId]!;
				child = newFrame(key, frame.funcname, frame.filename, frame.kind !== 'python', node);
				node.childByKey.set(key, child);
			}

			child.samples += cell.count;
			const line = Math.max(0, profile.frames[frameId]!.line);
			child.lines.set(line, (child.lines.get(line) ?? 0) + cell.count);
			if (index === frames.length - 1) {
				child.self += cell.count;
			}

			node = child;
		}
	}

	sortChildren(root);
	return root;
}

function sortChildren(node: FlameFrame): void {
	node.children = [...node.childByKey.values()].sort((a, b) => b.samples - a.samples || a.funcname.localeCompare(b.funcname) || a.filename.localeCompare(b.filename));
	for (const child of node.children) {
		sortChildren(child);
	}
}

/** The line a frame stood on most often. */
export function hottestLine(frame: FlameFrame): number {
	let best = 0;
	let most = -1;
	for (const [line, count] of frame.lines) {
		if (count > most) {
			best = line;
			most = count;
		}
	}

	return best;
}

/** Keys from the root (excluded) down to `frame`. */
export function pathOf(frame: FlameFrame): string[] {
	const keys: string[] = [];
	for (let node: FlameFrame | undefined = frame; node?.parent; node = node.parent) {
		keys.push(node.key);
	}

	return keys.reverse();
}

/** The frame at `path` from `root`, or the deepest one of it that still exists. */
export function frameAt(root: FlameFrame, path: readonly string[]): FlameFrame {
	let node = root;
	for (const key of path) {
		const child = node.childByKey.get(key);
		if (!child) {
			break;
		}

		node = child;
	}

	return node;
}

export type FlameBar = {readonly frame: FlameFrame; readonly x: number; readonly width: number};

/**
 * Rows of bars under `top` (the zoomed frame, full width on the first row), `width` columns
 * for its samples: each bar starts where its share of the samples before it ends, so every
 * width is within one column of its share. Frames narrower than a column are left out.
 */
export function flameRows(top: FlameFrame, width: number, maxRows: number): FlameBar[][] {
	const rows: FlameBar[][] = [[{frame: top, x: 0, width}]];
	const total = top.samples;
	const columnOf = (samples: number) => Math.round((samples / total) * width);
	while (rows.length < maxRows && total > 0) {
		const next: FlameBar[] = [];
		for (const bar of rows.at(-1)!) {
			let before = 0;
			for (const child of bar.frame.children) {
				// Offsets from the zoomed frame's start: the child's samples before it, its parent's start included.
				const start = offsetOf(bar.frame, top) + before;
				const x = columnOf(start);
				const end = columnOf(start + child.samples);
				before += child.samples;
				if (end > x) {
					next.push({frame: child, x, width: end - x});
				}
			}
		}

		if (next.length === 0) {
			break;
		}

		rows.push(next);
	}

	return rows;
}

/** Samples before `frame` within `top`: its siblings before it, up each level to `top`. */
const offsets = new WeakMap<FlameFrame, number>();
function offsetOf(frame: FlameFrame, top: FlameFrame): number {
	if (frame === top || !frame.parent) {
		return 0;
	}

	let cached = offsets.get(frame);
	if (cached === undefined) {
		cached = 0;
		for (const sibling of frame.parent.children) {
			if (sibling === frame) {
				break;
			}

			cached += sibling.samples;
		}

		offsets.set(frame, cached);
	}

	return offsetOf(frame.parent, top) + cached;
}

/** The frames whose name or file:line contains `needle` (lower case), outermost only, and their samples together. */
export function matchingFrames(top: FlameFrame, needle: string): {frames: Set<FlameFrame>; samples: number} {
	const frames = new Set<FlameFrame>();
	let samples = 0;
	const visit = (node: FlameFrame, inside: boolean) => {
		const matches = node !== top && frameMatches(node, needle);
		if (matches) {
			frames.add(node);
			if (!inside) {
				samples += node.samples;
			}
		}

		for (const child of node.children) {
			visit(child, inside || matches);
		}
	};

	if (needle !== '') {
		visit(top, false);
	}

	return {frames, samples};
}

function frameMatches(frame: FlameFrame, needle: string): boolean {
	if (frame.funcname.toLowerCase().includes(needle)) {
		return true;
	}

	const file = frame.filename.toLowerCase();
	return file.includes(needle) || [...frame.lines.keys()].some(line => `${file}:${line}`.includes(needle));
}
