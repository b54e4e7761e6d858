// --pstats -o FILE: a marshalled stats dict that pstats.Stats loads in every Python 3.11–3.15
// (Tachyon's own file only loads in 3.15), with the functions the target ran.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {after, describe, test} from 'node:test';
import {runCli, startPython, tempDir, testPythons} from './helpers.js';

const dir = tempDir('tachyon-top-pstats-');
after(() => {
	fs.rmSync(dir, {recursive: true, force: true});
});

const check = `
import pstats, sys
stats = pstats.Stats(sys.argv[1])
stats.sort_stats('tottime').print_stats(8)
for (file, line, name), (cc, nc, tt, ct, callers) in stats.stats.items():
    assert nc >= cc >= 0 and ct >= tt >= 0, (name, cc, nc, tt, ct)
    for caller, edge in callers.items():
        assert isinstance(edge, tuple) and len(edge) == 4, edge
rows = {name: cc for (file, line, name), (cc, nc, tt, ct, callers) in stats.stats.items()}
print("TOTAL", sum(rows.values()))
print("CRUNCH", sum(cc for (f, l, name), (cc, *_ ) in stats.stats.items() if name == "crunch"))
`;

describe('pstats file', () => {
	const pythons = testPythons();
	const oldest = pythons[0]!;
	const newest = pythons.at(-1)!;
	for (const target of [oldest, newest]) {
		test(`a capture of Python ${target.version} loads in pstats of ${[...new Set([oldest.version, newest.version])].join(' and ')}`, async () => {
			const running = await startPython(target, 'binary-workload.py');
			const file = path.join(dir, `capture-${target.version}.pstats`);
			try {
				const result = await runCli(['attach', '-d', '1.5', '--pstats', '-o', file, String(running.pid)]);
				assert.equal(result.code, 0, result.stderr);
				assert.equal(result.stdout, '', 'with -o nothing is printed');
			} finally {
				await running.stop();
			}

			for (const reader of new Set([oldest, newest])) {
				const output = execFileSync(reader.path, ['-c', check, file], {encoding: 'utf8', timeout: 30_000});
				assert.match(output, /binary-workload\.py:\d+\(crunch\)/, output);
				const total = Number(/TOTAL (\d+)/.exec(output)![1]);
				const crunch = Number(/CRUNCH (\d+)/.exec(output)![1]);
				assert.ok(total > 200, `${reader.version}: total ${total}`);
				assert.ok(crunch / total > 0.2, `${reader.version}: crunch ${crunch}/${total}`);
			}
		});
	}
});
