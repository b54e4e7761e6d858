// dump: one look at every thread's stack, most recent call last, with source lines.
import {FrameTable} from '../../sampler/frame-table.js';
import {ThreadStatus} from '../../sampler/protocol.js';
import {readComm} from '../../sampler/proc.js';
import {TargetGoneError, TornReadError} from '../../sampler/remote-memory.js';
import {UserError} from '../../sampler/errors.js';
import {describeReadError, openTarget} from '../../sampler/target.js';
import {Unwinder} from '../../sampler/unwinder.js';
import {SourceLines} from '../source-lines.js';

export type DumpOptions = {
	readonly pid: number;
	readonly allThreads: boolean;
	readonly native: boolean;
	readonly gc: boolean;
	readonly opcodes: boolean;
};

export function statusWords(status: number): string[] {
	const words: string[] = [];
	if (status & ThreadStatus.mainThread) {
		words.push('main thread');
	}

	if (status & ThreadStatus.hasGil) {
		words.push('has GIL');
	}

	if (status & ThreadStatus.onCpu) {
		words.push('on CPU');
	}

	if (status & ThreadStatus.gilRequested) {
		words.push('waiting for GIL');
	}

	if (status & ThreadStatus.hasException) {
		words.push('has exception');
	}

	if (status & ThreadStatus.inGc) {
		words.push('in GC');
	}

	if ((status & (ThreadStatus.hasGil | ThreadStatus.onCpu | ThreadStatus.gilRequested)) === 0) {
		words.push('idle');
	}

	return words;
}

export function dumpText(options: DumpOptions, opcodeName: (opcode: number) => string = opcode => String(opcode)): string {
	const target = openTarget(options.pid);
	const frames = new FrameTable();
	const unwinder = new Unwinder(target, frames, {
		allThreads: options.allThreads, gc: options.gc, native: options.native, opcodes: options.opcodes, cpuState: true, exceptionState: true,
	});
	let count = 0;
	for (let attempt = 0; ; attempt++) {
		try {
			count = unwinder.sample(performance.now());
			break;
		} catch (error) {
			if (error instanceof TargetGoneError) {
				throw new UserError(`No such process: ${options.pid}`);
			}

			if (!(error instanceof TornReadError)) {
				throw describeReadError(options.pid, error);
			}

			// The target moved under us; a few tries give a consistent picture.
			if (attempt >= 20) {
				throw new UserError(`Could not read a consistent stack from process ${options.pid}: ${error.message}`);
			}
		}
	}

	unwinder.close();
	const sources = new SourceLines(options.pid);
	const sections: string[] = [`Stack dump for PID ${options.pid} (Python ${target.version.text}: ${target.command.join(' ')})`];
	if (count === 0) {
		sections.push(`No Python stacks found for PID ${options.pid}`);
	}

	for (let index = 0; index < count; index++) {
		const sample = unwinder.samples[index]!;
		const name = readComm(options.pid, sample.tid) || '?';
		const lines = [`Thread ${sample.tid} (${[name, ...statusWords(sample.status)].join(', ')}; most recent call last):`];
		for (let depth = sample.depth - 1; depth >= 0; depth--) {
			const frame = frames.defs[sample.frames[depth]!]!;
			if (frame.kind !== 'python') {
				lines.push(`  ${frame.funcname}`);
				continue;
			}

			const opcode = frame.opcode >= 0 ? `  opcode=${opcodeName(frame.opcode)}` : '';
			lines.push(`  File "${frame.filename}", line ${frame.line}, in ${frame.funcname}${opcode}`);
			const source = sources.line(frame.filename, frame.line);
			if (source) {
				lines.push(`    ${source}`);
			}
		}

		sections.push(lines.join('\n'));
	}

	return sections.join('\n\n') + '\n';
}
