// The live view's keys as named commands, per screen: the view matches keys through this
// table, and the help screen, the footer and the tests read it too, so they cannot drift apart.
import type {Key} from 'ink';

/** The screens of the live view that take commands from this table. */
export type Screen = 'table' | 'flame' | 'source';

export type Binding = {
	/** How the key is shown in help and footer. */
	readonly keys: string;
	readonly description: string;
	/** The screens where the key means this command. */
	readonly screens: readonly Screen[];
	/** Shown in the footer (the most used ones), with this word. */
	readonly footer?: string;
	/** Only offered (help, footer) when the view follows subprocesses. */
	readonly subprocessesOnly?: boolean;
	readonly matches: (input: string, key: Key) => boolean;
};

const char = (...chars: string[]) => (input: string, key: Key) => !key.ctrl && !key.meta && chars.includes(input);
const all: readonly Screen[] = ['table', 'flame', 'source'];
const table: readonly Screen[] = ['table'];
const views: readonly Screen[] = ['table', 'flame'];

export const liveCommands = {
	up: {keys: '↑/k', description: 'move the selection up (flame: to the caller)', screens: all, matches: (input, key) => key.upArrow || char('k')(input, key)},
	down: {keys: '↓/j', description: 'move the selection down (flame: to the largest callee)', screens: all, matches: (input, key) => key.downArrow || char('j')(input, key)},
	pageUp: {keys: 'PgUp', description: 'a page up', screens: ['table', 'source'], matches: (_input, key) => key.pageUp},
	pageDown: {keys: 'PgDn', description: 'a page down', screens: ['table', 'source'], matches: (_input, key) => key.pageDown},
	details: {keys: 'Enter', description: 'callers and callees of the selected row', screens: table, matches: (_input, key) => key.return},
	zoom: {keys: 'Enter', description: 'flame: zoom into the selected frame', screens: ['flame'], matches: (_input, key) => key.return},
	back: {keys: 'Esc', description: 'flame: zoom out, then back to the table; source: back', screens: ['flame', 'source'], matches: (_input, key) => key.escape},
	sortNext: {keys: 's', description: 'next sort column', footer: 'sort', screens: table, matches: char('s')},
	sortPrevious: {keys: 'S', description: 'previous sort column', screens: table, matches: char('S')},
	lines: {keys: 'L', description: 'rows by function or by line', screens: table, matches: char('L')},
	flame: {keys: 'f', description: 'flame graph of this view', footer: 'flame', screens: ['table', 'source'], matches: char('f')},
	source: {keys: 'v', description: 'source of the selected function, per-line samples', footer: 'source', screens: views, matches: char('v')},
	window: {keys: 'w', description: 'since start ↔ the recent window', footer: 'window', screens: all, matches: char('w')},
	windowLength: {keys: 'W', description: 'window length: 5, 10, 30, 60 s', screens: all, matches: char('W')},
	mode: {keys: 'm', description: 'mode: wall, cpu, gil, exception', footer: 'mode', screens: all, matches: char('m')},
	thread: {keys: 't', description: 'all threads or one', footer: 'thread', screens: views, matches: char('t')},
	previousThread: {keys: '←', description: 'previous thread (flame: previous frame on the row)', screens: views, matches: (_input, key) => key.leftArrow},
	nextThread: {keys: '→', description: 'next thread (flame: next frame on the row)', screens: views, matches: (_input, key) => key.rightArrow},
	previousProcess: {keys: '[', description: 'previous process (--subprocesses)', subprocessesOnly: true, screens: views, matches: char('[')},
	nextProcess: {keys: ']', description: 'next process (--subprocesses): the target, then each Python child', footer: 'process', subprocessesOnly: true, screens: views, matches: char(']')},
	filter: {keys: '/', description: 'filter rows (flame: highlight matches) by function or file:line', footer: 'filter', screens: views, matches: char('/')},
	clearFilter: {keys: 'c', description: 'clear the filter', screens: views, matches: char('c')},
	nativeStacks: {keys: 'n', description: 'native stacks on/off: C/C++/Rust frames between the Python frames (stops each thread per sample)', screens: all, matches: char('n')},
	pause: {keys: 'p', description: 'pause the display (sampling goes on)', footer: 'pause', screens: all, matches: char('p')},
	reset: {keys: 'r', description: 'reset the statistics', footer: 'reset', screens: table, matches: char('r')},
	export: {keys: 'e', description: 'export what was sampled so far', footer: 'export', screens: all, matches: char('e')},
	dump: {keys: 'd', description: 'stack dump of every thread', footer: 'dump', screens: table, matches: char('d')},
	help: {keys: 'h/?', description: 'this help', footer: 'help', screens: all, matches: char('h', '?')},
	quit: {keys: 'q', description: 'quit', footer: 'quit', screens: all, matches: char('q')},
} as const satisfies Record<string, Binding>;

export type LiveCommand = keyof typeof liveCommands;

const entries = Object.entries(liveCommands) as Array<[LiveCommand, Binding]>;

/** The command a key press means on `screen`, if any. */
export function commandFor(screen: Screen, input: string, key: Key): LiveCommand | undefined {
	for (const [name, binding] of entries) {
		if (binding.screens.includes(screen) && binding.matches(input, key)) {
			return name;
		}
	}

	return undefined;
}

/** The bindings help lists (each key once, in table order), with or without the subprocess keys. */
export function helpBindings(subprocesses: boolean): Binding[] {
	return entries.map(([, binding]) => binding).filter(binding => subprocesses || !binding.subprocessesOnly);
}

/** The bindings the footer offers, in table order. */
export function footerBindings(subprocesses: boolean): Binding[] {
	return helpBindings(subprocesses).filter(binding => binding.footer !== undefined);
}
