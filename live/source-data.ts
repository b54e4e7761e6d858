// The source screen's data: one function's samples per line of its file (self: the line was
// executing; total: the line was on the stack, counted once per sample), the file's text read
// as the target sees it (sampler/source-lines.ts, through /proc/PID/root), and with --opcodes
// the instruction mix of one line.
import {terminalText} from '../common/terminal-text.js';
import type {Profile, View} from '../exporters/model.js';
import {opcodeCounts, type OpcodeCount} from '../exporters/opcode-stats.js';

export type LineHeat = {self: number; total: number};

export type FunctionHeat = {
	readonly filename: string;
	readonly funcname: string;
	/** Line → samples. */
	readonly lines: ReadonlyMap<number, LineHeat>;
	/** Samples with the function on the stack (each once). */
	readonly samples: number;
	/** Samples in the view (the % base). */
	readonly viewSamples: number;
	/** The line with the most total samples (then self), or 0 when none. */
	readonly hottest: number;
};

export function functionHeat(profile: Profile, view: View, filename: string, funcname: string): FunctionHeat {
	const lines = new Map<number, LineHeat>();
	const ofFunction = new Map<number, boolean>();
	const isOurs = (frameId: number) => {
		let ours = ofFunction.get(frameId);
		if (ours === undefined) {
			const frame = profile.frames[frameId]!;
			// The names asked for are the screen's (terminal-safe) ones.
			ours = terminalText(frame.filename) === filename && terminalText(frame.funcname) === funcname;
			ofFunction.set(frameId, ours);
		}

		return ours;
	};

	let samples = 0;
	let viewSamples = 0;
	const seen = new Set<number>();
	const stacks = new Map<number, number[]>();
	for (const cell of profile.select(view)) {
		viewSamples += cell.count;
		if (cell.stack < 0) {
			continue;
		}

		let frames = stacks.get(cell.stack);
		if (frames === undefined) {
			frames = profile.stackFrames(cell.stack);
			stacks.set(cell.stack, frames);
		}

		seen.clear();
		for (let index = 0; index < frames.length; index++) {
			const frameId = frames[index]!;
			if (!isOurs(frameId)) {
				continue;
			}

			const line = Math.max(0, profile.frames[frameId]!.line);
			let heat = lines.get(line);
			if (heat === undefined) {
				heat = {self: 0, total: 0};
				lines.set(line, heat);
			}

			if (!seen.has(line)) {
				seen.add(line);
				heat.total += cell.count;
			}

			if (index === frames.length - 1) {
				heat.self += cell.count;
			}
		}

		if (seen.size > 0) {
			samples += cell.count;
		}
	}

	let hottest = 0;
	for (const [line, heat] of lines) {
		const best = lines.get(hottest);
		if (line > 0 && (!best || heat.total > best.total || (heat.total === best.total && heat.self > best.self))) {
			hottest = line;
		}
	}

	return {filename, funcname, lines, samples, viewSamples, hottest};
}

/** --opcodes: the instructions one line of the function stood on when it was the innermost frame. */
export function lineOpcodes(profile: Profile, view: View, filename: string, funcname: string, line: number): OpcodeCount[] {
	const {frames} = profile;
	return opcodeCounts(profile, view, frameId => frames[frameId]!.line === line && terminalText(frames[frameId]!.funcname) === funcname && terminalText(frames[frameId]!.filename) === filename);
}
