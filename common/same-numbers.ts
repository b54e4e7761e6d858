// Whether two runs of numbers are the same, element for element: a stack against the last one
// written (exporters/binary-writer.ts), a task's frames against the last read (sampler/asyncio.ts).

/** Whether `a` and `b` hold the same numbers in the same order. */
export function sameNumbers(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
	if (a.length !== b.length) {
		return false;
	}

	for (let index = 0; index < a.length; index++) {
		if (a[index] !== b[index]) {
			return false;
		}
	}

	return true;
}
