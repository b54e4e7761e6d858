// Sleeping between samples. At 10 kHz wake-ups are most of the sampler's cost (~15 µs of CPU
// each on this VM, mostly the hypervisor's timer exits). A plain clock_nanosleep is the
// cheapest sleep there is: never dearer than a timed Atomics.wait, by up to 1.5 µs a wake-up
// in some runs (`npm run bench -- --only floor` measures both). The price is that a stop
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
