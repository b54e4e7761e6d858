// Names and paths from a target or an archive are untrusted: a function, file, thread or
// command line may hold ESC, BEL or C1 sequences (retitle the window, clear the screen, write
// the clipboard with OSC 52) or bidi overrides (show text in another order than it is read).
// Everything such a string puts on a terminal goes through terminalText first: control
// characters and bidi controls become visible escapes (`\x1b`, `\u202e`), all else is kept.

/**
 * C0 controls (tab and newline included: they would break a table row), DEL, C1 controls
 * (U+009B is CSI, U+009D OSC on terminals that honour 8-bit controls), the line and paragraph
 * separators, and the bidi controls (ALM, LRM, RLM, LRE…RLO, LRI…PDI).
 */
const unsafe = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;
const unsafeAll = new RegExp(unsafe.source, 'g');

/** `\x1b` for codes below 0x80, `\u202e` above: how a person would write the character in Python. */
export function visibleEscape(char: string): string {
	const code = char.codePointAt(0)!;
	return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` safe to write to a terminal: the same string when it holds nothing unsafe (the usual case, no copy). */
export function terminalText(text: string): string {
	return unsafe.test(text) ? text.replace(unsafeAll, visibleEscape) : text;
}

/** Whether `text` holds a character terminalText would escape. */
export function hasUnsafeText(text: string): boolean {
	return unsafe.test(text);
}
