// The fuzz test's worker (test/fuzz.test.ts): replays each mutant it is sent to every format,
// as `replay` would, and says how it went. It runs under resource limits, so a mutant that
// makes the reader or an exporter allocate without bound ends this worker, not the test run.
import {parentPort} from 'node:worker_threads';
import {readBinaryProfile} from '../exporters/binary-reader.js';
import {UserError} from '../common/errors.js';
import {exporters, type ExportResult} from '../exporters/index.js';

export type FuzzRequest = {readonly id: number; readonly bytes: Uint8Array; readonly baseline: Uint8Array};
export type FuzzReply = {
	readonly id: number;
	/** `read` (replayed to every format), `rejected` (a one-line UserError: BinaryFormatError, …), or `crashed`. */
	readonly outcome: 'read' | 'rejected' | 'crashed';
	readonly message: string;
	readonly ms: number;
	/** Bytes of output written, over every format. */
	readonly outputBytes: number;
	/** Memory after this mutant, and the heap's peak while it ran (sampled). */
	readonly rssBytes: number;
	readonly arrayBufferBytes: number;
};

function sizeOf(result: ExportResult): number {
	if (result.kind === 'file') {
		return result.data.length;
	}

	let total = 0;
	for (const data of result.files.values()) {
		total += data.length;
	}

	return total;
}

function replayEverywhere(bytes: Uint8Array, baseline: Uint8Array): number {
	let written = 0;
	for (const format of Object.values(exporters)) {
		const {profile} = readBinaryProfile(bytes, {timeline: format.needsTimeline});
		const options = format.id === 'diff-flamegraph' ? {baseline: readBinaryProfile(baseline).profile} : {};
		for (const toFile of format.id === 'pstats' ? [false, true] : [true]) {
			written += sizeOf(format.export(profile, {...options, toFile}));
		}
	}

	return written;
}

parentPort!.on('message', (request: FuzzRequest) => {
	const started = performance.now();
	let outcome: FuzzReply['outcome'] = 'read';
	let message = '';
	let outputBytes = 0;
	try {
		outputBytes = replayEverywhere(request.bytes, request.baseline);
	} catch (error) {
		// A BinaryFormatError, or another one-line error for the person (a baseline of another mode).
		if (error instanceof UserError) {
			outcome = 'rejected';
			message = error.message;
		} else {
			outcome = 'crashed';
			message = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
		}
	}

	const memory = process.memoryUsage();
	const reply: FuzzReply = {id: request.id, outcome, message, ms: performance.now() - started, outputBytes, rssBytes: memory.rss, arrayBufferBytes: memory.arrayBuffers};
	parentPort!.postMessage(reply);
});
