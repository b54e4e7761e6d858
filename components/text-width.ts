// Columns a string takes on the terminal, fast for the characters this UI draws. string-width
// segments graphemes (~0.4 µs a character), which a 50-row table would pay on every frame; a
// string made only of characters known to take one column is measured by its length instead.
import stringWidth from 'string-width';

const colourCodes = /\u001B\[[\d;]*m/g;
// Printable ASCII, Latin-1 (less ©, soft hyphen and ®, which are not one column), dashes,
// quotes, bullet, ellipsis, ›, arrows, box drawing and blocks, ▲ ▼: string-width gives 1 for each
// (checked in test/fast-output.test.ts).
const oneColumnEach = /^[\u0020-\u007E\u00A0-\u00A8\u00AA-\u00AC\u00AF-\u00FF\u2013\u2014\u2018-\u201D\u2022\u2026\u203A\u2190-\u2193\u2500-\u259F\u25B2\u25BC]*$/;

/** The text without its colour codes. */
export function stripColours(text: string): string {
	return text.includes('\u001B') ? text.replaceAll(colourCodes, '') : text;
}

/** The width when every character takes one column, else undefined (string-width must measure it). */
export function quickWidth(text: string): number | undefined {
	const plain = stripColours(text);
	return oneColumnEach.test(plain) ? plain.length : undefined;
}

export function textWidth(text: string): number {
	return quickWidth(text) ?? stringWidth(text);
}
