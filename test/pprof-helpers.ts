// Reading --pprof files back, independently of the writer: gunzip + pprof-format's decoder, and
// Google's pprof CLI where scripts/setup.sh could build it.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {gunzipSync} from 'node:zlib';
import {Profile as PprofProfile} from 'pprof-format';
import {root} from './helpers.js';

const cache = process.env['TACHYON_TOP_CACHE'] ?? path.join(root, '.cache');

/** Google's pprof, or undefined (with the reason) where Go was unavailable to build it. */
export const pprofCli: string | undefined = fs.existsSync(path.join(cache, 'bin', 'pprof')) ? path.join(cache, 'bin', 'pprof') : undefined;
export const noPprofCli = 'pprof CLI not built (scripts/setup.sh needs golang-go and golang-github-google-pprof-dev)';

export type DecodedFrame = {readonly name: string; readonly file: string; readonly line: number; readonly startLine: number};

export type DecodedSample = {
	/** Root first. */
	readonly frames: DecodedFrame[];
	readonly values: number[];
	readonly labels: Record<string, string>;
};

export type DecodedPprof = {
	readonly raw: PprofProfile;
	readonly strings: string[];
	readonly sampleTypes: Array<[string, string]>;
	readonly periodType: [string, string];
	readonly samples: DecodedSample[];
};

export function decodePprof(bytes: Uint8Array): DecodedPprof {
	assert(bytes[0] === 0x1F && bytes[1] === 0x8B, 'a --pprof file is gzipped');
	const raw = PprofProfile.decode(gunzipSync(bytes));
	const strings = raw.stringTable.strings;
	const text = (index: number | bigint) => strings[Number(index)]!;
	const functions = new Map(raw.function.map(fn => [Number(fn.id), fn]));
	const locations = new Map(raw.location.map(location => [Number(location.id), location]));
	const frameOf = (locationId: number | bigint): DecodedFrame => {
		const location = locations.get(Number(locationId));
		assert(location?.line.length === 1, `location ${locationId} has one line`);
		const line = location.line[0]!;
		const fn = functions.get(Number(line.functionId));
		assert(fn !== undefined, `function ${line.functionId} exists`);
		return {name: text(fn.name), file: text(fn.filename), line: Number(line.line), startLine: Number(fn.startLine)};
	};

	return {
		raw,
		strings,
		sampleTypes: raw.sampleType.map(type => [text(type.type), text(type.unit)]),
		periodType: [text(raw.periodType!.type), text(raw.periodType!.unit)],
		samples: raw.sample.map(sample => ({
			frames: sample.locationId.map(id => frameOf(id)).reverse(),
			values: sample.value.map(Number),
			labels: Object.fromEntries(sample.label.map(label => [text(label.key), text(label.str)])),
		})),
	};
}

export function readPprof(file: string): DecodedPprof {
	return decodePprof(fs.readFileSync(file));
}

/** `pprof -top` rows: function name → flat and cum shares (0–100) of the chosen sample type. */
export function pprofTop(file: string, sampleIndex: string): Map<string, {flat: number; cum: number}> {
	const output = execFileSync(pprofCli!, ['-top', '-nodecount=1000', `-sample_index=${sampleIndex}`, file], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000});
	const rows = new Map<string, {flat: number; cum: number}>();
	// "      2154 43.48% 43.48%       2154 43.48%  hot_hash"
	for (const match of output.matchAll(/^\s*\S+\s+([\d.]+)%\s+[\d.]+%\s+\S+\s+([\d.]+)%\s+(.+)$/gm)) {
		rows.set(match[3]!.trim(), {flat: Number(match[1]), cum: Number(match[2])});
	}

	return rows;
}

function assert(condition: boolean, message: string): asserts condition {
	if (!condition) {
		throw new Error(message);
	}
}
