// Kept apart from helpers.ts, which the unit tests load: this one loads the sampler's libc bindings.
import {TornReadError} from '../sampler/remote-memory.js';

/**
 * One read of a running target, taken again while it reads as torn (its thread moved under the
 * read), as the sampling loop counts such a read as an error and goes on: at load 8 a busy loop
 * tore a read of a code object (process_vm_readv: Bad address); on 3.14 most reads of a loop
 * that starts and ends tasks all the time tear.
 */
export function untorn<T>(read: () => T, attempts = 100): T {
	for (let attempt = 1; ; attempt++) {
		try {
			return read();
		} catch (error) {
			if (!(error instanceof TornReadError) || attempt >= attempts) {
				throw error;
			}
		}
	}
}
