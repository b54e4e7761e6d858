// Holds the sampling rate by the worker's own clock. It sleeps between ticks (clock_nanosleep
// with the thread's timer slack lowered to 1 ns), waking early by the overshoot it has measured
// instead of spinning, so 10 kHz costs a wake-up per tick and no more. Like Tachyon it catches
// up after a short stall by sampling back to back; a stall longer than maxBacklogUs is skipped
// and counted as missed.
import {maxSliceUs, sleepUs} from './sleep.js';

/** Behind schedule by more than this, the missed ticks are skipped rather than caught up. */
const maxBacklogUs = 20_000;
/** Atomics.wait oversleeps by ~20 µs here; start from that and follow what is measured. */
const initialOvershootUs = 20;

/** The worker's clock, in µs. */
export function nowUs(): number {
	return performance.now() * 1000;
}

export class Pacer {
	/** Ticks that were due but skipped. */
	missed = 0;
	/**
	 * The clock as last read: each pass of the loop reads it once, after its sample, and the
	 * next pass starts from that reading (at the highest rates a clock read is a noticeable
	 * share of a sample).
	 */
	clock: number;
	private readonly intervalUs: number;
	/** When the next tick is due. */
	private next: number;
	private overshootUs = initialOvershootUs;

	constructor(intervalUs: number, startUs: number) {
		this.intervalUs = intervalUs;
		this.next = startUs;
		this.clock = startUs;
	}

	/**
	 * Sleeps towards the next tick. Returns the time to take it at, or undefined when it woke
	 * before the tick was due: long waits are slept in slices, so the caller can see a stop
	 * request in between.
	 */
	nextTick(): number | undefined {
		let now = this.clock;
		if (now < this.next) {
			const early = this.next - now;
			if (early > this.overshootUs) {
				// Sleep until the tick is due, less the usual oversleep.
				const sleepFor = early - this.overshootUs;
				sleepUs(sleepFor);
				const woke = nowUs();
				if (sleepFor <= maxSliceUs) {
					// Follow the oversleep slowly: one late wake-up on a busy machine must not make us spin.
					const overslept = woke - (now + sleepFor);
					this.overshootUs = Math.min(Math.max(this.overshootUs + ((overslept - this.overshootUs) / 16), 0), Math.max(this.intervalUs / 4, 1));
				}

				if (woke < this.next - 1) {
					this.clock = woke;
					return undefined;
				}

				now = woke;
			}
		}

		// Stalled for long (the machine was busy, or the rate is beyond us): skip, and count, those ticks.
		if (now - this.next > maxBacklogUs) {
			const behind = Math.floor((now - this.next) / this.intervalUs);
			this.missed += behind;
			this.next += behind * this.intervalUs;
		}

		this.next += this.intervalUs;
		return now;
	}

	/** Reads the clock anew (after a tick's work, or housekeeping that took a while). */
	readClock(): number {
		this.clock = nowUs();
		return this.clock;
	}
}
