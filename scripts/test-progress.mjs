// A node:test reporter beside spec (npm test): a line on stderr as each test file's results
// come in (Node 20 reports a file's tests when its process ends), with how many files have
// run and the time so far, so a long run shows where it is.
import fs from 'node:fs';
import path from 'node:path';

function testFiles() {
	return ['dist/test/unit', 'dist/test'].reduce((count, directory) => count + (fs.existsSync(directory) ? fs.readdirSync(directory).filter(name => name.endsWith('.test.js')).length : 0), 0);
}

function clock(ms) {
	const seconds = Math.round(ms / 1000);
	return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

export default async function * progress(source) {
	const total = testFiles();
	const started = Date.now();
	const seen = new Set();
	let failed = 0;
	for await (const event of source) {
		if (event.type === 'test:start' && event.data.file && !seen.has(event.data.file)) {
			seen.add(event.data.file);
			yield `[tests: ${seen.size} of ${total} files run, ${clock(Date.now() - started)}${failed > 0 ? `, ${failed} failed so far` : ''}] ${path.relative(process.cwd(), event.data.file)}\n`;
		} else if (event.type === 'test:fail' && event.data.nesting === 0) {
			failed++;
		}
	}

	yield `[tests done in ${clock(Date.now() - started)}${failed > 0 ? `, ${failed} failed` : ''}]\n`;
}
