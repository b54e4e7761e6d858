// Which mapped files may hold CPython's runtime, and what a file's ELF says of it: the one
// rule the attach and the picker share, on hand-built ELF facts.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {ElfInfo} from '../../sampler/elf.js';
import {isLibpython, mayHoldRuntime, runtimeSymbols, versionFromFileName} from '../../sampler/runtime-file.js';

test('interpreters and libpython may hold the runtime; extension modules and other files do not', () => {
	for (const file of ['/usr/bin/python3.11', '/root/.pyenv/versions/3.9.18/bin/python3.9', '/usr/lib/x86_64-linux-gnu/libpython3.13.so.1.0', '/opt/venv/bin/Python']) {
		assert.ok(mayHoldRuntime(file), file);
	}

	for (const file of ['/usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so', '/usr/bin/node', 'python3.11', '[heap]']) {
		assert.ok(!mayHoldRuntime(file), file);
	}

	assert.ok(isLibpython('/usr/lib/libpython3.12.so.1.0'));
	assert.ok(!isLibpython('/usr/bin/python3.12'));
});

test('the version a file name tells', () => {
	assert.deepEqual(versionFromFileName('/usr/bin/python3.9'), {major: 3, minor: 9});
	assert.deepEqual(versionFromFileName('/usr/lib/libpython3.10.so.1.0'), {major: 3, minor: 10});
	assert.equal(versionFromFileName('/usr/bin/python3'), undefined);
});

function elf(sections: Record<string, bigint>, symbols: Record<string, bigint>, versionWord?: number): ElfInfo {
	return {
		loadVaddr: 0n,
		sections: new Map(Object.entries(sections).map(([name, addr]) => [name, {addr, offset: 0n, size: 0x100n}])),
		symbols: new Map(Object.entries(symbols)),
		readAt(vaddr, length) {
			if (versionWord === undefined || vaddr !== symbols['Py_Version']) {
				return undefined;
			}

			const bytes = Buffer.alloc(length);
			bytes.writeUInt32LE(versionWord, 0);
			return bytes;
		},
	};
}

test('the runtime from the .PyRuntime section first, else the _PyRuntime symbol; none without either', () => {
	const withSection = runtimeSymbols(elf({'.PyRuntime': 0x1000n, '.bss': 0x9000n}, {_PyRuntime: 0x2000n, Py_Version: 0x3000n, PyCode_Type: 0x4000n}, 0x030F_02F0));
	assert.equal(withSection?.runtime, 0x1000n);
	assert.equal(withSection?.versionWord, 0x030F_02F0);
	assert.equal(withSection?.codeType, 0x4000n);
	assert.deepEqual(withSection?.bss, {addr: 0x9000n, size: 0x100n});
	assert.equal(withSection?.debugBuild, false);
	// 3.8–3.10: a symbol, no Py_Version word; a debug build counts references.
	const old = runtimeSymbols(elf({}, {_PyRuntime: 0x2000n, _Py_RefTotal: 0x10n}));
	assert.equal(old?.runtime, 0x2000n);
	assert.equal(old?.versionWord, undefined);
	assert.equal(old?.debugBuild, true);
	assert.equal(runtimeSymbols(elf({'.text': 0x10n}, {main: 0x20n})), undefined);
});
