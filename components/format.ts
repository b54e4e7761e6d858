// Cell text for dense tables: every cell is padded or truncated to exactly its column width
// (measured with string-width), so Ink never wraps a cell; numbers are formatted with a bounded
// number of distinct strings, because Ink 6 caches every text it measures and never evicts.
import stringWidth from 'string-width';
import {textWidth as widthOf} from './text-width.js';

const plainAscii = /^[\u0020-\u007E]*$/;

/** Cuts `text` to `width` columns, ending in `…` when cut, then pads it to exactly `width`. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
	if (width <= 0) {
		return '';
	}

	let shown = text;
	let shownWidth = widthOf(shown);
	if (shownWidth > width) {
		shown = cutTo(shown, width - 1) + '…';
		shownWidth = widthOf(shown);
	}

	const pad = ' '.repeat(Math.max(0, width - shownWidth));
	return align === 'left' ? shown + pad : pad + shown;
}

/** Keeps the end of `text` (for paths), starting with `…` when cut, padded to `width`. */
export function fitEnd(text: string, width: number): string {
	if (widthOf(text) <= width) {
		return fit(text, width);
	}

	if (plainAscii.test(text)) {
		return '…' + text.slice(text.length - width + 1);
	}

	const chars = [...text];
	let kept = '';
	for (let index = chars.length - 1; index >= 0; index--) {
		if (stringWidth(chars[index]! + kept) > width - 1) {
			break;
		}

		kept = chars[index]! + kept;
	}

	return fit('…' + kept, width);
}

function cutTo(text: string, width: number): string {
	if (plainAscii.test(text)) {
		return text.slice(0, width);
	}

	let out = '';
	let used = 0;
	for (const char of text) {
		used += stringWidth(char);
		if (used > width) {
			break;
		}

		out += char;
	}

	return out;
}

/** Sample counts: exact below 100,000, then three significant digits with k/M. */
export function formatCount(count: number): string {
	if (count < 100_000) {
		return String(Math.round(count));
	}

	if (count < 1e6) {
		return `${Math.round(count / 1000)}k`;
	}

	if (count < 1e9) {
		return `${(count / 1e6).toPrecision(3)}M`;
	}

	return `${(count / 1e9).toPrecision(3)}G`;
}

/** A percentage with one decimal (at most 1,001 strings). */
export function formatPercent(value: number): string {
	return Math.min(100, Math.max(0, value)).toFixed(1);
}

/** Seconds with four significant digits: 0.123, 1.234, 12.35, 123.5, 1235. */
export function formatSeconds(seconds: number): string {
	if (seconds < 10) {
		return seconds.toFixed(3);
	}

	if (seconds < 100) {
		return seconds.toFixed(2);
	}

	if (seconds < 1000) {
		return seconds.toFixed(1);
	}

	return String(Math.round(seconds));
}

/** Durations as Tachyon shows uptime: 4s → 0m04s, 3725s → 1h02m05s. */
export function formatDuration(seconds: number): string {
	const whole = Math.max(0, Math.floor(seconds));
	const hours = Math.floor(whole / 3600);
	const minutes = Math.floor((whole % 3600) / 60);
	const rest = String(whole % 60).padStart(2, '0');
	return hours > 0 ? `${hours}h${String(minutes).padStart(2, '0')}m${rest}s` : `${minutes}m${rest}s`;
}

/** Rates in Hz, kHz or MHz with three significant digits. */
export function formatHz(hz: number): string {
	if (hz >= 1e6) {
		return `${(hz / 1e6).toPrecision(3)}MHz`;
	}

	if (hz >= 1000) {
		return `${(hz / 1000).toPrecision(3)}kHz`;
	}

	return `${Math.round(hz)}Hz`;
}

/** Short times: 85µs, 1.2ms, 12ms. */
export function formatMicroseconds(us: number): string {
	if (us < 1000) {
		return `${Math.round(us)}µs`;
	}

	return us < 10_000 ? `${(us / 1000).toFixed(1)}ms` : `${Math.round(us / 1000)}ms`;
}

/** Bytes as 12.3M. */
export function formatBytes(bytes: number): string {
	const units = ['B', 'K', 'M', 'G', 'T'];
	let value = bytes;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}

	return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)}${units[unit]}`;
}
