// Each format's exporter, loaded on its own: run and attach write one format, and loading all
// ten exporters cost ~35 ms of CPU and ~2 MB of peak RSS (attach --pstats at 1 kHz) for nothing.
import type {ProfilingMode} from '../common/profile-types.js';
import {formats, type FormatId} from './formats.js';
import type {ExportOptions, ExportResult, Exporter} from './index.js';
import type {Profile} from './model.js';

const text = (data: string): ExportResult => ({kind: 'file', data});
const bytes = (data: Uint8Array): ExportResult => ({kind: 'file', data});
/** The mode an export counts: the one asked for, else the one the profile was captured in. */
const modeOf = (profile: Profile, options: ExportOptions): ProfilingMode => options.mode ?? profile.meta.mode;

export const exporterLoaders: {readonly [Id in FormatId]: () => Promise<Exporter>} = {
	async pstats() {
		const [{pstatsFile}, {pstatsText}] = await Promise.all([import('./pstats-file.js'), import('./pstats.js')]);
		return {
			...formats.pstats,
			export: (profile, options) => options.toFile ? {kind: 'file', data: pstatsFile(profile, modeOf(profile, options), options.pstatsLayout)} : text(pstatsText(profile, options)),
		};
	},
	async collapsed() {
		const [{collapsedText}, {surrogatePassUtf8}] = await Promise.all([import('./collapsed.js'), import('./surrogate-utf8.js')]);
		// Bytes, not text: names with undecodable bytes keep them as Tachyon writes them.
		return {...formats.collapsed, export: (profile, options) => bytes(surrogatePassUtf8(collapsedText(profile, modeOf(profile, options))))};
	},
	async flamegraph() {
		const {flamegraphHtml} = await import('./flamegraph.js');
		return {...formats.flamegraph, export: (profile, options) => text(flamegraphHtml(profile, modeOf(profile, options)))};
	},
	async heatmap() {
		const {heatmapFiles} = await import('./heatmap.js');
		return {...formats.heatmap, export: (profile, options) => ({kind: 'directory', files: heatmapFiles(profile, modeOf(profile, options))})};
	},
	async 'diff-flamegraph'() {
		const {diffFlamegraphHtml} = await import('./diff-flamegraph.js');
		return {...formats['diff-flamegraph'], export: (profile, options) => text(diffFlamegraphHtml(profile, options.baseline, modeOf(profile, options)))};
	},
	async gecko() {
		const {geckoJson} = await import('./gecko.js');
		return {...formats.gecko, export: (profile, options) => text(geckoJson(profile, {mode: modeOf(profile, options)}))};
	},
	async jsonl() {
		const {jsonlText} = await import('./jsonl.js');
		return {...formats.jsonl, export: (profile, options) => text(jsonlText(profile, {mode: modeOf(profile, options)}))};
	},
	async binary() {
		const {binaryFile} = await import('./binary-file.js');
		return {...formats.binary, export: (profile, options) => ({kind: 'file', data: binaryFile(profile, options.compression, modeOf(profile, options))})};
	},
	async pprof() {
		const {pprofFile} = await import('./pprof.js');
		return {...formats.pprof, export: (profile, options) => ({kind: 'file', data: pprofFile(profile, {pidLabel: options.pidLabel === true, mode: modeOf(profile, options)})})};
	},
	async speedscope() {
		const {speedscopeJson} = await import('./speedscope.js');
		return {...formats.speedscope, export: (profile, options) => text(speedscopeJson(profile, modeOf(profile, options)))};
	},
};

/** One format's exporter, loading only its own modules. */
export async function loadExporter(id: FormatId): Promise<Exporter> {
	return exporterLoaders[id]();
}
