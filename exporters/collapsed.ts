// Collapsed ("folded") stacks, byte-compatible with Tachyon's --collapsed: one line per
// distinct (thread, stack), `tid:N;root;...;leaf count`, frames as `file:function:line`.
// flamegraph.pl, speedscope and Pyroscope read it.
import type {FrameDef, ProfilingMode} from '../common/profile-types.js';
import {isNativeFunction, type Profile} from './model.js';
import {shortFilename} from './paths.js';

/**
 * What a name may not hold in a line of collapsed stacks: the backslash (the escape itself), the
 * frame separator `;`, control characters (a newline would start a line of its own, with a count
 * of its own), DEL, C1 controls, the line and paragraph separators and the bidi controls.
 */
const special = /[\\;\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;
const specialAll = new RegExp(special.source, 'g');

/**
 * A name as collapsed stacks write it (README, "Collapsed stacks"): `\\` for a backslash, `\xHH`
 * for `;` and the controls below U+0080, `\uHHHH` above. Names without these (all of Tachyon's
 * output) are written unchanged, so the format stays byte-compatible; unescapeCollapsed reverses it.
 * Spaces stay: the count is what follows the last space of a line, and every frame ends in
 * its line number or a name, never in the count.
 */
export function escapeCollapsed(name: string): string {
	if (!special.test(name)) {
		return name;
	}

	return name.replace(specialAll, char => {
		if (char === '\\') {
			return '\\\\';
		}

		const code = char.codePointAt(0)!;
		return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
	});
}

/** The name escapeCollapsed was given. */
export function unescapeCollapsed(text: string): string {
	return text.replace(/\\(\\|x[\da-f]{2}|u[\da-f]{4})/g, (_, escape: string) => (escape === '\\' ? '\\' : String.fromCodePoint(Number.parseInt(escape.slice(1), 16))));
}

export function collapsedFrame(frame: FrameDef): string {
	if (frame.kind === 'task') {
		return `<task>:${escapeCollapsed(frame.funcname)}:0`;
	}

	if (isNativeFunction(frame)) {
		return `${frame.filename}:${frame.funcname}:0`;
	}

	if (frame.kind !== 'python') {
		return escapeCollapsed(frame.funcname);
	}

	return `${escapeCollapsed(shortFilename(frame.filename))}:${escapeCollapsed(frame.funcname)}:${Math.max(frame.line, 0)}`;
}

export function collapsedText(profile: Profile, mode?: ProfilingMode): string {
	const counts = new Map<string, number>();
	const names = profile.frames.map(frame => collapsedFrame(frame));
	const stackText = new Map<number, string>();
	for (const cell of profile.select(mode === undefined ? {} : {mode})) {
		if (cell.stack < 0) {
			continue;
		}

		let text = stackText.get(cell.stack);
		if (text === undefined) {
			text = profile.stackFrames(cell.stack).map(frame => names[frame]).join(';');
			stackText.set(cell.stack, text);
		}

		const line = `tid:${cell.tid};${text}`;
		counts.set(line, (counts.get(line) ?? 0) + cell.count);
	}

	return [...counts]
		.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : (a[0] > b[0] ? 1 : 0)))
		.map(([line, count]) => `${line} ${count}\n`)
		.join('');
}
