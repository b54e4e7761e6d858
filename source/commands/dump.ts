// dump: one look at every thread's stack, most recent call last, with source lines; with
// --subprocesses, of the target and each of its Python descendants in turn.
import {collectDump, loadDumpReaders, statusWords, type DumpData, type DumpOptions} from '../../live/dump.js';
import {UserError} from '../../common/errors.js';
import {pidLabel} from '../../common/pid-label.js';
import {descendants} from '../../sampler/proc.js';

/** The dump as text, most recent call last, as `tachyon-top dump` prints it. */
export function formatDump(data: DumpData): string {
	const sections: string[] = [`Stack dump for ${pidLabel(data.pid, data.nsPid)} (Python ${data.version}: ${data.command.join(' ')})`];
	if (data.threads.length === 0) {
		sections.push(`No Python stacks found for PID ${data.pid}`);
	}

	for (const thread of data.threads) {
		// "MainThread" already says "main thread".
		const words = statusWords(thread.status).filter(word => !(word === 'main thread' && thread.name === 'MainThread'));
		const lines = [`Thread ${thread.tid} (${[thread.name, ...words].filter(Boolean).join(', ')}; most recent call last):`];
		for (const frame of thread.frames) {
			if (frame.kind === 'native' && frame.filename !== '~') {
				// --native-stacks: a C/C++/Rust function and its file (an unnamed one's name says it).
				lines.push(frame.funcname.startsWith(`${frame.filename}+0x`) ? `  ${frame.funcname}` : `  ${frame.funcname} (${frame.filename})`);
				continue;
			}

			if (frame.kind !== 'python') {
				lines.push(frame.kind === 'task' ? `  <task> ${frame.funcname}` : `  ${frame.funcname}`);
				continue;
			}

			const opcode = frame.opcode === undefined ? '' : `  opcode=${frame.opcode}`;
			lines.push(`  File "${frame.filename}", line ${frame.line}, in ${frame.funcname}${opcode}`);
			if (frame.source) {
				lines.push(`    ${frame.source}`);
			}
		}

		sections.push(lines.join('\n'));
	}

	return sections.join('\n\n') + '\n';
}

export async function dumpText(options: DumpOptions, opcodeName?: (opcode: number) => string): Promise<string> {
	const data = collectDump(options, await loadDumpReaders(options), opcodeName);
	for (const note of data.notes ?? []) {
		process.stderr.write(`tachyon-top: ${note}\n`);
	}

	return formatDump(data);
}

/**
 * dump --subprocesses: the target (unless it is not Python: a shell, a launcher) and every
 * Python process below it, each dumped once, parents before children. A process that is not
 * Python, or ends while it is read, is left out; none at all is an error.
 */
export async function dumpTreeText(options: DumpOptions, opcodeName?: (opcode: number) => string): Promise<string> {
	const readers = await loadDumpReaders(options);
	const dumps: string[] = [];
	const seen = new Set<number>();
	let rootError: unknown;
	for (const pid of [options.pid, ...descendants(options.pid)]) {
		if (seen.has(pid)) {
			continue;
		}

		seen.add(pid);
		try {
			dumps.push(formatDump(collectDump({...options, pid}, readers, opcodeName)));
		} catch (error) {
			if (!(error instanceof UserError)) {
				throw error;
			}

			// The root's own error is the one to tell when nothing below it is Python either.
			rootError ??= pid === options.pid ? error : undefined;
		}
	}

	if (dumps.length === 0) {
		const why = rootError instanceof UserError ? rootError.message : `Process ${options.pid} is gone`;
		throw new UserError(`${why}, and no process below it is Python`);
	}

	return dumps.join('\n');
}
