// Which 3.8–3.12 debug builds are read with the release tables (their generated layouts came
// out the same: bullseye's 3.9d, bookworm's 3.11d) and the one line that refuses the others,
// which must name every version whose debug build is read.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {debugBuildRefusal, versionFromHex} from '../../sampler/layouts.js';

test('3.9 and 3.11 debug builds are read; 3.8, 3.10 and 3.12 are refused naming 3.9, 3.11 and 3.13+', () => {
	for (const hex of [0x030912f0, 0x030b02f0]) {
		assert.equal(debugBuildRefusal(versionFromHex(hex)), undefined, hex.toString(16));
	}

	for (const [hex, text] of [[0x030812f0, '3.8.18'], [0x030a0df0, '3.10.13'], [0x030c01f0, '3.12.1']] as const) {
		assert.equal(debugBuildRefusal(versionFromHex(hex))?.message, `Python ${text} is a debug build (Py_DEBUG), which tachyon-top reads on 3.9, 3.11 and 3.13+ only`);
	}
});
