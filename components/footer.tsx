// The keys line at the bottom of the live view, written from the key-binding table. Help and
// quit are always shown: a narrow terminal drops others, never those two.
import {Box, Text} from 'ink';
import {footerBindings, liveCommands, type Binding} from '../live/key-bindings.js';
import {theme} from './theme.js';

/** The bindings that fit in `width` columns: help and quit always, then the others in table order while they fit. */
export function footerFit(width: number, subprocesses: boolean): Binding[] {
	const size = (binding: Binding) => binding.keys.length + binding.footer!.length + 3;
	const all = footerBindings(subprocesses);
	const kept = new Set(all.filter(binding => binding === liveCommands.help || binding === liveCommands.quit));
	let used = [...kept].reduce((sum, binding) => sum + size(binding), 0);
	for (const binding of all) {
		if (!kept.has(binding) && used + size(binding) <= width - 1) {
			kept.add(binding);
			used += size(binding);
		}
	}

	return all.filter(binding => kept.has(binding));
}

export function Footer({width, subprocesses = false}: {readonly width: number; readonly subprocesses?: boolean}) {
	return (
		<Box>
			{footerFit(width, subprocesses).map(binding => (
				<Box key={binding.keys} marginRight={2}>
					<Text {...theme.key()}>{binding.keys}</Text>
					<Text {...theme.dim()}>{` ${binding.footer!}`}</Text>
				</Box>
			))}
		</Box>
	);
}
