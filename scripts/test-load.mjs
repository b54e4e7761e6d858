#!/usr/bin/env node
// npm run test:load: the whole suite (npm test) while another process keeps every core busy,
// to show the tests hold on a loaded machine (issue 10): they wait for conditions, never for
// fixed times. The load generator spins one thread per core at normal priority; it is
// started before the suite and killed after it, on every way out, even a Ctrl-C.
import {spawn} from 'node:child_process';
import os from 'node:os';

const cores = os.availableParallelism();
// One process, a busy worker thread per core (the main thread spins too).
const spin = `const {Worker} = require('node:worker_threads');
for (let i = 1; i < ${cores}; i++) new Worker('for (;;) {}', {eval: true});
for (;;) {}`;
const load = spawn(process.execPath, ['-e', spin], {stdio: 'ignore'});
const stopLoad = () => {
	if (load.exitCode === null && load.signalCode === null) {
		load.kill('SIGKILL');
	}
};

process.on('exit', stopLoad);
process.stderr.write(`[test:load] ${cores} cores kept busy by process ${load.pid} while the suite runs\n`);
// npm test itself (its build and setup steps included), through the npm that runs this script.
const npm = process.env['npm_execpath'];
const suite = npm ? spawn(process.execPath, [npm, 'test'], {stdio: 'inherit'}) : spawn('npm', ['test'], {stdio: 'inherit'});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
	process.on(signal, () => {
		suite.kill(signal);
	});
}

suite.on('exit', (code, signal) => {
	stopLoad();
	process.exitCode = code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1);
});
