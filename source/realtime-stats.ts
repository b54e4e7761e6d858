// --realtime-stats: once a second, the achieved rate (mean, min, max) on stderr.
import type {SampleBatch} from '../sampler/protocol.js';

/** --blocking: what stopping the target costs per sample. */
function pauseCost(batch: SampleBatch): string {
	const {pauseUs, pauses} = batch.stats;
	return pauses ? ` Pause: ${(pauseUs! / pauses).toFixed(1)}µs/sample` : '';
}

export class RealtimeStats {
	private ticks = 0;
	private windowUs = 0;
	private shortestUs = Number.POSITIVE_INFINITY;
	private longestUs = 0;
	private lastPrint = performance.now();
	private total = 0;

	add(batch: SampleBatch): void {
		for (let index = 0; index < batch.ticks.length; index += 3) {
			const standsFor = batch.ticks[index + 1]!;
			this.ticks++;
			this.total++;
			this.windowUs += standsFor;
			this.shortestUs = Math.min(this.shortestUs, standsFor);
			this.longestUs = Math.max(this.longestUs, standsFor);
		}

		const now = performance.now();
		if (now - this.lastPrint >= 1000 && this.ticks > 0) {
			const meanUs = this.windowUs / this.ticks;
			const hz = (us: number) => (us > 0 ? 1e6 / us : 0).toFixed(1);
			const errors = batch.stats.attempts > 0 ? (batch.stats.errors / batch.stats.attempts) * 100 : 0;
			const line = `Stats: ${hz(meanUs)}Hz (${meanUs.toFixed(1)}µs) Min: ${hz(this.longestUs)}Hz Max: ${hz(this.shortestUs)}Hz N=${this.total} Errors: ${errors.toFixed(2)}% Missed: ${batch.stats.missed}${pauseCost(batch)}`;
			process.stderr.write(process.stderr.isTTY ? `\r\u001B[K${line}` : `${line}\n`);
			this.lastPrint = now;
			this.ticks = 0;
			this.windowUs = 0;
			this.shortestUs = Number.POSITIVE_INFINITY;
			this.longestUs = 0;
		}
	}

	finish(): void {
		if (process.stderr.isTTY && this.total > 0) {
			process.stderr.write('\n');
		}
	}
}
