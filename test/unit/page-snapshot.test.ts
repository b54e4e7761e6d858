// The page snapshot --async-aware reads through, and the address table beside it, tested on
// this process's own memory (process_vm_readv of our own pid needs no permission).
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {AddressMap} from '../../sampler/address-map.js';
import {libc} from '../../sampler/libc.js';
import {PageSnapshot} from '../../sampler/page-snapshot.js';
import {RemoteMemory, TornReadError} from '../../sampler/remote-memory.js';

/** What --async-aware's repeat asks (asyncio.ts rewrite): no word read last pass changed, so this pass keeps them all. */
function unchanged(snapshot: PageSnapshot): boolean {
	if (snapshot.changedPages()?.length !== 0) {
		return false;
	}

	snapshot.keepLastReads();
	return true;
}

test('AddressMap keeps every address apart, through growth and clear', () => {
	const map = new AddressMap();
	const base = 0x7f_12_34_56_00_00;
	for (let index = 0; index < 50_000; index++) {
		map.set(base + (index * 8), index);
	}

	// Addresses that differ only in their high word, and page numbers (no alignment).
	map.set(base + (2 ** 40), 7);
	assert.equal(map.size, 50_001);
	for (let index = 0; index < 50_000; index += 997) {
		assert.equal(map.get(base + (index * 8)), index);
	}

	assert.equal(map.get(base + (2 ** 40)), 7);
	assert.equal(map.get(base + 4), -1);
	map.set(base, 99);
	assert.equal(map.get(base), 99);
	assert.equal(map.size, 50_001);
	map.clear();
	assert.equal(map.get(base + 8), -1);
	const pages = new AddressMap(0);
	for (let page = 0; page < 5000; page++) {
		pages.set(0x7f_00_00_00 + page, page);
	}

	assert.equal(pages.get(0x7f_00_00_00 + 4321), 4321);
});

test('reads through the snapshot match memory, across pages, and a new pass sees changes', () => {
	const bytes = new Uint8Array(5 * 4096);
	for (let index = 0; index < bytes.length; index++) {
		bytes[index] = (index * 7) & 0xff;
	}

	const address = Number(libc().address(bytes));
	const memory = new RemoteMemory(process.pid, 1 << 16);
	// A pointer-sized word inside the first whole page, and a range across two page boundaries.
	const pointerAt = (at: number) => view.getBigUint64(at, true);
	const firstPage = (Math.floor(address / 4096) + 1) * 4096;
	const word = firstPage - address + 64;
	const view = new DataView(bytes.buffer);
	view.setBigUint64(word, 0x7f_12_34_56_78_90n, true);
	const snapshot = new PageSnapshot(process.pid);
	let done = memory.snapshotReads(snapshot);
	assert.equal(BigInt(memory.pointer(address + word)), pointerAt(word));
	assert.deepEqual([...memory.read(address + 100, 9000, 0)], [...bytes.subarray(100, 9100)]);
	assert.equal(memory.int8(address + 5), new Int8Array(bytes.buffer)[5]!);
	// Within one pass the snapshot holds what it read first.
	bytes[word] = bytes[word]! + 8;
	assert.notEqual(BigInt(memory.pointer(address + word)), pointerAt(word));
	done();
	// The next pass reads the pages again (all in the replay, none on demand).
	done = memory.snapshotReads(snapshot);
	const calls = snapshot.calls;
	assert.equal(BigInt(memory.pointer(address + word)), pointerAt(word));
	assert.equal(snapshot.calls, calls);
	assert.throws(() => memory.pointer(4096), TornReadError);
	done();
	// Outside a pass, reads are direct again.
	bytes[word] = bytes[word] + 8;
	assert.equal(BigInt(memory.pointer(address + word)), pointerAt(word));
});

test('comparing passes: unchanged while every word read last holds the same bytes, not after one byte of one changes', () => {
	const bytes = new Uint8Array(12 * 4096);
	bytes.fill(3);
	const address = Number(libc().address(bytes));
	const firstPage = (Math.floor(address / 4096) + 1) * 4096;
	const memory = new RemoteMemory(process.pid, 1 << 16);
	const snapshot = new PageSnapshot(process.pid, true);
	// A pass reads two words ten pages apart, and a range across a page boundary.
	const pass = (): boolean => {
		const done = memory.snapshotReads(snapshot);
		const same = unchanged(snapshot);
		if (!same) {
			memory.pointer(firstPage + 8);
			memory.pointer(firstPage + (10 * 4096) + 16);
			memory.read(firstPage + (4 * 4096) - 100, 200, 0);
		}

		done();
		return same;
	};

	assert.equal(pass(), false, 'the first pass has nothing to compare with');
	assert.equal(pass(), true);
	// A pass that compared equal read no page itself: its pages are still compared next time.
	assert.equal(pass(), true);
	// A word beside those read, in a page read (as a reference count beside a task's fields).
	bytes[firstPage - address + (10 * 4096) + 24] = 9;
	assert.equal(pass(), true);
	assert.equal(pass(), true);
	bytes[firstPage - address + (10 * 4096) + 23] = 9; // The last byte of a word read.
	assert.equal(pass(), false);
	assert.equal(pass(), true);
	bytes[firstPage - address + 12] = 9; // The high half of the first word read.
	assert.equal(pass(), false);
	bytes[firstPage - address + (4 * 4096) + 50] = 9; // The second page of the range.
	assert.equal(pass(), false);
	bytes[firstPage - address + (6 * 4096)] = 9; // A page no pass read.
	assert.equal(pass(), true);
	// Without comparePasses nothing is ever unchanged.
	const plain = new PageSnapshot(process.pid);
	const done = memory.snapshotReads(plain);
	memory.pointer(firstPage + 8);
	done();
	memory.snapshotReads(plain)();
	const again = memory.snapshotReads(plain);
	assert.equal(unchanged(plain), false);
	again();
});
