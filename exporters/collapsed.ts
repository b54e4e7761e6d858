// Collapsed ("folded") stacks, byte-compatible with Tachyon's --collapsed: one line per
// distinct (thread, stack), `tid:N;root;...;leaf count`, frames as `file:function:line`.
// flamegraph.pl, speedscope and Pyroscope read it.
import type {FrameDef, ProfilingMode} from '../common/profile-types.js';
import type {Profile} from './model.js';
import {shortFilename} from './paths.js';

export function collapsedFrame(frame: FrameDef): string {
	if (frame.kind === 'task') {
		return `<task>:${frame.funcname}:0`;
	}

	if (frame.kind !== 'python') {
		return frame.funcname;
	}

	return `${shortFilename(frame.filename)}:${frame.funcname}:${Math.max(frame.line, 0)}`;
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
