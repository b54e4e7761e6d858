// Which ELF file is mapped where in the target: executable mappings from /proc/PID/maps, each
// with the bias that turns a runtime address into the file's own virtual address. Re-read when
// an address falls outside every known mapping (a library dlopen()ed since, e.g. by ctypes),
// at most every refreshMs. The vDSO has no file: its image is read out of the process.
import {readMaps, type Mapping} from '../proc.js';
import {RemoteMemory} from '../remote-memory.js';
import {elfModuleFor} from './elf-cache.js';
import {ElfImage} from './elf-image.js';
import {ElfModule} from './elf-module.js';

export type MappedModule = {
	readonly start: number;
	readonly end: number;
	/** Runtime address − bias = the file's virtual address. */
	readonly bias: number;
	readonly module: ElfModule;
};

const refreshMs = 50;
const pageSize = 4096;

export class AddressSpace {
	readonly pid: number;
	private mapped: MappedModule[] = [];
	/** Every mapping (sorted), for the bounds of thread stacks. */
	private all: Mapping[] = [];
	private lastRefresh = Number.NEGATIVE_INFINITY;
	private last: MappedModule | undefined;
	private vdso: ElfModule | undefined;
	/** Times the maps were read, for the bench and tests. */
	refreshes = 0;

	constructor(pid: number) {
		this.pid = pid;
		this.refresh();
	}

	/** Re-reads /proc/PID/maps now. */
	refresh(): void {
		this.lastRefresh = performance.now();
		this.refreshes++;
		let maps: Mapping[];
		try {
			maps = readMaps(this.pid);
		} catch {
			return; // Gone: the sampler notices through its reads.
		}

		this.all = maps;
		const mapped: MappedModule[] = [];
		for (const mapping of maps) {
			if (!mapping.perms.includes('x')) {
				continue;
			}

			const start = Number(mapping.start);
			const end = Number(mapping.end);
			if (mapping.path === '[vdso]') {
				const module = this.vdsoModule(start, end);
				if (module) {
					mapped.push({start, end, bias: start - module.image.loadBase, module});
				}

				continue;
			}

			if (!mapping.path.startsWith('/')) {
				continue; // Anonymous executable memory (JIT code): no file to read.
			}

			const module = elfModuleFor(this.pid, mapping.path);
			const bias = module ? biasOf(module.image, mapping) : undefined;
			if (module && bias !== undefined) {
				mapped.push({start, end, bias, module});
			}
		}

		this.mapped = mapped.sort((a, b) => a.start - b.start);
		this.last = undefined;
	}

	private vdsoModule(start: number, end: number): ElfModule | undefined {
		if (this.vdso) {
			return this.vdso;
		}

		try {
			const image = ElfImage.parse(new RemoteMemory(this.pid, end - start).copy(start, end - start));
			this.vdso = image ? new ElfModule('[vdso]', image, {debugSearch: false}) : undefined;
		} catch {
			this.vdso = undefined;
		}

		return this.vdso;
	}

	/** The mapped module holding runtime address `address`; re-reads the maps (rate-limited) on a miss. */
	find(address: number): MappedModule | undefined {
		const last = this.last;
		if (last && address >= last.start && address < last.end) {
			return last;
		}

		let hit = this.search(address);
		if (!hit && performance.now() - this.lastRefresh > refreshMs) {
			this.refresh();
			hit = this.search(address);
		}

		if (hit) {
			this.last = hit;
		}

		return hit;
	}

	private search(address: number): MappedModule | undefined {
		const {mapped} = this;
		let low = 0;
		let high = mapped.length - 1;
		while (low <= high) {
			const middle = (low + high) >>> 1;
			const entry = mapped[middle]!;
			if (address < entry.start) {
				high = middle - 1;
			} else if (address >= entry.end) {
				low = middle + 1;
			} else {
				return entry;
			}
		}

		return undefined;
	}

	/** The [start, end) of the mapping holding `address` (a thread's stack), if any. */
	mappingOf(address: number): {start: number; end: number} | undefined {
		for (let pass = 0; pass < 2; pass++) {
			for (const mapping of this.all) {
				if (address >= Number(mapping.start) && address < Number(mapping.end)) {
					return {start: Number(mapping.start), end: Number(mapping.end)};
				}
			}

			if (pass === 0 && performance.now() - this.lastRefresh > refreshMs) {
				this.refresh();
			} else {
				break;
			}
		}

		return undefined;
	}

	/** The modules mapped now, for tests and diagnostics. */
	get modules(): readonly MappedModule[] {
		return this.mapped;
	}
}

/** The bias of a file mapping: the segment it maps tells which file address its start is. */
function biasOf(image: ElfImage, mapping: Mapping): number | undefined {
	const offset = Number(mapping.offset);
	for (const load of image.loads) {
		const pageOffset = load.offset - (load.offset % pageSize);
		if (offset >= pageOffset && offset < load.offset + Math.max(load.filesz, 1)) {
			const vaddrAtStart = load.vaddr - (load.offset - offset);
			return Number(mapping.start) - vaddrAtStart;
		}
	}

	return undefined;
}
