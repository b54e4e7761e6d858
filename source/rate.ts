// Friendlier parsing of sampling rates and durations than Tachyon's (which rejects `1mhz`).
import {UserError} from '../common/errors.js';

const rateUnits: Record<string, number> = {'': 1, hz: 1, k: 1e3, khz: 1e3, m: 1e6, mhz: 1e6};

/** `1000`, `10khz`, `10k`, `1mhz`, `1.5khz`, `1000000` → Hz. */
export function parseRate(text: string): number {
	const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(text);
	const unit = match ? rateUnits[match[2]!.toLowerCase()] : undefined;
	const hz = match && unit !== undefined ? Number(match[1]) * unit : Number.NaN;
	if (!Number.isFinite(hz) || hz <= 0 || hz > 10e6) {
		throw new UserError(`Expected \`--sampling-rate\` to be a rate like 1000, 10khz, 10k or 1mhz (up to 10 MHz), got \`${text}\``, 2);
	}

	return hz;
}

/** Seconds as a positive number: `10`, `2.5`, `30s`, `2m`. */
export function parseDuration(text: string, flag = '--duration'): number {
	const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(s|sec|m|min|h|ms)?\s*$/i.exec(text);
	const factor = {s: 1, sec: 1, m: 60, min: 60, h: 3600, ms: 0.001}[(match?.[2] ?? 's').toLowerCase() as 's'] ?? 1;
	const seconds = match ? Number(match[1]) * factor : Number.NaN;
	if (!Number.isFinite(seconds) || seconds <= 0) {
		throw new UserError(`Expected \`${flag}\` to be a number of seconds greater than 0, got \`${text}\``, 2);
	}

	return seconds;
}

export function intervalFromRate(hz: number): number {
	return Math.max(1, Math.round(1e6 / hz));
}
