// A faster frame assembly for Ink 6. Each frame, Ink's Output.get() builds a grid of one
// object per terminal cell, re-tokenises every written line into per-character styles, then
// re-encodes each row; its caches live for one frame only. At 160×58 and 10 redraws a second
// that was ~7 ms a frame, the largest part of the live view's cost (bench: `--only ui`).
//
// Most frames are simple: every write lands on its own columns of a row (no two writes
// overlap, nothing clipped). Then a row is just its writes, left to right, with spaces between:
// the same characters in the same cells with the same colours, without touching each cell.
// Any frame that is not simple (overlapping writes: a border over a background, a dialog over
// the table; a clipped box) goes to Ink's own get(), unchanged.
//
// Ink's `exports` map hides output.js from bare imports, so it is loaded by file URL (the very
// module instance Ink's renderer uses). Only Ink 6 is patched: its Output class is what this
// was written against and measured with; any other version keeps Ink's own path, and
// installFastOutput() says so (the live command warns, the bench fails).
import fs from 'node:fs';
import stringWidth from 'string-width';
import {quickWidth} from './text-width.js';

type Transformer = (line: string, index: number) => string;
type Operation =
	| {readonly type: 'write'; readonly x: number; readonly y: number; readonly text: string; readonly transformers: readonly Transformer[]}
	| {readonly type: 'clip'}
	| {readonly type: 'unclip'};

type OutputLike = {readonly width: number; readonly height: number; readonly operations: readonly Operation[]};
type Frame = {output: string; height: number};
type Get = (this: OutputLike) => Frame;

type Segment = {readonly x: number; readonly text: string; readonly width: number};

/** Widths of the strings written lately that need string-width; cleared when full, so a long session stays flat. */
const widths = new Map<string, number>();
const maxWidths = 20_000;

function widthOf(text: string): number {
	let width = quickWidth(text) ?? widths.get(text);
	if (width === undefined) {
		if (widths.size >= maxWidths) {
			widths.clear();
		}

		width = stringWidth(text);
		widths.set(text, width);
	}

	return width;
}

/**
 * The frame Ink's get() would produce, or undefined when the frame has overlapping or
 * clipped writes (then Ink's own get() must build it cell by cell).
 */
export function assembleFrame(output: OutputLike): Frame | undefined {
	const rows: Array<Segment[] | undefined> = [];
	for (const operation of output.operations) {
		if (operation.type !== 'write') {
			return undefined;
		}

		if (!operation.text) {
			continue;
		}

		const lines = operation.text.split('\n');
		// As in Ink: a line outside the frame is dropped and does not move the next one down.
		let offsetY = 0;
		for (const [index, raw] of lines.entries()) {
			const y = operation.y + offsetY;
			if (y < 0 || y >= output.height) {
				continue;
			}

			let line = raw;
			for (const transformer of operation.transformers) {
				line = transformer(line, index);
			}

			const width = widthOf(line);
			if (width > 0) {
				(rows[y] ??= []).push({x: operation.x, text: line, width});
			}

			offsetY++;
		}
	}

	const lines: string[] = [];
	for (let y = 0; y < output.height; y++) {
		const segments = rows[y];
		if (!segments) {
			lines.push('');
			continue;
		}

		if (segments.length > 1) {
			// Stable: writes at the same column keep their paint order (and then overlap).
			segments.sort((a, b) => a.x - b.x);
		}

		let line = '';
		let cursor = 0;
		for (const segment of segments) {
			if (segment.x < cursor) {
				return undefined;
			}

			line += ' '.repeat(segment.x - cursor) + segment.text;
			cursor = segment.x + segment.width;
		}

		lines.push(line.trimEnd());
	}

	return {output: lines.join('\n'), height: output.height};
}

/** Frames assembled here and frames left to Ink (tests and the bench read them). */
export const frameCounts = {fast: 0, ink: 0};

async function loadInkOutput(): Promise<{get: Get} | undefined> {
	try {
		const entry = import.meta.resolve('ink');
		const manifest = JSON.parse(fs.readFileSync(new URL('../package.json', entry), 'utf8')) as {version?: string};
		if (!manifest.version?.startsWith('6.')) {
			return undefined;
		}

		const module = await import(new URL('output.js', entry).href) as {default?: {prototype?: {get?: Get}}};
		const candidate = module.default?.prototype;
		return typeof candidate?.get === 'function' ? candidate as {get: Get} : undefined;
	} catch {
		// Ink laid out differently than expected: keep its own path.
		return undefined;
	}
}

const prototype = await loadInkOutput();
const original = prototype?.get;

/**
 * Turns the fast path on: called by whatever renders the app (the live command, the bench).
 * Returns false when Ink is not the version this was written for; Ink's own path then stays.
 */
export function installFastOutput(): boolean {
	return enableFastOutput(true);
}

/** Turns the fast path on or off (tests compare both). */
export function enableFastOutput(enabled: boolean): boolean {
	if (!prototype || !original) {
		return false;
	}

	const inkGet = original;
	prototype.get = enabled
		? function (this: OutputLike) {
			const frame = assembleFrame(this);
			if (frame) {
				frameCounts.fast++;
				return frame;
			}

			frameCounts.ink++;
			return inkGet.call(this);
		}
		: inkGet;
	return true;
}
