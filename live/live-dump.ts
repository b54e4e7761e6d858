// The live view's `d`: every thread's stack and, where the target runs asyncio, every task's
// await chain. Apart from live/dump.ts so that the CLI's plain `dump` does not load the asyncio
// reader (the live view has it loaded anyway).
import {AsyncStacks} from '../sampler/asyncio.js';
import {collectDump, type DumpData, type LiveDump} from './dump.js';

export function liveDump(pid: number): LiveDump {
	const threads = collectDump({pid, allThreads: true, native: false, gc: true, opcodes: false}, {});
	let tasks: DumpData | undefined;
	try {
		tasks = collectDump({pid, allThreads: true, native: false, gc: true, opcodes: false, asyncAware: true, asyncMode: 'all'}, {AsyncStacks});
	} catch {
		// No asyncio in the target (or its tasks could not be read): threads only.
	}

	return {threads, tasks};
}
