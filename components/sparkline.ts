// Sparklines for the header's trends: the last minute in a few characters, Unicode blocks, or
// an ASCII ramp under NO_COLOR or a terminal whose locale is not UTF-8.
const blocks = '▁▂▃▄▅▆▇█';
const ascii = '_.-:=+*#';

/** Whether the terminal can be expected to show block characters. */
export function unicodeTerminal(env: NodeJS.ProcessEnv = process.env): boolean {
	if (env['NO_COLOR'] !== undefined) {
		return false;
	}

	const locale = env['LC_ALL'] || env['LC_CTYPE'] || env['LANG'] || '';
	// No locale at all (a bare tmux, CI) is taken as UTF-8, as most terminals are today.
	return locale === '' || /utf-?8/i.test(locale);
}

/**
 * `values` (oldest first) squeezed into `width` characters, each the mean of its share of the
 * values, scaled from 0 to `max` (or the largest value). Empty slots on the left when the
 * minute is not over yet.
 */
export function sparkline(values: readonly number[], width: number, options: {readonly max?: number; readonly unicode?: boolean} = {}): string {
	const ramp = options.unicode ?? unicodeTerminal() ? blocks : ascii;
	if (width <= 0) {
		return '';
	}

	const perChar = Math.max(1, Math.ceil(values.length / width));
	const points: number[] = [];
	for (let end = values.length; end > 0 && points.length < width; end -= perChar) {
		const slice = values.slice(Math.max(0, end - perChar), end);
		points.unshift(slice.reduce((sum, value) => sum + value, 0) / slice.length);
	}

	const max = options.max ?? Math.max(0, ...points);
	const chars = points.map(value => ramp[max > 0 ? Math.min(ramp.length - 1, Math.max(0, Math.round((value / max) * (ramp.length - 1)))) : 0]!);
	return ' '.repeat(width - chars.length) + chars.join('');
}
