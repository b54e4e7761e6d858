// `agent --output-dir DIR`: one pprof file per window per process, for any shipper to pick up.
// Each file appears whole (written beside, then renamed), so a shipper never reads half of one.
import fs from 'node:fs';
import path from 'node:path';

/** `APP_PID_20261130T030000.123Z.pb.gz`: sorts by time within a process. */
export function windowFileName(app: string, pid: number, fromMs: number): string {
	const stamp = new Date(fromMs).toISOString().replaceAll(/[-:]/g, '');
	return `${app.replaceAll(/[^\w.-]/g, '_')}_${pid}_${stamp}.pb.gz`;
}

export function writeWindowFile(directory: string, name: string, data: Uint8Array): string {
	const target = path.join(directory, name);
	const partial = path.join(directory, `.${name}.partial`);
	fs.writeFileSync(partial, data);
	fs.renameSync(partial, target);
	return target;
}
