// Whole numbers with thousands separators, as `toLocaleString('en-US')` writes them (`1,234`),
// without it: the first call of toLocaleString loads ICU's locale data, 38-53 ms of CPU at
// load 40, paid by every run and attach for its summary line.

export function thousands(value: number): string {
	const digits = String(Math.abs(Math.round(value)));
	const grouped = digits.replaceAll(/\B(?=(?:\d{3})+$)/g, ',');
	return value < 0 && grouped !== '0' ? `-${grouped}` : grouped;
}
