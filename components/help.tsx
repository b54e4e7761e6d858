// `h`/`?`: every key of the live view, from the key-binding table. A plain two-column list
// (a boxed table would not fit 20 lines) that scrolls when the terminal is too short for it,
// rather than dropping keys; Esc, q, h or ? close it.
import {Box, Text} from 'ink';
import {helpBindings} from '../live/key-bindings.js';
import {fit} from './format.js';
import {theme} from './theme.js';

const keyWidth = 8;
const legend = 'nsamples: direct (executing) / cumulative (on the stack).';

/** The help's lines: one per binding, then the legend. */
export function helpLines(subprocesses: boolean): Array<{readonly keys: string; readonly text: string}> {
	return [...helpBindings(subprocesses).map(binding => ({keys: binding.keys, text: binding.description})), {keys: '', text: legend}];
}

/** Lines of bindings shown at once in `height` lines (a title and the scroll line take two). */
export const helpVisible = (height: number) => Math.max(1, height - 2);

export type HelpProps = {
	readonly height: number;
	readonly width: number;
	/** First line shown. */
	readonly top: number;
	readonly subprocesses?: boolean;
};

export function Help({height, width, top: asked, subprocesses = false}: HelpProps) {
	const lines = helpLines(subprocesses);
	const visible = helpVisible(height);
	const top = Math.min(asked, Math.max(0, lines.length - visible));
	const more = lines.length > visible
		? `lines ${top + 1}–${Math.min(lines.length, top + visible)} of ${lines.length} · ↑/↓ PgUp/PgDn scroll · Esc closes`
		: 'Esc, q, h or ? closes this help.';
	return (
		<Box flexDirection='column'>
			<Text {...theme.title()}>tachyon-top keys</Text>
			{lines.slice(top, top + visible).map(line => (
				<Box key={`${line.keys}\0${line.text}`}>
					<Text {...theme.key()}>{fit(line.keys, keyWidth)}</Text>
					<Text>{fit(line.text, Math.max(1, width - keyWidth - 1))}</Text>
				</Box>
			))}
			<Text {...theme.dim()}>{fit(more, Math.max(1, width - 1))}</Text>
		</Box>
	);
}
