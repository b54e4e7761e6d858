// The picker's process list: every Python process this user may read, from /proc, fast.
// A process is Python when it maps a file with `python` in its basename that holds a
// CPython runtime (`.PyRuntime` section or `_PyRuntime` symbol). Reading an ELF file is the
// slow part, so results are cached by the file's path and inode: a machine with a thousand
// Python processes running the same interpreter reads it once.
import fs from 'node:fs';
import path from 'node:path';
import {versionFromHex} from './layouts.js';
import {readMappedElf, type MappedFile} from './mapped-file.js';
import {isLibpython, mayHoldRuntime, runtimeSymbols, versionFromFileName} from './runtime-file.js';
import {versionFromMemory} from './version-text.js';
import {bootTimeSeconds, clockTicks, readCmdline, readComm, readMapsText, readStat, readStatusField} from './proc.js';
import {terminalText} from '../common/terminal-text.js';

export type ProcessEntry = {
	readonly pid: number;
	readonly user: string;
	/** "3.15.2" (3.8–3.10: from the version text in memory), or "3.9" / "3.x" when only the file name tells. */
	readonly version: string;
	/** Share of one core since the previous listing; 0 on the first. */
	readonly cpuPercent: number;
	readonly rssBytes: number;
	readonly uptimeS: number;
	readonly command: string;
	/** Set when the process looks like Python but cannot be read: shown dimmed with this reason. */
	readonly unreadable?: string;
};

type RuntimeFile = {readonly version: string} | undefined;

export type ProcessListerOptions = {
	/** Where /proc is (tests and the bench point this at a fake tree). */
	readonly procRoot?: string;
	/** Leave this process out (tachyon-top itself). */
	readonly selfPid?: number;
};

/** Lists Python processes; keep one lister and call list() every second so CPU % can be computed. */
export class ProcessLister {
	private readonly procRoot: string;
	private readonly selfPid: number;
	private readonly runtimeFiles = new Map<string, RuntimeFile>();
	private readonly users = new Map<number, string>();
	private previousCpu = new Map<number, {ticks: number; at: number}>();
	private bootTime: number | undefined;

	constructor(options: ProcessListerOptions = {}) {
		this.procRoot = options.procRoot ?? '/proc';
		this.selfPid = options.selfPid ?? process.pid;
	}

	list(): ProcessEntry[] {
		const now = Date.now();
		const cpu = new Map<number, {ticks: number; at: number}>();
		const entries: ProcessEntry[] = [];
		let names: string[];
		try {
			names = fs.readdirSync(this.procRoot);
		} catch {
			return [];
		}

		for (const name of names) {
			const code = name.codePointAt(0)!;
			if (code < 48 || code > 57) {
				continue; // Not a pid directory.
			}

			const pid = Number(name);
			if (pid === this.selfPid) {
				continue;
			}

			const entry = this.entry(pid, now, cpu);
			if (entry) {
				entries.push(entry);
			}
		}

		this.previousCpu = cpu;
		return entries.sort((a, b) => Number(a.unreadable !== undefined) - Number(b.unreadable !== undefined) || b.cpuPercent - a.cpuPercent || a.pid - b.pid);
	}

	private entry(pid: number, now: number, cpu: Map<number, {ticks: number; at: number}>): ProcessEntry | undefined {
		const root = this.procRoot;
		let version: string | undefined;
		let unreadable: string | undefined;
		try {
			version = this.pythonVersion(pid, readMapsText(pid, root));
			if (version === undefined) {
				return undefined;
			}
		} catch (error) {
			const code = (error as NodeJS.ErrnoException).code;
			if (code !== 'EACCES' && code !== 'EPERM') {
				return undefined; // Gone since readdir, or a kernel thread.
			}

			// We may not read it; offer it dimmed only if it looks like Python by name.
			if (!/python/i.test(readComm(pid, pid, root))) {
				return undefined;
			}

			unreadable = 'no permission to read its memory';
			version = '?';
		}

		const stat = readStat(pid, undefined, root);
		if (!stat) {
			return undefined;
		}

		const ticks = stat.utimeTicks + stat.stimeTicks;
		cpu.set(pid, {ticks, at: now});
		const before = this.previousCpu.get(pid);
		const cpuPercent = before && now > before.at ? (((ticks - before.ticks) / clockTicks) / ((now - before.at) / 1000)) * 100 : 0;
		// The interpreter by its name only: its path is long and the PYTHON column has the version.
		// Any user's process is listed, and its command line is whatever it set: shown terminal-safe
		// (an argv holding ESC sequences must not retitle the window of whoever opens the picker).
		const [program = '', ...args] = readCmdline(pid, root).filter(Boolean);
		const command = terminalText(program ? [path.basename(program), ...args].join(' ') : `[${readComm(pid, pid, root) || '?'}]`);
		return {
			pid,
			user: this.userOf(pid),
			version,
			cpuPercent: Math.max(0, cpuPercent),
			rssBytes: stat.rssPages * 4096,
			uptimeS: Math.max(0, (now / 1000) - (this.boot() + (stat.startTicks / clockTicks))),
			command,
			...(unreadable ? {unreadable} : {}),
		};
	}

	/** The version of the CPython runtime mapped by this process, or undefined if none is. */
	private pythonVersion(pid: number, maps: string): string | undefined {
		// Only lines naming a python file matter: find them by substring, not by parsing every line.
		let found: string | undefined;
		for (let at = maps.indexOf('python'); at >= 0; at = maps.indexOf('python', at + 6)) {
			const lineStart = maps.lastIndexOf('\n', at) + 1;
			let lineEnd = maps.indexOf('\n', at);
			if (lineEnd < 0) {
				lineEnd = maps.length;
			}

			const line = maps.slice(lineStart, lineEnd);
			at = lineEnd;
			// 55d0c0a00000-55d0c0a2a000 r--p 00000000 fe:01 1234   /usr/bin/python3.11
			const fields = /^([\da-f]+)-([\da-f]+) \S+ ([\da-f]+) \S+ (\d+)\s+(\/.*)$/.exec(line);
			if (!fields) {
				continue;
			}

			const file = fields[5]!.replace(/ \(deleted\)$/, '');
			if (!mayHoldRuntime(file)) {
				continue;
			}

			const mapping = {path: file, deleted: file !== fields[5], start: BigInt(`0x${fields[1]!}`), end: BigInt(`0x${fields[2]!}`)};
			const runtime = this.runtimeFile(pid, mapping, fields[4]!, BigInt(`0x${fields[3]!}`) === 0n);
			if (runtime) {
				found = runtime.version;
				if (isLibpython(file)) {
					break;
				}
			}
		}

		return found;
	}

	/** `loadBase`: the mapping is the file's first (offset 0), so its start is the file's load base. */
	private runtimeFile(pid: number, mapping: MappedFile, inode: string, loadBase: boolean): RuntimeFile {
		const file = mapping.path;
		// A deleted file's inode may be reused by a new one at the same path: keep them apart.
		const key = `${file}\0${inode}\0${mapping.deleted}`;
		if (this.runtimeFiles.has(key)) {
			return this.runtimeFiles.get(key);
		}

		const elf = readMappedElf(pid, mapping, this.procRoot);
		let runtime: RuntimeFile;
		const symbols = elf ? runtimeSymbols(elf) : undefined;
		if (symbols) {
			// 3.8–3.10 say it only in memory: read once per file (every process mapping it runs the same version).
			const bss = symbols.bss && elf && loadBase ? {address: Number(symbols.bss.addr + mapping.start - elf.loadVaddr), size: Number(symbols.bss.size)} : undefined;
			const version = symbols.versionWord === undefined ? versionFromMemory(pid, bss) : versionFromHex(symbols.versionWord);
			const named = versionFromFileName(file);
			runtime = {version: version ? `${version.major}.${version.minor}.${version.micro}` : (named ? `${named.major}.${named.minor}` : '3.x')};
		}

		this.runtimeFiles.set(key, runtime);
		return runtime;
	}

	private userOf(pid: number): string {
		// Uid: real, effective, saved, file system; the real one owns the process.
		const uid = Number(/^\d+/.exec(readStatusField(pid, 'Uid', this.procRoot) ?? '')?.[0] ?? -1);
		if (this.users.size === 0) {
			for (const line of (readText('/etc/passwd') ?? '').split('\n')) {
				const [name, , id] = line.split(':');
				if (name && id !== undefined) {
					this.users.set(Number(id), name);
				}
			}
		}

		return this.users.get(uid) ?? (uid >= 0 ? String(uid) : '?');
	}

	private boot(): number {
		// A fake tree without a stat file (tests) has the machine's boot time.
		this.bootTime ??= bootTimeSeconds(this.procRoot) || bootTimeSeconds();

		return this.bootTime;
	}
}

function readText(file: string, encoding: BufferEncoding = 'latin1'): string | undefined {
	try {
		return fs.readFileSync(file, encoding);
	} catch {
		return undefined;
	}
}
