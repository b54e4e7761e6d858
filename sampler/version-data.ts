// The generated per-version tables (layouts/*.json, opcodes/*.json), read one file at a time
// when a version is first asked for: a target is one version, and importing all 21 files as
// JSON modules cost ~10 ms of CPU at every start-up (dump, and the sampler's worker), against
// ~3 ms for the one or two a target needs.
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);

/** The parsed JSON file at `file` (relative to sampler/), read once (require keeps it); the callers ask only for versions that have one. */
export function versionData(file: string): unknown {
	return require(`./${file}`);
}
