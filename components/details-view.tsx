// Enter on a row: who calls this function line and what it calls, by samples.
import {Box, Text} from 'ink';
import type {FunctionRow} from '../exporters/function-stats.js';
import {shortenPath, shownName} from './names.js';
import {fit, formatCount, formatPercent} from './format.js';
import {theme} from './theme.js';

export type DetailsViewProps = {
	readonly row: FunctionRow | undefined;
	readonly rowsById: ReadonlyMap<number, FunctionRow>;
	readonly width: number;
	readonly height: number;
};

const describe = (row: FunctionRow, width = 60) => `${shownName(row.funcname)}  ${shortenPath(row.line > 0 ? `${row.filename}:${row.line}` : row.filename, width)}`;

export function DetailsView({row, rowsById, width, height}: DetailsViewProps) {
	if (!row) {
		return <Text>This row has no samples in the current view. Esc goes back.</Text>;
	}

	const half = Math.max(1, Math.floor((height - 6) / 2));
	const list = (links: ReadonlyMap<number, number>, total: number) => [...links]
		.sort((a, b) => b[1] - a[1])
		.slice(0, half)
		.map(([id, count]) => {
			const other = rowsById.get(id);
			return {id, text: `${fit(formatCount(count), 8, 'right')} ${fit(formatPercent(total > 0 ? (count / total) * 100 : 0), 6, 'right')}%  ${fit(other ? describe(other) : '?', width - 20)}`};
		});
	const callers = list(row.callers, row.cumulativeSamples);
	const callees = list(row.callees, row.cumulativeSamples);
	return (
		<Box flexDirection='column'>
			<Text {...theme.title()}>{fit(describe(row), width - 1)}</Text>
			<Text>{`${formatCount(row.directSamples)} direct / ${formatCount(row.cumulativeSamples)} cumulative samples`}</Text>
			<Text {...theme.value()}>Callers</Text>
			{callers.length === 0 ? <Text {...theme.dim()}>  (none: a root of the stack)</Text> : callers.map(line => <Text key={`r${line.id}`}>{line.text}</Text>)}
			<Text {...theme.value()}>Callees</Text>
			{callees.length === 0 ? <Text {...theme.dim()}>  (none: always the innermost frame)</Text> : callees.map(line => <Text key={`e${line.id}`}>{line.text}</Text>)}
			<Text {...theme.dim()}>Esc back</Text>
		</Box>
	);
}
