// `e`: every format of the exporter registry; a format's first letter or arrows + Enter picks it.
// Drawn from the live view's state; the view routes keys here through exportMenuKey.
import {Box, Text, type Key} from 'ink';
import type {Exporter} from '../exporters/index.js';
import {fit} from './format.js';
import {theme} from './theme.js';

export type ExportMenuProps = {
	readonly formats: readonly Exporter[];
	/** The highlighted format. */
	readonly selected: number;
	readonly width: number;
};

export type ExportMenuOutcome = {readonly type: 'move'; readonly by: number} | {readonly type: 'pick'; readonly format: Exporter} | {readonly type: 'cancel'} | undefined;

/** What a key does in the menu: a format's letter or Enter picks, arrows move, Esc or q cancels. */
export function exportMenuKey(formats: readonly Exporter[], selected: number, input: string, key: Key): ExportMenuOutcome {
	const letters = menuLetters(formats);
	if (key.escape || input === 'q') {
		return {type: 'cancel'};
	}

	if (key.upArrow || key.downArrow) {
		return {type: 'move', by: key.upArrow ? -1 : 1};
	}

	if (key.return) {
		const format = formats[selected];
		return format ? {type: 'pick', format} : undefined;
	}

	const format = letters.get(input.toLowerCase());
	return format ? {type: 'pick', format} : undefined;
}

/** The letter that picks each format: the first of its letters an earlier format did not take (pstats p, pprof r). */
export function menuLetters(formats: readonly Exporter[]): Map<string, Exporter> {
	const letters = new Map<string, Exporter>();
	for (const format of formats) {
		const letter = [...format.id.toLowerCase()].find(candidate => /[a-z]/.test(candidate) && !letters.has(candidate));
		if (letter !== undefined) {
			letters.set(letter, format);
		}
	}

	return letters;
}

export function ExportMenu({formats, selected, width}: ExportMenuProps) {
	const letters = menuLetters(formats);
	return (
		<Box flexDirection='column' borderStyle='round' paddingX={1} width={Math.min(width, 72)}>
			<Text {...theme.title()}>Export what was sampled so far (sampling goes on)</Text>
			{formats.map((format, index) => {
				const letter = [...letters].find(([, value]) => value === format)?.[0];
				const style = index === selected ? theme.selectedRow() : {};
				return (
					<Box key={format.id}>
						<Text {...style}>{index === selected ? '› ' : '  '}</Text>
						<Text {...style} {...(index === selected ? {} : theme.key())}>{letter ?? ' '}</Text>
						<Text {...style}>{' ' + fit(format.id, 16) + fit(format.description, Math.max(10, Math.min(width, 72) - 26))}</Text>
					</Box>
				);
			})}
			<Text {...theme.dim()}>letter or ↑/↓ + Enter picks · Esc cancels</Text>
		</Box>
	);
}
