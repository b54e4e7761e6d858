// The live view's keys as named commands: the view matches keys through this table, and the
// help screen and footer are written from it, so they cannot drift apart.
import type {Key} from 'ink';

export type Binding = {
	/** How the key is shown in help and footer. */
	readonly keys: string;
	readonly description: string;
	/** Shown in the footer (the most used ones). */
	readonly footer?: string;
	/** Only offered (help, footer) when the view follows subprocesses. */
	readonly subprocessesOnly?: boolean;
	readonly matches: (input: string, key: Key) => boolean;
};

const char = (...chars: string[]) => (input: string, key: Key) => !key.ctrl && !key.meta && chars.includes(input);

export const liveCommands = {
	up: {keys: '↑/k', description: 'move the selection up', matches: (input, key) => key.upArrow || char('k')(input, key)},
	down: {keys: '↓/j', description: 'move the selection down', matches: (input, key) => key.downArrow || char('j')(input, key)},
	pageUp: {keys: 'PgUp', description: 'a page up', matches: (_input, key) => key.pageUp},
	pageDown: {keys: 'PgDn', description: 'a page down', matches: (_input, key) => key.pageDown},
	details: {keys: 'Enter', description: 'callers and callees of the selected row', matches: (_input, key) => key.return},
	sortNext: {keys: 's', description: 'next sort column', footer: 'sort', matches: char('s')},
	sortPrevious: {keys: 'S', description: 'previous sort column', matches: char('S')},
	mode: {keys: 'm', description: 'mode: wall, cpu, gil, exception', footer: 'mode', matches: char('m')},
	thread: {keys: 't', description: 'all threads or one', footer: 'thread', matches: char('t')},
	previousThread: {keys: '←', description: 'previous thread', matches: (_input, key) => key.leftArrow},
	nextThread: {keys: '→', description: 'next thread', matches: (_input, key) => key.rightArrow},
	previousProcess: {keys: '[', description: 'previous process (--subprocesses)', subprocessesOnly: true, matches: char('[')},
	nextProcess: {keys: ']', description: 'next process (--subprocesses): the target, then each Python child', footer: 'process', subprocessesOnly: true, matches: char(']')},
	filter: {keys: '/', description: 'filter by function or file', footer: 'filter', matches: char('/')},
	clearFilter: {keys: 'c', description: 'clear the filter', matches: char('c')},
	pause: {keys: 'p', description: 'pause the display (sampling goes on)', footer: 'pause', matches: char('p')},
	reset: {keys: 'r', description: 'reset the statistics', footer: 'reset', matches: char('r')},
	export: {keys: 'e', description: 'export what was sampled so far', footer: 'export', matches: char('e')},
	dump: {keys: 'd', description: 'stack dump of every thread', footer: 'dump', matches: char('d')},
	help: {keys: 'h/?', description: 'this help', footer: 'help', matches: char('h', '?')},
	quit: {keys: 'q', description: 'quit', footer: 'quit', matches: char('q')},
} as const satisfies Record<string, Binding>;

export type LiveCommand = keyof typeof liveCommands;

/** The command a key press means in the table, if any. */
export function commandFor(input: string, key: Key): LiveCommand | undefined {
	for (const [name, binding] of Object.entries(liveCommands) as Array<[LiveCommand, Binding]>) {
		if (binding.matches(input, key)) {
			return name;
		}
	}

	return undefined;
}
