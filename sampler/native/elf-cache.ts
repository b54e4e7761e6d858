// One ElfModule per distinct file for the life of the sampler: keyed by build id (the same
// library mapped by several targets, or by a process that is attached again), else by device
// and inode. A file is parsed and its debug file looked for once.
import fs from 'node:fs';
import {ElfImage} from './elf-image.js';
import {ElfModule} from './elf-module.js';

const byIdentity = new Map<string, ElfModule | null>();

/**
 * The module for the file the target maps at `mappedPath` (read through /proc/PID/root so a
 * container's files are found), or undefined if it is not a readable ELF file.
 */
export function elfModuleFor(pid: number, mappedPath: string): ElfModule | undefined {
	const root = `/proc/${pid}/root`;
	const file = fs.existsSync(root + mappedPath) ? root + mappedPath : mappedPath;
	let identity: string;
	try {
		const stat = fs.statSync(file);
		identity = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
	} catch {
		return undefined;
	}

	const known = byIdentity.get(identity);
	if (known !== undefined) {
		return known ?? undefined;
	}

	let data: Buffer;
	try {
		data = fs.readFileSync(file);
	} catch {
		byIdentity.set(identity, null);
		return undefined;
	}

	const image = ElfImage.parse(data);
	if (!image) {
		byIdentity.set(identity, null);
		return undefined;
	}

	// The same build at the same path (a library replaced by an identical copy, a file seen
	// again through another mount) is one module: its rows and names are kept.
	const buildKey = image.buildId === undefined ? undefined : `build-id:${image.buildId}:${mappedPath}`;
	const same = buildKey === undefined ? undefined : byIdentity.get(buildKey);
	const module = same ?? new ElfModule(mappedPath, image, {root});
	byIdentity.set(identity, module);
	if (buildKey !== undefined) {
		byIdentity.set(buildKey, module);
	}

	return module;
}
