// --opcodes on a heatmap file page: a line's instruction mix, as a <details> element (it opens
// without any script) whose summary names the busiest instruction and whose table lists every
// instruction seen on the line: name, base, specialised or not, samples and share.
import {thousands} from '../common/thousands.js';
import {isSpecialized, opcodeBase, opcodeName} from '../sampler/opcodes.js';
import {escapeHtml, percent} from './html.js';

/** The instruction mix of one line; '' when the line has no opcode data (no --opcodes). */
export function opcodeMix(version: string, opcodes: ReadonlyMap<number, number>): string {
	if (opcodes.size === 0) {
		return '';
	}

	const ranked = [...opcodes].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
	let total = 0;
	for (const [, samples] of ranked) {
		total += samples;
	}

	const rows = ranked.map(([opcode, samples]) => {
		const name = opcodeName(version, opcode);
		const base = opcodeName(version, opcodeBase(version, opcode));
		const specialized = isSpecialized(version, opcode);
		return `<tr class="opcode${specialized ? ' specialized' : ''}" data-opcode="${opcode}" data-samples="${samples}">`
			+ `<td class="opname">${escapeHtml(name)}</td>`
			+ `<td class="base">${specialized ? escapeHtml(base) : ''}</td>`
			+ `<td class="kind">${specialized ? 'specialised' : 'base'}</td>`
			+ `<td class="samples">${thousands(samples)}</td>`
			+ `<td class="share">${percent(samples, total)}</td></tr>`;
	});
	const [topOpcode, topSamples] = ranked[0]!;
	const more = ranked.length > 1 ? ` +${ranked.length - 1}` : '';
	const summary = `${opcodeName(version, topOpcode)} ${percent(topSamples, total)}${more}`;
	return `<details class="opcodes"><summary title="Instructions executed on this line">${escapeHtml(summary)}</summary>`
		+ '<table><thead><tr><th>Instruction</th><th>Base</th><th>Form</th><th>Samples</th><th>Share</th></tr></thead>'
		+ `<tbody>${rows.join('')}</tbody></table></details>`;
}
