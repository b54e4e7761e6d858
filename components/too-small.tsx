// Shown instead of the view when the terminal is below 80×20.
import {Box, Text} from 'ink';
import {theme} from './theme.js';

export const minimumSize = {columns: 80, rows: 20} as const;

export function TooSmall({columns, rows}: {readonly columns: number; readonly rows: number}) {
	return (
		<Box flexDirection='column'>
			<Text {...theme.warning()}>Terminal too small</Text>
			<Text>{`${columns}×${rows}; tachyon-top needs at least ${minimumSize.columns}×${minimumSize.rows}.`}</Text>
			<Text {...theme.dim()}>Enlarge the window, or press q to quit.</Text>
		</Box>
	);
}
