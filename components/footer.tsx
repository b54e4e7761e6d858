// The keys line at the bottom of the live view, written from the key-binding table.
import {Box, Text} from 'ink';
import {liveCommands, type Binding} from '../live/key-bindings.js';
import {theme} from './theme.js';

const entries = (Object.values(liveCommands) as Binding[]).filter(binding => binding.footer !== undefined);

export function Footer({width, subprocesses = false}: {readonly width: number; readonly subprocesses?: boolean}) {
	let used = 0;
	const shown: Binding[] = [];
	for (const binding of entries) {
		if (binding.subprocessesOnly && !subprocesses) {
			continue;
		}

		const size = binding.keys.length + binding.footer!.length + 3;
		if (used + size > width - 1) {
			break;
		}

		used += size;
		shown.push(binding);
	}

	return (
		<Box>
			{shown.map(binding => (
				<Box key={binding.keys} marginRight={2}>
					<Text {...theme.key()}>{binding.keys}</Text>
					<Text {...theme.dim()}>{` ${binding.footer!}`}</Text>
				</Box>
			))}
		</Box>
	);
}
