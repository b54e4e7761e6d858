// Keyboard input one key at a time. Ink 6 separates escape sequences (arrows, PgUp) but hands
// a run of plain characters over as one event: typing fast, a paste or a loaded machine turns
// "jj" or "abc⏎" into a single `input` that matches no key. This splits such a run back into
// its keys, each with the flags Ink would have given it alone, and calls the handler once per
// key, in order. Handlers must therefore read their state from refs (see useLatest), not from
// the render that subscribed them: two keys of one event see the same render.
import {useInput, type Key} from 'ink';
import {useCallback, useLayoutEffect, useRef} from 'react';

export type KeyHandler = (input: string, key: Key) => void;

/** A mouse report (SGR 1006): the button (0 left, 64/65 wheel up/down) and the 1-based cell. */
export type MouseEvent = {readonly button: number; readonly x: number; readonly y: number; readonly press: boolean};

/** Turns on the terminal's mouse reports (clicks and wheel, SGR coordinates), and off again. */
export const mouseOn = '\u001B[?1000h\u001B[?1006h';
export const mouseOff = '\u001B[?1000l\u001B[?1006l';

/** A mouse report as Ink hands it over (the escape already stripped), or undefined. */
export function parseMouse(input: string): MouseEvent | undefined {
	const match = /^\u001B?\[<(\d+);(\d+);(\d+)([Mm])$/.exec(input);
	return match ? {button: Number(match[1]), x: Number(match[2]), y: Number(match[3]), press: match[4] === 'M'} : undefined;
}

const noKey: Key = {
	upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
	return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
	super: false, hyper: false, capsLock: false, numLock: false,
};

/** One character of a plain run as Ink would report it alone. */
function singleKey(char: string): [string, Key] {
	switch (char) {
		case '\r':
		case '\n': {
			return ['', {...noKey, return: true}];
		}

		case '\t': {
			return ['', {...noKey, tab: true}];
		}

		case '\u007F':
		case '\b': {
			return ['', {...noKey, backspace: true}];
		}

		case '\u001B': {
			return ['', {...noKey, escape: true, meta: true}];
		}

		default: {
			const code = char.codePointAt(0)!;
			if (code >= 1 && code <= 26) {
				// Ctrl+letter, as Ink names it: the letter, with ctrl.
				return [String.fromCodePoint(code + 96), {...noKey, ctrl: true}];
			}

			return [char, {...noKey, shift: /^[A-Z]$/.test(char)}];
		}
	}
}

/** The keys of one input event: itself when it is one key, else each character of the run. */
export function splitKeys(input: string, key: Key): Array<[string, Key]> {
	const special = key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown || key.home || key.end
		|| key.return || key.escape || key.tab || key.backspace || key.delete || key.ctrl || key.meta;
	const chars = [...input];
	if (special || chars.length <= 1) {
		return [[input, key]];
	}

	return chars.map(char => singleKey(char));
}

/** useInput, one call per key (see the module comment). */
export function useKeys(handler: KeyHandler, options: {readonly isActive?: boolean; readonly onMouse?: (event: MouseEvent) => void} = {}): void {
	const latest = useRef(handler);
	const mouse = useRef(options.onMouse);
	useLayoutEffect(() => {
		latest.current = handler;
		mouse.current = options.onMouse;
	});
	const onInput = useCallback((input: string, key: Key) => {
		const event = parseMouse(input);
		if (event) {
			// Never a key: a terminal that reports the mouse must not type into the filter.
			mouse.current?.(event);
			return;
		}

		for (const [one, oneKey] of splitKeys(input, key)) {
			latest.current(one, oneKey);
		}
	}, []);
	useInput(onInput, options.isActive === undefined ? {} : {isActive: options.isActive});
}
