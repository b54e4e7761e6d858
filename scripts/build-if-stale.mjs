// npm's prepare script (npm install, npm link, npx tachyon-top): compiles with tsc only when a
// source is newer than the last build. npx links this directory into its own cache and runs
// prepare there; an unconditional tsc made the first `npx tachyon-top` wait ~65 s in silence.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist', 'source', 'cli.js');
// Written after each build here: tsc builds incrementally and leaves unchanged outputs (cli.js
// among them) as they were, so their times do not say when the last build ran.
const stamp = path.join(root, 'dist', '.built');
const folders = ['common', 'sampler', 'exporters', 'live', 'components', 'source', 'test', 'bench'];

function newestSource() {
	let newest = Math.max(...['tsconfig.json', 'package.json'].map(file => fs.statSync(path.join(root, file)).mtimeMs));
	for (const folder of folders) {
		const directory = path.join(root, folder);
		if (!fs.existsSync(directory)) {
			continue;
		}

		for (const name of fs.readdirSync(directory, {recursive: true, encoding: 'utf8'})) {
			if (/\.(tsx?|json)$/.test(name)) {
				newest = Math.max(newest, fs.statSync(path.join(directory, name)).mtimeMs);
			}
		}
	}

	return newest;
}

const lastBuild = Math.max(...[built, stamp].map(file => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0)));
if (fs.existsSync(built) && lastBuild >= newestSource()) {
	process.exit(0);
}

process.stderr.write('tachyon-top: compiling (tsc, about 30 s on an idle machine; once after each change of the sources)\n');
// tsc says nothing until it is done, minutes on a busy machine: a line every 20 s shows it is alive.
const started = Date.now();
const seconds = () => Math.round((Date.now() - started) / 1000);
const heartbeat = setInterval(() => {
	process.stderr.write(`tachyon-top: still compiling (${seconds()} s)\n`);
}, 20_000);
const tsc = spawn(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')], {cwd: root, stdio: 'inherit'});
tsc.on('exit', code => {
	clearInterval(heartbeat);
	if (code === 0) {
		fs.writeFileSync(stamp, '');
		process.stderr.write(`tachyon-top: compiled in ${seconds()} s\n`);
	}

	process.exit(code ?? 1);
});
