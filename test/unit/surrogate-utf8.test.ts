// surrogatePassUtf8 against what Python's str.encode('utf-8', 'surrogatepass') gives (the
// expected bytes below were produced by CPython): well-formed text as plain UTF-8, pairs as
// one 4-byte character, each lone surrogate as its own 3 bytes.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {surrogatePassUtf8} from '../../exporters/surrogate-utf8.js';

test('encodes like Python\'s surrogatepass', () => {
	const cases: Array<[string, string]> = [
		['abc', '616263'],
		['m\uDCFCd.py', '6dedb3bc642e7079'],
		['caf\uDCE9_\uDCFF/x', '636166edb3a95fedb3bf2f78'],
		['😀 ok \uD83D', 'f09f9880206f6b20eda0bd'],
		['\uDC80', 'edb280'],
		['é\uD800x😀', 'c3a9eda08078f09f9880'],
		['', ''],
	];
	for (const [text, hex] of cases) {
		assert.equal(surrogatePassUtf8(text).toString('hex'), hex, JSON.stringify(text));
	}
});

test('well-formed text is plain UTF-8', () => {
	const text = 'héllo_ünïcode 名前 😀;\n';
	assert.deepEqual(surrogatePassUtf8(text), Buffer.from(text, 'utf8'));
});
