// `tachyon-top agent`: its command line, then the agent (live/agent/agent.ts) until Ctrl-C,
// SIGTERM, or every named process has ended.
import fs from 'node:fs';
import meow from 'meow';
import {UserError} from '../../common/errors.js';
import {profilingModes, type ProfilingMode} from '../../common/profile-types.js';
import {Agent} from '../../live/agent/agent.js';
import {checkAppName, checkServer, parseHeader, parseTag} from '../../live/agent/ingest.js';
import {parseDuration, parseRate} from '../rate.js';

const help = `
	Usage
	  $ tachyon-top agent --server URL --app NAME [options] (PID... | --match REGEX | --all-python)

	Continuous profiling: every interval, each process's profile of the last interval goes to
	Pyroscope's /ingest as pprof, as the series NAME{TAGS,pid=PID,python=3.X}.

	Where to
	  --server URL              Pyroscope (or Grafana Alloy's pyroscope.receive_http), e.g. http://localhost:4040
	  --header 'Name: value'    sent with every push (Authorization, X-Scope-OrgID); repeatable
	  --output-dir DIR          also (or instead) write one pprof file per window per process
	  --app NAME                the application name (required)
	  --tag NAME=VALUE          a label on every series; repeatable

	What
	  PID...                    these processes
	  --match REGEX             every Python process whose command line matches, as they start
	  --all-python              every Python process this user may read, as they start
	  --interval SECONDS        window length (default 10)
	  -r, --sampling-rate RATE  samples per second (default 100)
	  --mode MODE               wall (default), cpu, gil or exception
	  -a, --all-threads         every thread, not just the main one
	  --native, --no-gc         <native> frames; no <GC> frames

	Running
	  --max-queue MB            memory for windows waiting to be sent (default 64); the oldest go first
	  --verbose                 one line per push; otherwise a status line every --status-interval (60 s)

	Examples
	  $ tachyon-top agent --server http://localhost:4040 --app shop --tag env=prod --match 'gunicorn|celery'
	  $ tachyon-top agent --output-dir /var/lib/profiles --app batch 12345
`;

const flags = {
	server: {type: 'string'},
	header: {type: 'string', isMultiple: true},
	outputDir: {type: 'string'},
	app: {type: 'string'},
	tag: {type: 'string', isMultiple: true},
	match: {type: 'string'},
	allPython: {type: 'boolean', default: false},
	interval: {type: 'string'},
	samplingRate: {type: 'string', shortFlag: 'r'},
	mode: {type: 'string', choices: [...profilingModes] as string[]},
	allThreads: {type: 'boolean', shortFlag: 'a', default: false},
	native: {type: 'boolean', default: false},
	gc: {type: 'boolean', default: true},
	maxQueue: {type: 'number'},
	verbose: {type: 'boolean', default: false},
	statusInterval: {type: 'string'},
} as const;

function parse(argv: string[]) {
	const cli = meow(help, {importMeta: import.meta, argv, flags, allowUnknownFlags: false});
	const {server, outputDir, app, match, allPython} = cli.flags;
	if (cli.input.length === 1 && cli.input[0] === 'help') {
		return undefined;
	}

	if (app === undefined || app === '') {
		throw new UserError('Expected `--app NAME`: the application name the profiles are filed under', 2);
	}

	checkAppName(app);
	if (server === undefined && outputDir === undefined) {
		throw new UserError('Expected `--server URL` (Pyroscope) or `--output-dir DIR`, or both', 2);
	}

	if (server !== undefined) {
		checkServer(server);
	}

	if (outputDir !== undefined) {
		fs.mkdirSync(outputDir, {recursive: true});
	}

	const pids = cli.input.map(arg => {
		if (!/^\d+$/.test(arg)) {
			throw new UserError(`Expected process ids, --match REGEX or --all-python, got \`${arg}\``, 2);
		}

		return Number(arg);
	});
	if ([pids.length > 0, match !== undefined, allPython].filter(Boolean).length !== 1) {
		throw new UserError('Expected one of: process ids, --match REGEX, --all-python', 2);
	}

	for (const pid of pids) {
		if (!fs.existsSync(`/proc/${pid}`)) {
			throw new UserError(`No such process: ${pid}`);
		}
	}

	let pattern: RegExp | undefined;
	if (match !== undefined) {
		try {
			pattern = new RegExp(match);
		} catch (error) {
			throw new UserError(`Expected \`--match\` to be a regular expression: ${(error as Error).message}`, 2);
		}
	}

	const intervalS = cli.flags.interval === undefined ? 10 : parseDuration(cli.flags.interval, '--interval');
	if (intervalS < 1) {
		throw new UserError('Expected `--interval` of at least 1 second (Pyroscope counts time in seconds)', 2);
	}

	const maxQueue = cli.flags.maxQueue ?? 64;
	if (!Number.isFinite(maxQueue) || maxQueue <= 0) {
		throw new UserError(`Expected \`--max-queue\` to be a number of megabytes greater than 0, got \`${maxQueue}\``, 2);
	}

	const tags = (cli.flags.tag ?? []).map(tag => parseTag(tag));
	for (const [name] of tags) {
		if (name === 'pid' || name === 'python') {
			throw new UserError(`--tag ${name}: the agent sets \`${name}\` itself`, 2);
		}
	}

	return {
		app,
		tags,
		server,
		headers: (cli.flags.header ?? []).map(header => parseHeader(header)),
		outputDir,
		intervalS,
		hz: cli.flags.samplingRate === undefined ? 100 : parseRate(cli.flags.samplingRate),
		mode: (cli.flags.mode ?? 'wall') as ProfilingMode,
		allThreads: cli.flags.allThreads,
		native: cli.flags.native,
		gc: cli.flags.gc,
		pids,
		discover: pids.length > 0 ? undefined : {match: pattern},
		verbose: cli.flags.verbose,
		queueLimitBytes: maxQueue * 1024 * 1024,
		statusEveryMs: (cli.flags.statusInterval === undefined ? 60 : parseDuration(cli.flags.statusInterval, '--status-interval')) * 1000,
	};
}

export async function runAgent(argv: string[]): Promise<number> {
	const options = parse(argv);
	if (options === undefined) {
		process.stdout.write(help.replaceAll(/^\t/gm, '') + '\n');
		return 0;
	}

	const log = (line: string) => {
		process.stderr.write(line.startsWith('tachyon-top') ? `${line}\n` : `tachyon-top agent: ${line}\n`);
	};

	const agent = new Agent({...options, flushTimeoutMs: 10_000, requestTimeoutMs: 15_000, log});
	let signals = 0;
	let stopRequested: () => void = () => undefined;
	const stopped = new Promise<void>(resolve => {
		stopRequested = resolve;
	});
	const onSignal = () => {
		signals++;
		if (signals > 1) {
			process.exit(130); // A second Ctrl-C: the person will not wait for the last pushes.
		}

		stopRequested();
	};

	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);
	agent.start();
	await Promise.race([agent.idle, stopped]);
	await agent.stop();
	process.off('SIGINT', onSignal);
	process.off('SIGTERM', onSignal);
	log(`stopped: ${agent.summary()}`);
	const totals = [...agent.totals.values()];
	if (options.verbose) {
		for (const entry of totals) {
			log(`pid ${entry.pid}: ${entry.windows} windows, ${entry.samples} samples${options.server === undefined ? '' : `, ${entry.sent} windows sent`} (${entry.end})`);
		}
	}

	// Named processes that could none of them be profiled: the agent did nothing.
	return options.pids.length > 0 && totals.every(entry => entry.end === 'failed') ? 1 : 0;
}
