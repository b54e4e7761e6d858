// Every name and path in HTML outputs comes from the target or an archive: function, file and
// thread names, the command line and the source text. In every HTML format none of them may
// become markup or close a <script> element (the browser tests check the same for two formats
// in a real page; this one covers every format and every place a name goes, with no Python).
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {exporters} from '../../exporters/index.js';
import {Profile} from '../../exporters/model.js';
import {StoredSources} from '../../sampler/source-lines.js';

const hostile = [
	'</script><script>alert(1)</script>',
	'"><img src=x onerror=alert(2)>',
	'\'><svg onload=alert(3)>',
	'<!--<script>alert(4)',
	'<style>*{display:none}</style>',
	'<b>bold</b>',
];

/** Raw markup any of the names above would leave in a page if it went in unescaped. */
const markup = [/<script>alert/i, /<img src=x/i, /<svg onload/i, /<style>\*/i, /<b>bold/i, /<!--<script/i];

function hostileProfile(): Profile {
	const profile = new Profile({
		pid: 4242, pythonVersion: '3.15.2', command: ['python3', ...hostile], mode: 'wall', intervalUs: 1000, startedAt: 0,
		allThreads: true, gc: true, native: false, opcodes: false, asyncAware: false,
	});
	const texts = new Map<string, string>();
	for (const [index, name] of hostile.entries()) {
		const filename = `/srv/${name}.py`;
		texts.set(filename, `x = "${name}"\n`.repeat(8));
		profile.frames.push({filename, funcname: `f${name}`, line: 2 + index, endLine: 2 + index, col: 0, endCol: 4, opcode: -1, kind: 'python'});
		const stack = profile.addStack(-1, index);
		profile.threads.set(100 + index, {tid: 100 + index, name: `thread ${name}`, index});
		profile.addSample(100 + index, 1, stack, 1000, index * 1000, 5);
	}

	profile.sources = new StoredSources(texts);
	profile.stats = {attempts: profile.samples, errors: 0, missed: 0, elapsedUs: profile.samples * 1000, reads: 0, bytesRead: 0, cpuUs: 0};
	return profile;
}

for (const format of Object.values(exporters).filter(candidate => candidate.html)) {
	test(`${format.id}: hostile names, paths, thread names, command and source stay text`, () => {
		const profile = hostileProfile();
		const result = format.export(profile, {toFile: true, ...(format.id === 'diff-flamegraph' ? {baseline: hostileProfile()} : {})});
		const pages = result.kind === 'file' ? new Map([['page', result.data]]) : result.files;
		let sawNames = false;
		for (const [name, data] of pages) {
			const html = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
			for (const pattern of markup) {
				assert.doesNotMatch(html, pattern, `${format.id} ${name}`);
			}

			// Each <script> element closes where the page's own code ends: no name closes one early.
			const opened = html.match(/<script\b/gi)?.length ?? 0;
			const closed = html.match(/<\/script>/gi)?.length ?? 0;
			assert.equal(opened, closed, `${format.id} ${name}: <script> elements`);
			sawNames ||= html.includes('alert(2)');
		}

		// The names are there, escaped (the test would pass on a page that left them out).
		assert.ok(sawNames, `${format.id} shows the names`);
	});
}
