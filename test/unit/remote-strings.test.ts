// The str decoder (sampler/remote-strings.ts), reading str objects laid out in this process's
// own memory with 3.12's offsets (process_vm_readv of our own pid needs no permission).
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {builtinLayout} from '../../sampler/layouts.js';
import {libc} from '../../sampler/libc.js';
import {RemoteMemory, TornReadError} from '../../sampler/remote-memory.js';
import {RemoteStrings} from '../../sampler/remote-strings.js';
import {SampleReads} from '../../sampler/sample-reads.js';

const layout = builtinLayout({major: 3, minor: 12, micro: 0, hex: 0x03_0c_00_f0, text: '3.12.0'});

/** A compact, non-ASCII UCS-4 str (state: kind 4, compact) holding `points`, as CPython lays one out. */
function ucs4String(points: number[]): Uint8Array {
	const {compactSize, length, state} = layout.unicode;
	const bytes = new Uint8Array(compactSize + ((points.length + 1) * 4));
	const view = new DataView(bytes.buffer);
	view.setBigUint64(length, BigInt(points.length), true);
	view.setUint32(state, (4 << 2) | (1 << 5), true);
	for (const [index, point] of points.entries()) {
		view.setUint32(compactSize + (index * 4), point, true);
	}

	return bytes;
}

function decode(bytes: Uint8Array): string {
	const strings = new RemoteStrings(new SampleReads(new RemoteMemory(process.pid, 1 << 16)), layout);
	return strings.readString(Number(libc().address(bytes)));
}

test('a UCS-4 str decodes to its characters', () => {
	assert.equal(decode(ucs4String([0x1_f4_0d, 0x61, 0x10_ff_ff])), '\u{1F40D}a\u{10FFFF}');
});

test('a UCS-4 str with a character past U+10FFFF is a torn read, not a RangeError that ends the capture', () => {
	// 1,827,866,096: the word a CI run read as a character from a worker of run --subprocesses.
	const torn = ucs4String([0x61, 1_827_866_096]);
	assert.throws(() => decode(torn), TornReadError);
});
