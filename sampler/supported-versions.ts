// The range of CPython versions this build reads, apart from their layouts (layouts.ts, which
// loads every version's tables): --help and messages need only the range.
export const oldestSupported = {major: 3, minor: 8};
export const newestSupported = {major: 3, minor: 15};

/** "3.11–3.15": the range this build reads, for messages and --help. */
export function supportedVersions(): string {
	return `${oldestSupported.major}.${oldestSupported.minor}–${newestSupported.major}.${newestSupported.minor}`;
}
