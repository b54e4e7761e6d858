// Sleeping between samples. A timed Atomics.wait costs ~1.5 µs more CPU per wake-up than a
// plain clock_nanosleep (measured here: 16.9 vs 15.4 µs, most of it the VM's timer exits), and
// at 10 kHz wake-ups are most of the sampler's cost. The price of nanosleep is that a stop
// request cannot interrupt it, so callers sleep in slices of at most maxSliceUs.
import koffi from 'koffi';

type NanosleepFn = (clock: number, flags: number, request: Int32Array, remain: null) => number;

const clockMonotonic = 1;
/** Longest single sleep, so that a stop request is seen within this many µs. */
export const maxSliceUs = 20_000;

let nanosleep: NanosleepFn | undefined;
// struct timespec {int64 tv_sec; int64 tv_nsec} as 32-bit halves, so no BigInt is made per call.
const request = new Int32Array(4);

/** Sleeps about `us` microseconds (at most maxSliceUs) on this thread. */
export function sleepUs(us: number): void {
	nanosleep ??= koffi.load('libc.so.6').func('int clock_nanosleep(int clockid, int flags, void *request, void *remain)') as unknown as NanosleepFn;
	const slice = Math.min(us, maxSliceUs);
	const seconds = Math.floor(slice / 1e6);
	request[0] = seconds;
	request[1] = 0;
	request[2] = Math.round((slice - (seconds * 1e6)) * 1000);
	request[3] = 0;
	nanosleep(clockMonotonic, 0, request, null);
}
