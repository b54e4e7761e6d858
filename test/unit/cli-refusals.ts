// Tachyon's command-line contract (issue 19) as data: each command line Tachyon refuses, with
// the option its message must name. test/unit/command-line.test.ts checks ours refuses them;
// test/cli-args.test.ts checks Tachyon itself does, where 3.15 is installed.
import type {CommandName} from '../../source/flags.js';

/** Tachyon's contract (issue 19): each of these is refused, exit 2, naming the option. */
export const refused: Array<{command: CommandName; args: string[]; names: RegExp; oursOnly?: string}> = [
	{command: 'attach', args: ['--collapsed', '--sort', 'tottime', '1'], names: /--sort/},
	{command: 'attach', args: ['--flamegraph', '-l', '5', '1'], names: /--limit/},
	{command: 'run', args: ['--gecko', '--no-summary'], names: /--no-summary/},
	{command: 'replay', args: ['--jsonl', '--sort', 'name', 'x.bin'], names: /--sort/, oursOnly: 'Tachyon checks no option of replay'},
	{command: 'dump', args: ['1', '--mode', 'cpu'], names: /--mode/},
	{command: 'dump', args: ['--async-aware', '-a', '1'], names: /--all-threads/},
	{command: 'dump', args: ['--async-aware', '--native', '1'], names: /--native/},
	{command: 'dump', args: ['--async-aware', '--no-gc', '1'], names: /--no-gc/},
	{command: 'attach', args: ['--async-aware', '--native', '1'], names: /--native/},
	{command: 'attach', args: ['--async-aware', '--no-gc', '1'], names: /--no-gc/},
	{command: 'attach', args: ['--async-aware', '-a', '1'], names: /--all-threads/},
	{command: 'attach', args: ['--async-aware', '--binary', '1'], names: /--binary/},
	{command: 'attach', args: ['--async-aware', '--mode', 'cpu', '1'], names: /--mode/},
	{command: 'attach', args: ['--jsonl', '--opcodes', '1'], names: /--opcodes/},
	{command: 'attach', args: ['--collapsed', '--opcodes', '1'], names: /--opcodes/},
	{command: 'attach', args: ['--mode', 'fast', '1'], names: /--mode/},
	{command: 'attach', args: ['--async-aware', '--async-mode', 'fast', '1'], names: /--async-mode/},
	{command: 'attach', args: ['--async-mode', 'all', '1'], names: /--async-mode/},
	{command: 'attach', args: ['--live', '--sort', 'tottime', '1'], names: /--sort/},
	{command: 'attach', args: ['--live', '--collapsed', '1'], names: /--collapsed/},
	{command: 'attach', args: ['--gecko', '--mode', 'cpu', '1'], names: /--mode/},
];

