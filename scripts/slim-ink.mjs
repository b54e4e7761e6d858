// npm's postinstall: makes Ink import the one es-toolkit function it uses from that function's
// own module instead of the es-toolkit/compat barrel. Ink 6's build/ink.js imports `throttle`
// from 'es-toolkit/compat', whose index loads all 416 modules of the compat layer: ~180 ms of
// CPU and ~20 MB of peak RSS at every start of the live view and the picker, for one function
// (measured here: import of the barrel 180-190 ms CPU, VmHWM 42 -> 62 MB; of
// 'es-toolkit/compat/throttle' 4-5 ms, 42.7 MB). The function is the same one: that subpath's
// default export is the barrel's `throttle`.
//
// It changes that one import line and nothing else, checks that Ink still loads, and puts the
// file back if not. It never fails the install: an Ink whose line differs (already slimmed, or a
// version that imports otherwise) is left as it is, with one line saying so.
import fs from 'node:fs';
import {fileURLToPath} from 'node:url';

const barrelImport = "import { throttle } from 'es-toolkit/compat';";
const oneFunctionImport = "import throttle from 'es-toolkit/compat/throttle';";

function say(line) {
	console.log(`tachyon-top postinstall: ${line}`);
}

async function slim() {
	let file;
	try {
		file = fileURLToPath(new URL('ink.js', import.meta.resolve('ink')));
	} catch {
		say('Ink is not installed here; nothing to slim');
		return;
	}

	const text = fs.readFileSync(file, 'utf8');
	if (text.includes(oneFunctionImport)) {
		return; // Slimmed by an earlier install.
	}

	if (!text.includes(barrelImport)) {
		say(`${file} does not import es-toolkit/compat as Ink 6.8 does; left as it is`);
		return;
	}

	fs.writeFileSync(file, text.replace(barrelImport, oneFunctionImport));
	try {
		await import(import.meta.resolve('ink'));
	} catch (error) {
		fs.writeFileSync(file, text);
		say(`Ink did not load with throttle imported on its own (${error.message}); put back as it was`);
	}
}

try {
	await slim();
} catch (error) {
	say(`could not slim Ink's imports (${error.message}); it loads as it is`);
}
