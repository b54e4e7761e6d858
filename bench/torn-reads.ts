// The bench's in-process samples meet torn reads as a capture does: a frame or task freed
// while it is read (EFAULT, a short read, a word that is not what it should be). A capture
// counts such a sample and takes the next (sampler/target-session.ts); a bench section that let
// the error through ended with it (CI's run of 596dc7e: "TornReadError: ... Bad address").
import {TornReadError} from '../sampler/remote-memory.js';

export class TornReads {
	/** Samples that read torn memory since the last reset. */
	count = 0;

	/** What `body` returns, or undefined where it read torn memory (counted). */
	attempt<T>(body: () => T): T | undefined {
		try {
			return body();
		} catch (error) {
			if (!(error instanceof TornReadError)) {
				throw error;
			}

			this.count++;
			return undefined;
		}
	}

	/** ", N torn (...)" for a row's note, where there were any. */
	note(): string {
		return this.count > 0 ? `, ${this.count} torn (memory freed mid-read; counted, as a capture counts them)` : '';
	}
}
