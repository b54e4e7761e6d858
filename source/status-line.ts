// run and attach on a terminal: one line on stderr, redrawn twice a second, saying that
// sampling goes on and how it goes (as py-spy's record does). Nothing when stderr is not a
// terminal, so pipes and logs get only the report.
import {thousands} from '../common/thousands.js';
import type {Profile} from '../exporters/model.js';

export type StatusLineOptions = {
	readonly pid: number;
	/** -d, or 0 for no limit. */
	readonly durationS: number;
	readonly requestedHz: number;
	/** Where to draw (default: stderr); tests pass their own. */
	readonly stream?: NodeJS.WriteStream;
};

const clearLine = '\r\u001B[K';

/** The status text: elapsed (of the duration), samples, the achieved rate, how to stop. */
export function statusText(profile: Profile, options: Pick<StatusLineOptions, 'pid' | 'durationS' | 'requestedHz'>): string {
	const {attempts, elapsedUs} = profile.stats;
	if (profile.meta.pythonVersion === '?') {
		return `Attaching to PID ${options.pid}…; Ctrl-C to stop`;
	}

	// The sampler's own clock: it starts at the attach and stops at the duration.
	const elapsedS = elapsedUs / 1e6;
	const elapsed = options.durationS > 0 ? `${Math.min(elapsedS, options.durationS).toFixed(1)} of ${options.durationS} s` : `${elapsedS.toFixed(1)} s`;
	const rate = elapsedUs > 0 ? (attempts / elapsedUs) * 1e6 : 0;
	const number = thousands;
	return `Sampling PID ${options.pid}: ${elapsed}, ${number(attempts)} samples, ${number(rate)}/s (asked ${number(options.requestedHz)}); Ctrl-C to stop`;
}

export class StatusLine {
	private readonly stream: NodeJS.WriteStream;
	private readonly timer: NodeJS.Timeout | undefined;
	private shown = false;

	constructor(profile: Profile, options: StatusLineOptions) {
		this.stream = options.stream ?? process.stderr;
		if (!this.stream.isTTY) {
			return;
		}

		const draw = () => {
			const width = Math.max(20, (this.stream.columns || 80) - 1);
			const text = statusText(profile, options);
			// One terminal row, or \r would only return to the start of the last one.
			this.stream.write(`${clearLine}${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
			this.shown = true;
		};

		this.timer = setInterval(draw, 500);
		this.timer.unref();
		draw();
	}

	/** Clears the line, so what follows starts on a clean one. Idempotent. */
	finish(): void {
		clearInterval(this.timer);
		if (this.shown) {
			this.stream.write(clearLine);
			this.shown = false;
		}
	}
}
