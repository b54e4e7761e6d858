// Text props applied to a plain string, for lines drawn as strings rather than as <Text>
// elements (the live table's rows). Uses chalk, as Ink's <Text> does, so both follow the same
// colour support (NO_COLOR, FORCE_COLOR, no TTY) and produce the same escapes.
import chalk, {type ForegroundColorName, type BackgroundColorName} from 'chalk';
import type {TextProps} from 'ink';

export function paint(text: string, props: TextProps): string {
	let painted = text;
	if (props.dimColor) {
		painted = chalk.dim(painted);
	}

	if (props.color) {
		painted = chalk[props.color as ForegroundColorName](painted);
	}

	if (props.backgroundColor) {
		const name = `bg${props.backgroundColor[0]!.toUpperCase()}${props.backgroundColor.slice(1)}` as BackgroundColorName;
		painted = chalk[name](painted);
	}

	if (props.bold) {
		painted = chalk.bold(painted);
	}

	if (props.underline) {
		painted = chalk.underline(painted);
	}

	if (props.inverse) {
		painted = chalk.inverse(painted);
	}

	return painted;
}
