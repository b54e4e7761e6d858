// Parses the command line and runs a command. Every failure the user can fix ends here as
// one line on stderr and a non-zero exit (2 for usage errors, as Tachyon's), never a stack trace.
import fs from 'node:fs';
import path from 'node:path';
import type {CompressionChoice} from '../exporters/binary-writer.js';
import type {ExportOptions} from '../exporters/index.js';
import type {SortKey} from '../exporters/function-stats.js';
import {UserError} from '../common/errors.js';
import {terminalText} from '../common/terminal-text.js';
import {stateReadsFor, type AsyncMode, type ProfilingMode} from '../common/profile-types.js';
import type {NativeStacksMode} from '../sampler/native/native-stacks.js';
import {commandOf, parseOptions, pidFrom, splitArgs, type ParsedArgs} from './argv.js';
import type {RunningScript} from './commands/run.js';
import {checkContract, chosenFormat} from './contract.js';
import {commandNames, type OptionName} from './flags.js';
import {commandHelp, overviewHelp} from './help.js';
import type {runLive as RunLive} from './commands/live.js';
import {intervalFromRate, parseDuration, parseRate} from './rate.js';

// Each command loads what it needs when it runs (dynamic imports below), so --help, a usage
// error or a dump pays for none of the sampler, the exporters or Ink: the live view pulls in
// Ink and React (~0.5 s to load), the exporters ~30 ms; start-up before the first sample
// matters most on a busy machine, where it is multiplied.
const runLive: typeof RunLive = async (...args) => (await import('./commands/live.js')).runLive(...args);

function version(): string {
	const manifest = new URL('../../package.json', import.meta.url);
	return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as {version: string}).version;
}

/** Typed reads of the parsed flags. */
class Flags {
	readonly parsed: ParsedArgs;
	constructor(parsed: ParsedArgs) {
		this.parsed = parsed;
	}

	on(name: OptionName): boolean {
		return this.parsed.values.has(name);
	}

	text(name: OptionName): string | undefined {
		const value = this.parsed.values.get(name);
		return typeof value === 'string' ? value : undefined;
	}

	intervalUs(): number {
		const rate = this.text('sampling-rate');
		return intervalFromRate(rate === undefined ? 1000 : parseRate(rate));
	}

	durationS(): number {
		const duration = this.text('duration');
		return duration === undefined ? 0 : parseDuration(duration);
	}

	limit(): number | undefined {
		const text = this.text('limit');
		if (text === undefined) {
			return undefined;
		}

		if (!/^\d+$/.test(text.trim())) {
			throw new UserError(`Expected \`--limit\` to be a whole number >= 0, got \`${text}\``, 2);
		}

		return Number(text);
	}
}

/**
 * What the exporters need from the flags: table options, --compression, the diff baseline
 * (which must have been captured in `mode`, when the mode is known before reading).
 */
async function exportOptionsFor(flags: Flags, mode?: ProfilingMode): Promise<ExportOptions> {
	const limit = flags.limit();
	const baseline = flags.text('diff-flamegraph');
	const loadBaseline = baseline === undefined ? undefined : (await import('../live/capture-file.js')).loadBaseline;
	return {
		sort: flags.text('sort') as SortKey | undefined,
		...(limit === undefined ? {} : {limit}),
		summary: !flags.on('no-summary'),
		pstatsLayout: flags.text('pstats-layout') === 'tachyon' ? 'tachyon' : 'portable',
		compression: (flags.text('compression') ?? 'auto') as CompressionChoice,
		pidLabel: flags.on('subprocesses'),
		...(baseline === undefined || !loadBaseline ? {} : {baseline: loadBaseline(baseline, mode)}),
	};
}

/** --native-stacks[=all], as the sampler takes it. */
function nativeStacksOf(flags: Flags): {nativeStacks?: NativeStacksMode} {
	const which = flags.text('native-stacks');
	return which === undefined ? {} : {nativeStacks: which as NativeStacksMode};
}

async function dump(flags: Flags): Promise<number> {
	const pid = pidFrom(flags.parsed.positionals, 'dump');
	const {dumpText, dumpTreeText} = await import('./commands/dump.js');
	const options = {
		pid, allThreads: flags.on('all-threads'), native: flags.on('native'), gc: !flags.on('no-gc'), opcodes: flags.on('opcodes'), blocking: flags.on('blocking'),
		asyncAware: flags.on('async-aware'), asyncMode: (flags.text('async-mode') ?? 'all') as AsyncMode, ...nativeStacksOf(flags),
	};
	process.stdout.write(await (flags.on('subprocesses') ? dumpTreeText(options) : dumpText(options)));
	return 0;
}

async function live(command: 'run' | 'attach', flags: Flags, target: string[]): Promise<number> {
	const common = {
		intervalUs: flags.intervalUs(), durationS: flags.durationS(), opcodes: flags.on('opcodes'), subprocesses: flags.on('subprocesses'), blocking: flags.on('blocking'),
		...nativeStacksOf(flags), ...(flags.text('mode') === undefined ? {} : {mode: flags.text('mode') as ProfilingMode}),
	};
	if (command === 'attach') {
		return runLive({pid: pidFrom(flags.parsed.positionals, 'attach'), ...common});
	}

	if (target.length === 0) {
		throw new UserError('Expected a script to run: tachyon-top run --live [options] script.py [args...] (or -m module)', 2);
	}

	const script = {target, module: flags.on('module'), python: flags.text('python')};
	(await import('./commands/run.js')).checkScript(script);
	return runLive({script, ...common});
}

async function sample(command: 'run' | 'attach', flags: Flags, target: string[]): Promise<number> {
	const [{loadExporter}, {record}, {samplerDefaults}, {SubprocessFollower, checkChildOutput}] = await Promise.all([
		import('../exporters/exporter-loaders.js'), import('./commands/record.js'), import('../sampler/sampler.js'), import('../live/subprocesses.js'),
	]);
	// Only the exporter written with: loading all of them cost ~2 MB of peak RSS.
	const format = await loadExporter(chosenFormat(flags.parsed));
	const intervalUs = flags.intervalUs();
	const durationS = flags.durationS();
	const mode = (flags.text('mode') ?? 'wall') as ProfilingMode;
	const exportOptions = await exportOptionsFor(flags, mode);
	let pid: number;
	let child: RunningScript | undefined;
	const output = flags.text('output');
	// -o is checked before anything runs or is sampled: a capture is never lost to where it was to go.
	const {checkOutput, fallbackNote} = await import('../live/output.js');
	const checkOutputFor = (forPid: number, protect: string[]) => {
		if (!(format.id === 'pstats' && output === undefined)) {
			checkOutput(format, forPid, output, protect);
		}

		if (flags.on('subprocesses')) {
			checkChildOutput(format, forPid, output);
		}
	};

	if (command === 'attach') {
		pid = pidFrom(flags.parsed.positionals, 'attach');
		checkOutputFor(pid, []);
	} else {
		if (target.length === 0) {
			throw new UserError('Expected a script to run: tachyon-top run [options] script.py [args...] (or -m module)', 2);
		}

		// Its PID is not known yet; the default name's folder is what matters.
		checkOutputFor(process.pid, flags.on('module') ? [] : [path.resolve(target[0]!)]);

		// --blocking (and --native-stacks, which stops threads too): the script runs as a
		// grandchild, out of reach of libuv's child reaping (run.ts).
		const script = {target, module: flags.on('module'), python: flags.text('python')};
		const {startScript, startScriptBlocking} = await import('./commands/run.js');
		child = flags.on('blocking') || flags.text('native-stacks') !== undefined ? await startScriptBlocking(script) : startScript(script);
		pid = child.pid;
	}

	const samplerOptions = {
		...samplerDefaults,
		pid,
		intervalUs,
		durationS,
		allThreads: flags.on('all-threads'),
		asyncAware: flags.on('async-aware'),
		asyncMode: (flags.text('async-mode') ?? 'running') as AsyncMode,
		gc: !flags.on('no-gc'),
		native: flags.on('native'),
		opcodes: flags.on('opcodes'),
		blocking: flags.on('blocking'),
		...nativeStacksOf(flags),
		...stateReadsFor(mode),
		// Gecko's CPU markers need each thread's run state (Tachyon samples gecko in mode "all").
		...(format.id === 'gecko' ? {cpuState: true} : {}),
		waitForRuntimeMs: child ? 5000 : 0,
		...(child ? {gateFd: child.gateFd} : {}),
	};
	// --subprocesses: the target's sampler follows its Python descendants; each gets a file of its own.
	const follower = flags.on('subprocesses')
		? new SubprocessFollower({sampler: samplerOptions, mode, timeline: format.needsTimeline === true, sources: format.needsSources})
		: undefined;
	let fellBack: boolean;
	try {
		const recorded = await record({
			sampler: samplerOptions,
			mode,
			format,
			exportOptions,
			output,
			realtimeStats: flags.on('realtime-stats'),
			targetIsChild: child !== undefined,
			...(follower ? {follower} : {}),
		});
		fellBack = recorded.fellBack;
		if (follower) {
			await follower.stop();
			for (const written of follower.write(format, exportOptions, flags.text('output'))) {
				const note = fallbackNote(written);
				if (note) {
					process.stderr.write(`tachyon-top: ${note}\n`);
					fellBack = true;
				}

				process.stderr.write(`Wrote ${format.description} to ${written.path}\n`);
			}

			for (const line of follower.report()) {
				process.stderr.write(`${line}\n`);
			}
		}

		if (flags.on('browser') && format.html && recorded.path) {
			(await import('./browser.js')).openInBrowser(recorded.path);
		}
	} finally {
		void follower?.stop();
		child?.stop();
	}

	// attach: a profile that had to go elsewhere than -o is a failure to report; run: the script's status, always.
	return child ? await child.exitCode() : (fellBack ? 1 : 0);
}

// `tachyon-top ... | head`: a reader that stops reading is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
	if (error.code === 'EPIPE') {
		process.exit(process.exitCode ?? 0);
	}

	throw error;
});

async function main(): Promise<number> {
	const {command: word, options, target} = splitArgs(process.argv.slice(2));
	if (word === undefined) {
		return runLive({intervalUs: intervalFromRate(1000)});
	}

	if (word === '--help' || word === '-h' || word === 'help') {
		const about = options[0];
		process.stdout.write(about !== undefined && commandNames.includes(about as never) ? commandHelp(commandOf(about)) : overviewHelp(version()));
		return 0;
	}

	if (word === '--version' || word === '-V' || word === '-v') {
		process.stdout.write(`${version()}\n`);
		return 0;
	}

	if (word === 'completion') {
		process.stdout.write((await import('./completion.js')).completionScript(options));
		return 0;
	}

	if (word === 'agent') {
		return (await import('./commands/agent.js')).runAgent(options);
	}

	const command = commandOf(word);
	const parsed = parseOptions(command, options);
	if (parsed.help) {
		process.stdout.write(commandHelp(command));
		return 0;
	}

	checkContract(command, parsed);
	const flags = new Flags(parsed);
	switch (command) {
		case 'replay': {
			const input = parsed.positionals;
			if (input.length !== 1) {
				throw new UserError('Expected one binary file: tachyon-top replay [format flag] [-o PATH] FILE.bin', 2);
			}

			const baselineFile = flags.text('diff-flamegraph');
			const [{replay}, {exporters}] = await Promise.all([import('./commands/replay.js'), import('../exporters/index.js')]);
			return replay({
				file: input[0]!, format: exporters[chosenFormat(parsed)], exportOptions: await exportOptionsFor(flags), output: flags.text('output'), browser: flags.on('browser'),
				...(baselineFile === undefined ? {} : {baselineFile}),
			});
		}

		case 'dump': {
			return dump(flags);
		}

		case 'run':
		case 'attach': {
			return flags.on('live') ? live(command, flags, target) : sample(command, flags, target);
		}
	}
}

try {
	process.exitCode = await main();
} catch (error) {
	if (error instanceof UserError) {
		// Messages may quote the target's names and paths.
		process.stderr.write(`tachyon-top: ${terminalText(error.message)}\n`);
		process.exitCode = error.exitCode;
	} else {
		const message = error instanceof Error ? error.message : String(error);
		process.stderr.write(`tachyon-top: ${terminalText(message)}${process.env['TACHYON_TOP_DEBUG'] && error instanceof Error ? `\n${error.stack}` : ''}\n`);
		process.exitCode = 1;
	}
}
