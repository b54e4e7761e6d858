// Fixed-point numbers as Python's format() writes them (`f"{x:.1f}"`), for output compared with
// Tachyon's: both round the double's exact value, but where it lies exactly halfway (497.25,
// 0.125) JavaScript's toFixed rounds away from zero and Python to the even digit, so a
// magnification of 1,989 / 4 printed 497.3x beside Tachyon's 497.2x.

/** Digits of the exact value kept beyond the wanted ones to tell a true tie (doubles near it differ within ~17). */
const tieDigits = 30;
const tie = `5${'0'.repeat(tieDigits - 1)}`;

export function pythonFixed(value: number, digits: number): string {
	const rounded = value.toFixed(digits);
	if (!Number.isFinite(value) || digits + tieDigits > 100) {
		return rounded;
	}

	// toFixed with many digits writes the double's exact decimal value (it has few enough here to be exact).
	const exact = Math.abs(value).toFixed(digits + tieDigits);
	if (!exact.endsWith(tie)) {
		return rounded;
	}

	// A tie: keep the truncated digits when their last one is even (toFixed went up instead).
	const truncated = exact.slice(0, exact.length - tieDigits).replace(/\.$/, '');
	const last = Number(truncated.at(-1));
	if (last % 2 === 1) {
		return rounded;
	}

	return value < 0 ? `-${truncated}` : truncated;
}
