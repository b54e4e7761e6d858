// What a version cannot give of what was asked for, one clear line each, naming the versions
// that can: said once when sampling starts, so a thinner profile is never a silent surprise.
import type {PythonVersion, VersionTraits} from './layouts.js';

export function versionNotes(version: PythonVersion, traits: VersionTraits, options: {readonly native: boolean}): string[] {
	const notes: string[] = [];
	const minor = `${version.major}.${version.minor}`;
	if (options.native && !traits.markedEntryFrames) {
		notes.push(`Python ${minor} does not mark frames entered from C: --native shows <native> at the root and the leaf of each stack, and between Python frames only on 3.11+`);
	}

	return notes;
}
