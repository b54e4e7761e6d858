// Parses the command line and runs a command. Every failure the user can fix ends here as
// one line on stderr and a non-zero exit, never a stack trace.
import meow from 'meow';
import type {CompressionChoice} from '../exporters/binary-writer.js';
import {exporters, formatIds, type Exporter, type ExportOptions} from '../exporters/index.js';
import type {SortKey} from '../exporters/function-stats.js';
import {UserError} from '../common/errors.js';
import type {ProfilingMode} from '../common/profile-types.js';
import {samplerDefaults} from '../sampler/sampler.js';
import {pidFrom, splitArgs} from './argv.js';
import {dumpText} from './commands/dump.js';
import {record} from './commands/record.js';
import {replay} from './commands/replay.js';
import {loadBaseline} from '../live/capture-file.js';
import {startScript, startScriptBlocking} from './commands/run.js';
import {SubprocessFollower} from '../live/subprocesses.js';
import {openInBrowser} from './browser.js';
import {flags, formatFlags} from './flags.js';
import {intervalFromRate, parseDuration, parseRate} from './rate.js';

// The live view pulls in Ink and React (~0.5 s to load): only commands that use it pay for it.
const runLive: typeof import('./commands/live.js').runLive = async (...args) => (await import('./commands/live.js')).runLive(...args);

const help = `
	Usage
	  $ tachyon-top                                   pick a Python process and watch it live
	  $ tachyon-top run [options] script.py [args...] run a script under the profiler
	  $ tachyon-top run [options] -m module [args...]
	  $ tachyon-top attach [options] PID              profile a running process
	  $ tachyon-top dump [-a] PID                     print its stacks now
	  $ tachyon-top replay [format] FILE.bin          convert a binary capture
	  $ tachyon-top agent --server URL --app NAME PID|--match RE  continuous profiling (agent --help)

	Sampling
	  -r, --sampling-rate RATE  1000, 10khz, 10k, 1mhz (default 1khz)
	  -d, --duration SECONDS    stop after this long (run: when the script ends; attach: Ctrl-C)
	  -a, --all-threads         every thread, not just the main one
	  --mode MODE               wall (default), cpu, gil or exception
	  --realtime-stats          print the achieved rate on stderr while sampling
	  --native, --no-gc, --opcodes, --async-aware, --subprocesses, --blocking
	  --python PATH             run: the interpreter (default python3, or $TACHYON_TOP_PYTHON)
	  --live                    the live view instead of a report

	Output (one of)
	  ${formatIds.filter(id => id !== 'diff-flamegraph').map(id => `--${exporters[id].flag}`).join(', ')}
	  -o, --output PATH         where to write (default: as Tachyon names it)
	  --diff-flamegraph BASE.bin  flame graph of the differences from a binary capture
	  --compression C           --binary: auto (default), zstd or none
	  --browser                 open HTML outputs in a browser
	  --sort KEY                nsamples, tottime, cumtime, sample-pct, cumul-pct, nsamples-cumul, name
	  -l, --limit N             rows in the pstats table (default 15)

	Examples
	  $ tachyon-top run examples/workload.py
	  $ tachyon-top attach --collapsed 12345 -d 10 -o stacks.txt
	  $ tachyon-top dump -a 12345
`;

function parse(argv: string[]) {
	// Format flags come from the exporter registry, so meow cannot type them: one strict parse
	// with every flag (unknown flags end here with meow's message), one typed parse without them.
	const formats = meow(help, {importMeta: import.meta, argv, flags: {...flags, ...formatFlags}, allowUnknownFlags: false});
	const formatNames = new Set(Object.keys(formatFlags).map(name => `--${name}`));
	const cli = meow(help, {importMeta: import.meta, argv: argv.filter(arg => !formatNames.has(arg)), flags, allowUnknownFlags: true});
	return {...cli, formats: formats.flags as Record<string, unknown>};
}

type Cli = ReturnType<typeof parse>;

function chosenFormat(cli: Cli): Exporter {
	// --diff-flamegraph takes the baseline file, so it is a string flag rather than a format switch.
	const chosen = formatIds.filter(id => id === 'diff-flamegraph' ? cli.flags.diffFlamegraph !== undefined : cli.formats[exporters[id].flag] === true);
	if (chosen.length > 1) {
		throw new UserError(`Choose one output format, got ${chosen.map(id => `--${exporters[id].flag}`).join(' and ')}`, 2);
	}

	return exporters[chosen[0] ?? 'pstats'];
}

/** As in Tachyon: task chains are a view of their own, not combinable with a mode. */
function checkAsyncFlags(cli: Cli): void {
	if (cli.flags.asyncAware && cli.flags.mode !== undefined) {
		throw new UserError('--mode cannot be used with --async-aware (task stacks are sampled in wall-clock time)', 2);
	}

	if (cli.flags.asyncMode !== undefined && !cli.flags.asyncAware) {
		throw new UserError('--async-mode needs --async-aware', 2);
	}
}

/**
 * What the exporters need from the flags: table options, --compression, the diff baseline
 * (which must have been captured in `mode`, when the mode is known before reading).
 */
function exportOptionsFor(cli: Cli, mode?: ProfilingMode): ExportOptions {
	if (cli.flags.limit !== undefined && (!Number.isInteger(cli.flags.limit) || cli.flags.limit < 0)) {
		throw new UserError(`Expected \`--limit\` to be a whole number >= 0, got \`${cli.flags.limit}\``, 2);
	}

	return {
		sort: cli.flags.sort as SortKey | undefined,
		...(cli.flags.limit === undefined ? {} : {limit: cli.flags.limit}),
		compression: (cli.flags.compression ?? 'auto') as CompressionChoice,
		pidLabel: cli.flags.subprocesses,
		...(cli.flags.diffFlamegraph === undefined ? {} : {baseline: loadBaseline(cli.flags.diffFlamegraph, mode)}),
	};
}

async function main(): Promise<number> {
	const {command, options, target} = splitArgs(process.argv.slice(2));
	if (command === undefined) {
		return runLive({intervalUs: intervalFromRate(1000)});
	}

	if (command === '--help' || command === '-h' || command === 'help') {
		process.stdout.write(help.replaceAll(/^\t/gm, '') + '\n');
		return 0;
	}

	if (command === '--version' || command === '-v') {
		process.stdout.write('0.1.0\n');
		return 0;
	}

	if (command === 'agent') {
		return (await import('./commands/agent.js')).runAgent(options);
	}

	if (!['run', 'attach', 'dump', 'replay'].includes(command)) {
		throw new UserError(`Unknown command \`${command}\`: use run, attach, dump, replay or agent (tachyon-top --help)`, 2);
	}

	const cli = parse(options);
	checkAsyncFlags(cli);
	if (command === 'replay') {
		if (cli.input.length !== 1) {
			throw new UserError('Expected one binary file: tachyon-top replay [format flag] [-o PATH] FILE.bin', 2);
		}

		return replay({
			file: cli.input[0]!, format: chosenFormat(cli), exportOptions: exportOptionsFor(cli), output: cli.flags.output, browser: cli.flags.browser,
			...(cli.flags.diffFlamegraph === undefined ? {} : {baselineFile: cli.flags.diffFlamegraph}),
		});
	}

	const allThreads = cli.flags.allThreads;
	if (command === 'dump') {
		const pid = pidFrom(cli.input, 'dump');
		process.stdout.write(dumpText({pid, allThreads, native: cli.flags.native, gc: cli.flags.gc, opcodes: cli.flags.opcodes, blocking: cli.flags.blocking,
			asyncAware: cli.flags.asyncAware, asyncMode: (cli.flags.asyncMode ?? 'all') as 'running' | 'all'}));
		return 0;
	}

	if (cli.flags.live) {
		if (command !== 'run' && command !== 'attach') {
			throw new UserError(`--live works with run and attach, not ${command}`, 2);
		}

		// As Tachyon: the live view is its own output; formats are exported from it with `e`.
		const format = chosenFormat(cli);
		if (format.id !== 'pstats' || cli.flags.output !== undefined) {
			throw new UserError('--live cannot be combined with an output format or -o: export from the live view with `e`', 2);
		}

		const liveDurationS = cli.flags.duration === undefined ? 0 : parseDuration(cli.flags.duration);

		const intervalUs = intervalFromRate(cli.flags.samplingRate === undefined ? 1000 : parseRate(cli.flags.samplingRate));
		if (command === 'attach') {
			return runLive({pid: pidFrom(cli.input, 'attach'), intervalUs, durationS: liveDurationS, opcodes: cli.flags.opcodes, subprocesses: cli.flags.subprocesses, blocking: cli.flags.blocking});
		}

		if (target.length === 0) {
			throw new UserError('Expected a script to run: tachyon-top run --live [options] script.py [args...] (or -m module)', 2);
		}

		return runLive({script: {target, module: cli.flags.module, python: cli.flags.python}, intervalUs, durationS: liveDurationS, opcodes: cli.flags.opcodes, subprocesses: cli.flags.subprocesses, blocking: cli.flags.blocking});
	}

	const format = chosenFormat(cli);
	const hz = cli.flags.samplingRate === undefined ? 1000 : parseRate(cli.flags.samplingRate);
	const durationS = cli.flags.duration === undefined ? 0 : parseDuration(cli.flags.duration);
	const mode = (cli.flags.mode ?? 'wall') as ProfilingMode;
	const exportOptions = exportOptionsFor(cli, mode);
	let pid: number;
	let child: ReturnType<typeof startScript> | undefined;
	if (command === 'attach') {
		pid = pidFrom(cli.input, 'attach');
	} else {
		if (target.length === 0) {
			throw new UserError('Expected a script to run: tachyon-top run [options] script.py [args...] (or -m module)', 2);
		}

		// --blocking: the script runs as a grandchild, out of reach of libuv's child reaping (run.ts).
		const script = {target, module: cli.flags.module, python: cli.flags.python};
		child = cli.flags.blocking ? await startScriptBlocking(script) : startScript(script);
		pid = child.pid;
	}

	const samplerOptions = {
		...samplerDefaults,
		pid,
		intervalUs: intervalFromRate(hz),
		durationS,
		allThreads,
		asyncAware: cli.flags.asyncAware,
		asyncMode: (cli.flags.asyncMode ?? 'running') as 'running' | 'all',
		gc: cli.flags.gc,
		native: cli.flags.native,
		opcodes: cli.flags.opcodes,
		blocking: cli.flags.blocking,
		// Gecko's CPU markers need each thread's run state (Tachyon samples gecko in mode "all").
		cpuState: mode === 'cpu' || format.id === 'gecko',
		exceptionState: mode === 'exception',
		waitForRuntimeMs: child ? 5000 : 0,
	};
	// --subprocesses: each Python descendant gets a sampler of its own and a file of its own.
	const follower = cli.flags.subprocesses
		? new SubprocessFollower({rootPid: pid, sampler: samplerOptions, mode, timeline: format.needsTimeline === true})
		: undefined;
	try {
		const recorded = await record({
			sampler: samplerOptions,
			mode,
			format,
			exportOptions,
			output: cli.flags.output,
			realtimeStats: cli.flags.realtimeStats,
			targetIsChild: child !== undefined,
		});
		if (follower) {
			await follower.stop();
			for (const written of follower.write(format, exportOptions, cli.flags.output)) {
				process.stderr.write(`Wrote ${format.description} to ${written}\n`);
			}
		}

		if (cli.flags.browser && format.html && recorded.path) {
			openInBrowser(recorded.path);
		}
	} finally {
		void follower?.stop();
		child?.stop();
	}

	return child ? await child.exitCode() : 0;
}

try {
	process.exitCode = await main();
} catch (error) {
	if (error instanceof UserError) {
		process.stderr.write(`tachyon-top: ${error.message}\n`);
		process.exitCode = error.exitCode;
	} else {
		const message = error instanceof Error ? error.message : String(error);
		process.stderr.write(`tachyon-top: ${message}${process.env['TACHYON_TOP_DEBUG'] && error instanceof Error ? `\n${error.stack}` : ''}\n`);
		process.exitCode = 1;
	}
}
