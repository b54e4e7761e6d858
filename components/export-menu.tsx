// `e`: every format of the exporter registry; a format's first letter or arrows + Enter picks it.
import {Box, Text, useInput} from 'ink';
import {useState} from 'react';
import type {Exporter} from '../exporters/index.js';
import {fit} from './format.js';
import {theme} from './theme.js';

export type ExportMenuProps = {
	readonly formats: readonly Exporter[];
	readonly onPick: (format: Exporter) => void;
	readonly onCancel: () => void;
	readonly width: number;
};

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

export function ExportMenu({formats, onPick, onCancel, width}: ExportMenuProps) {
	const [selected, setSelected] = useState(0);
	const letters = menuLetters(formats);
	useInput((input, key) => {
		if (key.escape || input === 'q') {
			onCancel();
		} else if (key.upArrow) {
			setSelected(index => Math.max(0, index - 1));
		} else if (key.downArrow) {
			setSelected(index => Math.min(formats.length - 1, index + 1));
		} else if (key.return) {
			onPick(formats[selected]!);
		} else if (letters.has(input.toLowerCase())) {
			onPick(letters.get(input.toLowerCase())!);
		}
	});
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
