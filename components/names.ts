// How the UI shows names from the target: function names and file paths. Every name shown
// goes through shownName (the terminal-safe text of common/terminal-text.ts; names the store
// already made safe pass unchanged), and one path shortener serves every screen: paths lose
// their middle, never their file name.
import {terminalText} from '../common/terminal-text.js';
import {fit} from './format.js';
import {textWidth} from './text-width.js';

/** A function, thread or file name as the UI prints it. */
export function shownName(name: string): string {
	return terminalText(name);
}

/**
 * `path` (maybe with `:line`) in at most `width` columns: whole when it fits, else its start,
 * `…`, and as many of its last parts as fit, the file name always whole if it fits at all.
 * `/srv/app/project/pkg/sub/workload.py:13` at 30 → `/srv/ap…/pkg/sub/workload.py:13`.
 */
export function shortenPath(path: string, width: number): string {
	const text = shownName(path);
	if (textWidth(text) <= width) {
		return text;
	}

	if (width <= 1) {
		return fit(text, width).trimEnd();
	}

	const parts = text.split('/');
	const name = parts.pop()!;
	if (parts.length === 0 || textWidth(name) + 2 > width) {
		return middleCut(text.length > name.length && textWidth(name) + 2 > width ? name : text, width);
	}

	let tail = name;
	while (parts.length > 0 && textWidth(`${parts.at(-1)!}/${tail}`) + 2 <= width) {
		tail = `${parts.pop()!}/${tail}`;
	}

	return `${prefix(parts.join('/'), width - textWidth(tail) - 2)}…/${tail}`;
}

/** The first characters of `text` that fit in `width` columns. */
function prefix(text: string, width: number): string {
	let out = '';
	for (const char of text) {
		if (textWidth(out + char) > width) {
			break;
		}

		out += char;
	}

	return out;
}

/** The start and the end of `text` with `…` between, in `width` columns. */
function middleCut(text: string, width: number): string {
	const chars = [...text];
	const keep = width - 1;
	// The end (the line, the file's extension) is worth more than the start.
	const tail = Math.ceil(keep / 2);
	const cut = prefix(text, keep - tail) + '…' + (tail > 0 ? chars.slice(-tail).join('') : '');
	return textWidth(cut) <= width ? cut : fit(text, width).trimEnd();
}
