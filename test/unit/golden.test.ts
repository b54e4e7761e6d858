// Every text exporter on the hand-built fixture profile, against golden files in test/golden/.
// A change in an output shows here as a diff; when it is intended, rewrite the goldens with
// UPDATE_GOLDEN=1 npm run test:unit and commit them with the change.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {gunzipSync} from 'node:zlib';
import {test} from 'node:test';
import {Profile as PprofProfile} from 'pprof-format';
import {exporters} from '../../exporters/index.js';
import {jsonlText} from '../../exporters/jsonl.js';
import {root} from '../helpers.js';
import {fixtureProfile} from './profile-fixture.js';

const goldenDir = path.join(root, 'test', 'golden');

function checkGolden(name: string, actual: string): void {
	const file = path.join(goldenDir, name);
	if (process.env['UPDATE_GOLDEN'] === '1' || !fs.existsSync(file)) {
		fs.mkdirSync(goldenDir, {recursive: true});
		fs.writeFileSync(file, actual);
		if (process.env['UPDATE_GOLDEN'] !== '1') {
			assert.fail(`${name} had no golden file; one was written from this run: check it and commit it`);
		}

		return;
	}

	assert.equal(actual, fs.readFileSync(file, 'utf8'), `${name} differs from its golden file (if intended: UPDATE_GOLDEN=1 npm run test:unit)`);
}

function textOf(id: keyof typeof exporters, options = {}): string {
	const result = exporters[id].export(fixtureProfile({timeline: exporters[id].needsTimeline}), options);
	assert.equal(result.kind, 'file');
	return typeof result.data === 'string' ? result.data : Buffer.from(result.data).toString('utf8');
}

/** A pprof file as readable text: sample types, then each sample's values, labels and stack (leaf first). */
function pprofText(data: Uint8Array): string {
	const profile = PprofProfile.decode(gunzipSync(data));
	const strings = profile.stringTable.strings;
	const functions = new Map(profile.function.map(fn => [Number(fn.id), fn]));
	const locations = new Map(profile.location.map(location => [Number(location.id), location]));
	const lines = [
		`sample types: ${profile.sampleType.map(type => `${strings[Number(type.type)]}/${strings[Number(type.unit)]}`).join(', ')}`,
		`period: ${String(profile.period)} ${strings[Number(profile.periodType?.type ?? 0)]}/${strings[Number(profile.periodType?.unit ?? 0)]}`,
		`duration: ${String(profile.durationNanos)} ns`,
	];
	for (const sample of profile.sample) {
		const labels = sample.label.map(label => `${strings[Number(label.key)]}=${label.str ? strings[Number(label.str)] : String(label.num)}`).join(' ');
		const frames = sample.locationId.map(id => {
			const line = locations.get(Number(id))!.line[0]!;
			const fn = functions.get(Number(line.functionId))!;
			return `${strings[Number(fn.name)]} ${strings[Number(fn.filename)]}:${String(line.line)}`;
		});
		lines.push(`${sample.value.map(String).join(' ')} [${labels}] ${frames.join(' <- ')}`);
	}

	return lines.join('\n') + '\n';
}

test('pstats table', () => {
	checkGolden('pstats.txt', textOf('pstats'));
});

test('pstats table in gil mode, sorted by name, limited to 3', () => {
	checkGolden('pstats-gil.txt', textOf('pstats', {mode: 'gil', sort: 'name', limit: 3}));
});

test('collapsed stacks', () => {
	checkGolden('collapsed.txt', textOf('collapsed'));
});

test('collapsed stacks in cpu mode', () => {
	checkGolden('collapsed-cpu.txt', textOf('collapsed', {mode: 'cpu'}));
});

test('jsonl (with a fixed run id)', () => {
	checkGolden('profile.jsonl', jsonlText(fixtureProfile(), {runId: 'golden'}));
});

test('gecko', () => {
	checkGolden('gecko.json', textOf('gecko'));
});

test('pprof, decoded', () => {
	const result = exporters.pprof.export(fixtureProfile(), {});
	assert.ok(result.kind === 'file' && result.data instanceof Uint8Array, 'one binary file');
	checkGolden('pprof.txt', pprofText(result.data));
});
