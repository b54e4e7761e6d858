// scripts/slim-ink.mjs (npm's postinstall) ran: Ink imports throttle from its own es-toolkit
// module, not from the es-toolkit/compat barrel, whose 416 modules cost ~150 ms of CPU and
// ~10-16 MB of peak RSS at every start of the live view and the picker.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';

test('Ink imports es-toolkit\'s throttle on its own, not through the compat barrel', () => {
	const inkBuild = fs.readFileSync(fileURLToPath(new URL('ink.js', import.meta.resolve('ink'))), 'utf8');
	assert.ok(!inkBuild.includes('from \'es-toolkit/compat\';'), 'node_modules/ink/build/ink.js still imports the barrel: run npm install (postinstall: scripts/slim-ink.mjs)');
	assert.ok(inkBuild.includes('from \'es-toolkit/compat/throttle\';'), 'Ink no longer imports throttle as 6.8 did: check scripts/slim-ink.mjs against this Ink');
});
