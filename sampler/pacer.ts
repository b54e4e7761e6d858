// Holds the sampling rate by the worker's own clock. It sleeps between ticks (clock_nanosleep
// with the thread's timer slack lowered to 1 ns), waking early by the overshoot it has measured
// instead of spinning, so 10 kHz costs a wake-up per tick and no more.
//
// After a stall (on a busy machine the worker waits for a CPU) it owes the ticks that fell due
// meanwhile and takes them back to back, as Tachyon does, so a busy machine costs no samples.
// Each tick's time is the moment it was really taken, so each sample stands for the time since
// the one before: the first after a stall for the stall, the catch-up ones for a few µs. Taken
// at once, the catch-up samples see the target as the stall left it (it most likely waited for
// a CPU too), which is what those owed ticks would have seen; spread out over the next
// milliseconds instead they would count the target's next moves in the stall's place, and
// did: 50/30/20 shares off by up to 11 points at load 40, against 5 back to back. Ticks owed
// for longer than maxBacklogUs (a suspended machine, a stopped sampler) are skipped and
// counted as missed.
import {maxSliceUs, sleepUs} from './sleep.js';

/** Owed for longer than this, ticks are skipped rather than caught up. */
const maxBacklogUs = 1_000_000;
/** Atomics.wait oversleeps by ~20 µs here; start from that and follow what is measured. */
const initialOvershootUs = 20;

/** The worker's clock, in µs. */
export function nowUs(): number {
	return performance.now() * 1000;
}

export class Pacer {
	/** Ticks that fell due but were skipped (owed for longer than maxBacklogUs). */
	missed = 0;
	/** Ticks taken late, catching up after a stall: more than one interval after they fell due. */
	late = 0;
	/**
	 * The clock as last read: each pass of the loop reads it once, after its sample, and the
	 * next pass starts from that reading (at the highest rates a clock read is a noticeable
	 * share of a sample).
	 */
	clock: number;
	private readonly intervalUs: number;
	/** When the next tick falls due. */
	private due: number;
	private overshootUs = initialOvershootUs;

	constructor(intervalUs: number, startUs: number) {
		this.intervalUs = intervalUs;
		this.due = startUs;
		this.clock = startUs;
	}

	/**
	 * Sleeps towards the next tick. Returns the time to take it at, or undefined when it woke
	 * before the tick was due: long waits are slept in slices, so the caller can see a stop
	 * request in between.
	 */
	nextTick(): number | undefined {
		let now = this.clock;
		if (now < this.due) {
			const early = this.due - now;
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

				if (woke < this.due - 1) {
					this.clock = woke;
					return undefined;
				}

				now = woke;
			}
		}

		const owedUs = now - this.due;
		if (owedUs > maxBacklogUs) {
			// Stalled for very long: skip, and count, what is beyond catching up.
			const skipped = Math.floor((owedUs - maxBacklogUs) / this.intervalUs) + 1;
			this.missed += skipped;
			this.due += skipped * this.intervalUs;
		}

		if (now - this.due > this.intervalUs) {
			this.late++;
		}

		this.due += this.intervalUs;
		return now;
	}

	/** Reads the clock anew (after a tick's work, or housekeeping that took a while). */
	readClock(): number {
		this.clock = nowUs();
		return this.clock;
	}
}
