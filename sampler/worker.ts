// The sampling worker: runs the sampling loop (sampling-loop.ts) straight through on a thread of
// its own, so that rendering, exporting or a busy main thread never delays a sample (the live
// view, the agent). Batches leave through the port with their buffers transferred.
import {parentPort, receiveMessageOnPort, workerData} from 'node:worker_threads';
import {Control, type ControlMessage, type SamplerOptions, type WorkerMessage} from './protocol.js';
import {SamplingLoop} from './sampling-loop.js';

const {options, control} = workerData as {options: SamplerOptions; control: SharedArrayBuffer};
const port = parentPort!;
const loop = new SamplingLoop(options, new Int32Array(control), {
	post(message: WorkerMessage, transfer: ArrayBuffer[] = []) {
		port.postMessage(message, transfer);
	},
	// The main thread cannot reach this thread's event loop (it never runs): messages are taken from the port.
	receive: () => receiveMessageOnPort(port)?.message as ControlMessage | undefined,
	waitWhileSuspended(words) {
		Atomics.wait(words, Control.suspend, 1, 200);
	},
});
for (const _step of await loop.steps()) {
	// Nothing else runs on this thread.
}
