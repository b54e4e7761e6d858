// JSON Lines in Tachyon 3.15's schema (v 0): meta, string_table, frame_table, agg, end records,
// one compact object per line, tables in chunks of at most 256 entries. Consumers ignore unknown
// record types, so the schema is Tachyon's exactly.
import type {ProfilingMode} from '../common/profile-types.js';
import {randomUUID} from 'node:crypto';
import type {Profile} from './model.js';

const chunkSize = 256;

export type JsonlOptions = {
	/** Fixed run id (tests); a fresh uuid4 hex otherwise. */
	readonly runId?: string;
	/** The samples a mode keeps (default: the profile's capture mode). */
	readonly mode?: ProfilingMode | undefined;
};

function chunks<T>(items: T[]): T[][] {
	const result: T[][] = [];
	for (let start = 0; start < items.length; start += chunkSize) {
		result.push(items.slice(start, start + chunkSize));
	}

	return result;
}

export function jsonlText(profile: Profile, options: JsonlOptions = {}): string {
	const runId = options.runId ?? randomUUID().replaceAll('-', '');
	const strings: Array<{str_id: number; value: string}> = [];
	const stringIds = new Map<string, number>();
	const string = (text: string) => {
		let id = stringIds.get(text);
		if (id === undefined) {
			id = strings.length;
			strings.push({str_id: id, value: text});
			stringIds.set(text, id);
		}

		return id;
	};

	type FrameRecord = {frame_id: number; path_str_id: number; func_str_id: number; line: number; end_line?: number; col?: number; end_col?: number};
	const frames: FrameRecord[] = [];
	const frameIds = new Map<string, number>();
	const frameOf = new Map<number, number>();
	const selfCounts: number[] = [];
	const cumulativeCounts: number[] = [];
	const frameFor = (frameId: number): number => {
		let id = frameOf.get(frameId);
		if (id !== undefined) {
			return id;
		}

		const frame = profile.frames[frameId]!;
		// Identity is (path, function, position), as Tachyon's: opcodes do not split frames here.
		const synthetic = frame.kind !== 'python';
		const line = synthetic ? 0 : Math.max(frame.line, 0);
		const key = `${frame.filename}\0${frame.funcname}\0${line}\0${frame.endLine}\0${frame.col}\0${frame.endCol}`;
		id = frameIds.get(key);
		if (id === undefined) {
			// Interning order as Tachyon's: the function name first, then the file.
			const func = string(frame.funcname);
			const file = string(frame.filename);
			id = frames.length;
			const record: FrameRecord = {frame_id: id, path_str_id: file, func_str_id: func, line};
			if (!synthetic && frame.endLine > 0) {
				record.end_line = frame.endLine;
			}

			if (!synthetic && frame.col >= 0) {
				record.col = frame.col;
			}

			if (!synthetic && frame.endCol >= 0) {
				record.end_col = frame.endCol;
			}

			frames.push(record);
			selfCounts.push(0);
			cumulativeCounts.push(0);
			frameIds.set(key, id);
		}

		frameOf.set(frameId, id);
		return id;
	};

	let total = 0;
	const seen = new Set<number>();
	const stackIds = new Map<number, number[]>();
	const mode = options.mode ?? profile.meta.mode;
	for (const cell of profile.select({mode})) {
		total += cell.count;
		if (cell.stack < 0) {
			continue;
		}

		let ids = stackIds.get(cell.stack);
		if (ids === undefined) {
			// Leaf first, the order Tachyon meets frames in.
			ids = profile.stackFrames(cell.stack).reverse().map(frame => frameFor(frame));
			stackIds.set(cell.stack, ids);
		}

		selfCounts[ids[0]!]! += cell.count;
		seen.clear();
		for (const id of ids) {
			if (!seen.has(id)) {
				seen.add(id);
				cumulativeCounts[id]! += cell.count;
			}
		}
	}

	const base = {v: 0, run_id: runId};
	const lines: unknown[] = [{type: 'meta', ...base, sample_interval_usec: profile.meta.intervalUs, mode}];
	for (const chunk of chunks(strings)) {
		lines.push({type: 'string_table', ...base, strings: chunk});
	}

	for (const chunk of chunks(frames)) {
		lines.push({type: 'frame_table', ...base, frames: chunk});
	}

	const entries = frames.map(frame => ({frame_id: frame.frame_id, self: selfCounts[frame.frame_id]!, cumulative: cumulativeCounts[frame.frame_id]!}));
	for (const chunk of chunks(entries)) {
		lines.push({type: 'agg', ...base, kind: 'frame', scope: 'final', samples_total: total, entries: chunk});
	}

	lines.push({type: 'end', ...base, samples_total: total});
	return lines.map(line => JSON.stringify(line)).join('\n') + '\n';
}
