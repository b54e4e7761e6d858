// The line-table decoders against CPython's own answers, on every installed version: for
// every instruction of a few thousand real code objects, the line co_positions() gives (3.11+),
// co_lines() (3.10's co_linetable) or dis.findlinestarts() (3.8/3.9's co_lnotab); and for a
// frame that has not started (3.11/3.12 leave prev_instr one unit before the first
// instruction, 3.8–3.10 have f_lasti -1), the line PyCode_Addr2Line gives, the def line (it
// used to come out as no line: `io_wait workload.py:0` rows on 3.11).
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {describe, test} from 'node:test';
import {lineFrom310Table, lineFromLnotab, locationOf, type Location} from '../sampler/linetable.js';
import {minorOf, missingVersions, testPythons, type TestPython} from './helpers.js';

/** Code objects of some stdlib modules, nested ones too: table, first line, each unit's line, and CPython's line for addrq -1. */
const dumpScript = `
import ctypes, json, sys, base64, importlib
addr2line = ctypes.pythonapi.PyCode_Addr2Line
addr2line.argtypes = [ctypes.py_object, ctypes.c_int]
addr2line.restype = ctypes.c_int
out = []
def walk(code):
    out.append({
        "table": base64.b64encode(code.co_linetable).decode(),
        "first": code.co_firstlineno,
        "lines": [-1 if p[0] is None else p[0] for p in code.co_positions()],
        "cols": [-1 if p[2] is None else p[2] for p in code.co_positions()],
        "notStarted": addr2line(code, -2),
    })
    for const in code.co_consts:
        if hasattr(const, "co_linetable"):
            walk(const)
for name in ["json.decoder", "asyncio.base_events", "argparse", "textwrap", "dataclasses"]:
    module = importlib.import_module(name)
    walk(compile(open(module.__file__).read(), module.__file__, "exec"))
json.dump(out, sys.stdout)
`;

/**
 * 3.8–3.10: no co_positions, and the line table is co_lnotab (3.8/3.9) or 3.10's co_linetable;
 * each code unit's line from co_lines() (3.10) or dis.findlinestarts() (3.8/3.9), no columns.
 * A frame not started is at co_firstlineno (PyCode_Addr2Line for a negative offset).
 */
const oldDumpScript = `
import dis, json, sys, base64, importlib
out = []
def walk(code):
    units = len(code.co_code) // 2
    lines = [-1] * units
    if sys.version_info >= (3, 10):
        for start, end, line in code.co_lines():
            for unit in range(start // 2, end // 2):
                lines[unit] = -1 if line is None else line
        table = code.co_linetable
    else:
        starts = list(dis.findlinestarts(code))
        line = code.co_firstlineno
        for unit in range(units):
            for offset, start_line in starts:
                if offset <= unit * 2:
                    line = start_line
            lines[unit] = line
        table = code.co_lnotab
    out.append({"table": base64.b64encode(table).decode(), "first": code.co_firstlineno, "lines": lines, "cols": [-1] * units, "notStarted": code.co_firstlineno})
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            walk(const)
for name in ["json.decoder", "asyncio.base_events", "argparse", "textwrap", "dataclasses"]:
    module = importlib.import_module(name)
    walk(compile(open(module.__file__).read(), module.__file__, "exec"))
json.dump(out, sys.stdout)
`;

type Dumped = {table: string; first: number; lines: number[]; cols: number[]; notStarted: number};

/** The version's decoder, by code unit. */
function decoderOf(py: TestPython): (table: Uint8Array, first: number, addrq: number) => Location {
	const minor = minorOf(py);
	if (minor <= 9) {
		return (table, first, addrq) => lineFromLnotab(table, first, addrq * 2);
	}

	return minor === 10 ? (table, first, addrq) => lineFrom310Table(table, first, addrq * 2) : locationOf;
}

for (const version of missingVersions(['3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14', '3.15'])) {
	test(`location table on Python ${version}`, {skip: `Python ${version} is not installed on this machine`}, () => {});
}

describe('location table', () => {
	for (const py of testPythons()) {
		test(`Python ${py.version}: every instruction's line and column as CPython decodes them; a frame not started is at its def line`, () => {
			const script = minorOf(py) >= 11 ? dumpScript : oldDumpScript;
			const decode = decoderOf(py);
			const codes = JSON.parse(execFileSync(py.path, ['-c', script], {encoding: 'utf8', maxBuffer: 256 << 20, timeout: 60_000})) as Dumped[];
			assert.ok(codes.length > 300, `${codes.length} code objects`);
			let units = 0;
			for (const code of codes) {
				const table = Buffer.from(code.table, 'base64');
				for (const [addrq, line] of code.lines.entries()) {
					const location = decode(table, code.first, addrq);
					if (location.line !== line || location.col !== code.cols[addrq]) {
						assert.fail(`unit ${addrq} of a code object at line ${code.first}: ${location.line}:${location.col}, CPython says ${line}:${code.cols[addrq]!}`);
					}

					units++;
				}

				assert.equal(decode(table, code.first, -1).line, code.notStarted, `not started, code at line ${code.first}`);
				assert.equal(code.notStarted, code.first);
			}

			// 3.8–3.10 have no inline caches: the same modules are ~18,700 code units there, ~40,000 on 3.11+.
			assert.ok(units > (minorOf(py) >= 11 ? 20_000 : 10_000), `${units} instructions`);
		});
	}
});
