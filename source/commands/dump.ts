// dump: one look at every thread's stack, most recent call last, with source lines.
import {collectDump, statusWords, type DumpData, type DumpOptions} from '../../live/dump.js';

/** The dump as text, most recent call last, as `tachyon-top dump` prints it. */
export function formatDump(data: DumpData): string {
	const sections: string[] = [`Stack dump for PID ${data.pid} (Python ${data.version}: ${data.command.join(' ')})`];
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

export function dumpText(options: DumpOptions, opcodeName?: (opcode: number) => string): string {
	return formatDump(collectDump(options, opcodeName));
}
