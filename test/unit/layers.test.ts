// The folders are one-way layers: a folder may import only from itself and the folders below it
// (type-only imports included), so data flows sampler → model → exporters → live state → UI → CLI.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {root} from '../helpers.js';

/** Bottom to top. */
const layers = ['common', 'sampler', 'exporters', 'live', 'components', 'source'] as const;

function sourceFiles(folder: string): string[] {
	return fs.readdirSync(path.join(root, folder), {recursive: true, encoding: 'utf8'})
		.filter(name => /\.tsx?$/.test(name))
		.map(name => path.join(folder, name));
}

/** Every module a file names in an import, export-from or dynamic import, relative ones resolved to repository paths. */
function importedFolders(file: string): string[] {
	const text = fs.readFileSync(path.join(root, file), 'utf8');
	const specifiers = [...text.matchAll(/(?:^|\s)(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)]
		.map(match => match[1] ?? match[2] ?? match[3] ?? '');
	return specifiers.filter(specifier => specifier.startsWith('.'))
		.map(specifier => path.relative(root, path.resolve(path.dirname(path.join(root, file)), specifier)).split(path.sep)[0]!);
}

test('no folder imports a folder above it', () => {
	const violations: string[] = [];
	for (const [level, folder] of layers.entries()) {
		for (const file of sourceFiles(folder)) {
			for (const imported of importedFolders(file)) {
				const importedLevel = layers.indexOf(imported as typeof layers[number]);
				if (importedLevel > level || (importedLevel < 0 && imported !== folder)) {
					violations.push(`${file} imports ${imported}/`);
				}
			}
		}
	}

	assert.deepEqual(violations, []);
});

test('the layer check sees imports (it would catch a violation)', () => {
	// The check reads every import form the code uses; a file known to import the sampler must show it.
	assert.ok(importedFolders('exporters/model.ts').includes('sampler'));
	assert.ok(importedFolders('source/main.ts').includes('live'));
});
