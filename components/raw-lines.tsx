// Lines whose text changes on every redraw (the live table's rows, the header's figures),
// drawn as ready-made styled strings through one <Transform> over a blank block of their size.
// Ink lays out and measures only the blank block, the same string every frame; Ink 6 caches
// every text it measures and never evicts, so changing strings as <Text> content would grow the
// heap on every frame, and one <Text> per cell costs a layout node each. The lines replace the
// block's lines on the way to the terminal. Each line must be at most `width` columns.
import {Text, Transform} from 'ink';

const blankBlocks = new Map<string, string>();

/** `height` lines of `width` spaces, one string per size, reused. */
function blankBlock(width: number, height: number): string {
	const key = `${width}x${height}`;
	let block = blankBlocks.get(key);
	if (block === undefined) {
		block = Array.from({length: height}, () => ' '.repeat(width)).join('\n');
		blankBlocks.set(key, block);
	}

	return block;
}

export function RawLines({lines, width}: {readonly lines: readonly string[]; readonly width: number}) {
	if (lines.length === 0) {
		return null;
	}

	return (
		<Transform transform={(line, index) => lines[index] ?? line}>
			<Text>{blankBlock(Math.max(1, width), lines.length)}</Text>
		</Transform>
	);
}
