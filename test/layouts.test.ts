// Layouts read from a real target's _Py_DebugOffsets (3.13+) are checked field by field on
// attach: a table with one offset out of its struct is refused with a line naming that field.
import assert from 'node:assert/strict';
import {after, describe, test} from 'node:test';
import {UserError} from '../common/errors.js';
import {debugTableSize, layoutFromDebugOffsets} from '../sampler/layouts.js';
import {RemoteMemory} from '../sampler/remote-memory.js';
import {openTarget} from '../sampler/target.js';
import {startPython, testPythons, type PythonProcess} from './helpers.js';

const withDebugOffsets = testPythons().filter(python => Number(python.version.split('.')[1]) >= 13);

for (const python of withDebugOffsets) {
	describe(`debug offsets of Python ${python.version}`, () => {
		let target: PythonProcess | undefined;
		after(async () => {
			await target?.stop();
		});

		test('a real table passes; one offset outside its struct is named in a one-line error', async () => {
			target = await startPython(python, 'sleep.py');
			const opened = openTarget(target.pid);
			const memory = new RemoteMemory(target.pid, 4096);
			const table = Buffer.from(memory.read(opened.runtimeAddress, debugTableSize(opened.version)));
			const layout = layoutFromDebugOffsets(table, opened.version);
			assert.deepEqual(layout, opened.layout);
			assert.ok(layout.tstate.nativeThreadId > 0 && layout.tstate.nativeThreadId < layout.tstate.size);

			// thread_state.native_thread_id sits at +200 (3.13), +224 (3.14), +248 (3.15) of the table.
			const position = {13: 200, 14: 224, 15: 248}[opened.version.minor]!;
			const corrupt = Buffer.from(table);
			corrupt.writeBigUInt64LE(BigInt(layout.tstate.size + 8), position);
			assert.throws(() => layoutFromDebugOffsets(corrupt, opened.version), (error: unknown) => {
				assert.ok(error instanceof UserError);
				assert.match(error.message, /^Python 3\.\d+\.\d+\S*'s debug offsets look corrupt: thread_state\.native_thread_id = \d+ is outside thread_state \(\d+ bytes\)$/);
				return true;
			});

			const badSize = Buffer.from(table);
			badSize.writeBigUInt64LE(0n, 24); // runtime_state.size
			assert.throws(() => layoutFromDebugOffsets(badSize, opened.version), /debug offsets look corrupt: runtime_state\.size = 0$/);
		});
	});
}
