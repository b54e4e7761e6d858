// `d`: a stack dump of every thread (most recent call last), scrollable; Esc goes back.
import {Box, Text} from 'ink';
import {statusWords, type DumpData} from '../live/dump.js';
import {pidLabel} from '../common/pid-label.js';
import {fit} from './format.js';
import {shortenPath, shownName} from './names.js';
import {textWidth} from './text-width.js';
import {theme} from './theme.js';

export type DumpViewProps = {
	readonly dump: DumpData | {readonly error: string};
	/** Each asyncio task's await chain, when the target runs asyncio. */
	readonly tasks?: DumpData | undefined;
	readonly width: number;
	readonly height: number;
	/** First line shown (the live view scrolls it). */
	readonly top: number;
};

type Line = {
	readonly text: string;
	readonly kind: 'thread' | 'frame' | 'source' | 'plain';
	/** A frame line's file, which gives way (its middle) when the line is too wide: the function name never does. */
	readonly file?: {readonly path: string; readonly before: string; readonly after: string};
};

/** A line in `width` columns: a frame line shortens its path first, so the function name stays whole. */
export function fitDumpLine(line: Line, width: number): string {
	if (line.file && textWidth(line.text) > width) {
		const room = width - textWidth(line.file.before) - textWidth(line.file.after);
		return fit(`${line.file.before}${shortenPath(line.file.path, Math.max(8, room))}${line.file.after}`, width);
	}

	return fit(shownName(line.text), width);
}

export function dumpLines(dump: DumpData, tasks?: DumpData): Line[] {
	const lines: Line[] = [];
	if (dump.threads.length === 0) {
		lines.push({text: `No Python stacks found for PID ${dump.pid}`, kind: 'plain'});
	}

	for (const thread of dump.threads) {
		const words = statusWords(thread.status).filter(word => !(word === 'main thread' && thread.name === 'MainThread'));
		lines.push({text: `Thread ${thread.tid} (${[thread.name, ...words].filter(Boolean).join(', ')}; most recent call last):`, kind: 'thread'});
		frameLines(thread.frames, lines);
	}

	if (tasks && tasks.threads.length > 0) {
		lines.push({text: `asyncio tasks (${tasks.threads.length}): each task's await chain, most recent call last`, kind: 'thread'}, {text: '', kind: 'plain'});
		for (const task of tasks.threads) {
			lines.push({text: `${task.name.replace(/^task /, 'Task ')} (thread ${task.tid}):`, kind: 'thread'});
			frameLines(task.frames, lines);
		}
	}

	return lines;
}

function frameLines(frames: DumpData['threads'][number]['frames'], lines: Line[]): void {
	for (const frame of frames) {
		if (frame.kind !== 'python') {
			lines.push({text: frame.kind === 'task' ? `  <task> ${frame.funcname}` : `  ${frame.funcname}`, kind: 'frame'});
			continue;
		}

		const after = `", line ${frame.line}, in ${frame.funcname}${frame.opcode === undefined ? '' : `  opcode=${frame.opcode}`}`;
		lines.push({text: `  File "${frame.filename}${after}`, kind: 'frame', file: {path: frame.filename, before: '  File "', after}});
		if (frame.source) {
			lines.push({text: `    ${frame.source}`, kind: 'source'});
		}
	}

	lines.push({text: '', kind: 'plain'});
}

/** Lines of the dump view, for scrolling. */
export function dumpViewLines(dump: DumpViewProps['dump'], tasks?: DumpData): Line[] {
	return 'error' in dump ? [{text: dump.error, kind: 'plain'}] : dumpLines(dump, tasks);
}

/** Lines a dump view of `height` shows at once. */
export const dumpVisible = (height: number) => Math.max(1, height - 2);

export function DumpView({dump, tasks, width, height, top: asked}: DumpViewProps) {
	const lines = dumpViewLines(dump, tasks);
	const visible = dumpVisible(height);
	const top = Math.min(asked, Math.max(0, lines.length - visible));
	const title = 'error' in dump ? 'Stack dump failed' : `Stack dump for ${pidLabel(dump.pid, dump.nsPid)} (Python ${dump.version}: ${dump.command.join(' ')})`;
	return (
		<Box flexDirection='column'>
			<Text {...theme.title()}>{fit(title, width - 1)}</Text>
			{lines.slice(top, top + visible).map((line, index) => (
				<Text key={top + index} {...(line.kind === 'thread' ? theme.value() : line.kind === 'source' ? theme.dim() : {})}>{fitDumpLine(line, width - 1)}</Text>
			))}
			<Text {...theme.dim()}>{fit(`lines ${Math.min(lines.length, top + 1)}–${Math.min(lines.length, top + visible)} of ${lines.length} · ↑/↓ PgUp/PgDn scroll · Esc back`, width - 1)}</Text>
		</Box>
	);
}
