// --opcodes: the instruction at each frame, named from the target version's own table.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {after, describe, test} from 'node:test';
import {formatOpcode, opcodeBase, opcodeName} from '../sampler/opcodes.js';
import {minorOf, runCli, startPython, testPythons, type PythonProcess} from './helpers.js';

const running: PythonProcess[] = [];
after(async () => {
	await Promise.all(running.map(async target => target.stop()));
});

/** Asks the interpreter itself for numbers, to check the shipped table against it. */
function interpreterNumbers(py: string, names: string[]): number[] {
	const script = `import opcode, dis\nm = {**opcode.opmap, **getattr(opcode, "_specialized_opmap", {}), **getattr(dis, "_all_opmap", {})}\nprint(" ".join(str(m[n]) for n in ${JSON.stringify(names)}))`;
	return execFileSync(py, ['-c', script], {encoding: 'utf8'}).trim().split(' ').map(Number);
}

for (const py of testPythons()) {
	describe(`opcodes on Python ${py.version}`, () => {
		// 3.8–3.10 do not specialise: their integer addition is BINARY_ADD, and it stays so.
		const specialising = minorOf(py) >= 11;
		const addition = specialising ? 'BINARY_OP_ADD_INT (BINARY_OP)' : 'BINARY_ADD';
		test('the shipped table matches the interpreter', () => {
			if (!specialising) {
				const names = ['BINARY_ADD', 'CALL_FUNCTION', 'CALL_METHOD', 'STORE_FAST', 'RETURN_VALUE'];
				const numbers = interpreterNumbers(py.path, names);
				for (const [index, name] of names.entries()) {
					assert.equal(opcodeName(py.version, numbers[index]!), name);
					assert.equal(formatOpcode(py.version, numbers[index]!), name, 'no specialised forms');
				}

				return;
			}

			const names = ['BINARY_OP', 'BINARY_OP_ADD_INT', 'LOAD_ATTR_INSTANCE_VALUE', 'STORE_FAST', 'RETURN_VALUE'];
			const numbers = interpreterNumbers(py.path, names);
			for (const [index, name] of names.entries()) {
				assert.equal(opcodeName(py.version, numbers[index]!), name);
			}

			assert.equal(opcodeBase(py.version, numbers[1]!), numbers[0], 'BINARY_OP_ADD_INT deopts to BINARY_OP');
			assert.equal(formatOpcode(py.version, numbers[1]!), 'BINARY_OP_ADD_INT (BINARY_OP)');
			assert.equal(formatOpcode(py.version, numbers[0]!), 'BINARY_OP');
		});

		test(`${addition} dominates an integer loop: pstats rows and dump`, async () => {
			const target = await startPython(py, 'arith.py');
			running.push(target);
			const {code, stdout, stderr} = await runCli(['attach', '--opcodes', '-d', '1.5', String(target.pid)]);
			assert.equal(code, 0, stderr);
			const rows = /^Opcodes.*\n.*\n((?: {2}\S.*\n)+)/m.exec(stdout);
			assert.ok(rows, stdout);
			const top = /^ {2}(.+?)\s+([\d.]+)%\s+(\d+)$/.exec(rows[1]!.split('\n')[0]!);
			assert.equal(top?.[1], addition, stdout);
			assert.ok(Number(top[2]) > 40, stdout);
			const dump = await runCli(['dump', '--opcodes', String(target.pid)]);
			assert.equal(dump.code, 0, dump.stderr);
			assert.match(dump.stdout, /File ".*arith\.py", line \d+, in add_loop {2}opcode=[A-Z_]+/);
			// (3.11/3.12 keep a caller's prev_instr on its call's last inline-cache word: decoded back to the CALL.)
			assert.match(dump.stdout, /in <module> {2}opcode=CALL/, 'callers stand on their call');
			await target.stop();
		});
	});
}
