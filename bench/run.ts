// `npm run bench [-- --short] [--only NAME,...] [--json PATH]`: runs every section in
// dist/bench/sections/, prints one table per section, and writes all rows to out/bench.json.
// It never fails on speed: a missed target is a row with met=false, not an exit code. It exits
// non-zero only when a section itself breaks, which is what CI's short run is there to catch.
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import type {BenchRow, BenchSection} from './section.js';
import {formatTable} from './table.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

type Arguments = {short: boolean; only?: Set<string>; json: string};

function parseArguments(argv: string[]): Arguments {
	const parsed: Arguments = {short: false, json: path.join(root, 'out', 'bench.json')};
	for (let index = 0; index < argv.length; index++) {
		const argument = argv[index]!;
		if (argument === '--short') {
			parsed.short = true;
		} else if (argument === '--only') {
			parsed.only = new Set((argv[++index] ?? '').split(',').filter(Boolean));
		} else if (argument === '--json') {
			parsed.json = path.resolve(argv[++index] ?? parsed.json);
		} else {
			throw new Error(`unknown argument \`${argument}\` (expected --short, --only NAME[,NAME], --json PATH)`);
		}
	}

	return parsed;
}

async function loadSections(): Promise<BenchSection[]> {
	const directory = path.join(here, 'sections');
	const files = fs.existsSync(directory) ? fs.readdirSync(directory).filter(name => name.endsWith('.js')).sort() : [];
	const sections: BenchSection[] = [];
	for (const file of files) {
		const module = await import(pathToFileURL(path.join(directory, file)).href) as {default?: BenchSection};
		if (module.default && typeof module.default.run === 'function') {
			sections.push(module.default);
		}
	}

	return sections.sort((a, b) => (a.order ?? 1000) - (b.order ?? 1000) || a.name.localeCompare(b.name));
}

type SectionResult = {name: string; rows: BenchRow[]; seconds: number; error?: string};

async function main(): Promise<number> {
	const options = parseArguments(process.argv.slice(2));
	const sections = (await loadSections()).filter(section => !options.only || options.only.has(section.name));
	const log = (line: string) => {
		process.stderr.write(`  ${line}\n`);
	};

	const results: SectionResult[] = [];
	for (const section of sections) {
		process.stderr.write(`bench: ${section.name}${options.short ? ' (short)' : ''}\n`);
		const started = performance.now();
		try {
			const rows = await section.run({short: options.short, log});
			results.push({name: section.name, rows, seconds: (performance.now() - started) / 1000});
		} catch (error) {
			const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
			process.stderr.write(`bench: section ${section.name} failed: ${message}\n`);
			results.push({name: section.name, rows: [], seconds: (performance.now() - started) / 1000, error: message});
		}
	}

	for (const result of results) {
		process.stdout.write(`\n## ${result.name}  (${result.seconds.toFixed(0)} s)\n`);
		process.stdout.write(result.error ? `failed: ${result.error.split('\n')[0]}\n` : formatTable(result.rows));
	}

	fs.mkdirSync(path.dirname(options.json), {recursive: true});
	fs.writeFileSync(options.json, JSON.stringify({
		date: new Date().toISOString(),
		short: options.short,
		node: process.version,
		cpus: (await import('node:os')).cpus().length,
		sections: results,
	}, undefined, '\t') + '\n');
	process.stdout.write(`\nresults: ${path.relative(process.cwd(), options.json)}\n`);
	return results.some(result => result.error) ? 1 : 0;
}

try {
	process.exitCode = await main();
} catch (error) {
	process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
	process.exitCode = 2;
}
