// `h`/`?`: every key of the live view, from the key-binding table (any key closes it).
// A plain two-column list: a boxed table draws a rule between rows and would not fit 20 lines.
import {Box, Text} from 'ink';
import {liveCommands, type Binding} from '../live/key-bindings.js';
import {fit} from './format.js';
import {theme} from './theme.js';

export function Help({height, subprocesses = false}: {readonly height: number; readonly subprocesses?: boolean}) {
	const bindings = (Object.values(liveCommands) as Binding[]).filter(binding => subprocesses || !binding.subprocessesOnly).slice(0, Math.max(1, height - 3));
	return (
		<Box flexDirection='column'>
			<Text {...theme.title()}>tachyon-top keys</Text>
			{bindings.map(binding => (
				<Box key={binding.keys}>
					<Text {...theme.key()}>{fit(binding.keys, 8)}</Text>
					<Text>{binding.description}</Text>
				</Box>
			))}
			<Text {...theme.dim()}>nsamples: direct (executing) / cumulative (on the stack). Any key closes this help.</Text>
		</Box>
	);
}
