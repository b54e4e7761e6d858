// Pyroscope's HTTP ingest API as its own clients use it: POST SERVER/ingest with the series
// and time range in the query (`name=APP{k=v,…}&from=&until=&format=pprof&sampleRate=&spyName=`)
// and the gzipped pprof as the file field `profile` of a multipart/form-data body.
import {randomBytes} from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import {UserError} from '../../common/errors.js';

export type Label = readonly [name: string, value: string];

/** One window of one process, ready to send. */
export type IngestRequest = {
	/** `app{k=v,…}`: the series. */
	readonly name: string;
	/** Unix seconds. */
	readonly from: number;
	readonly until: number;
	readonly sampleRate: number;
	/** The gzipped pprof. */
	readonly profile: Uint8Array;
};

export type PushOutcome =
	| {readonly kind: 'sent'; readonly status: number}
	/** Worth trying again: no connection, a timeout, 5xx, 408, 429. */
	| {readonly kind: 'retry'; readonly reason: string}
	/** The server will never take it (4xx): trying again would only repeat the answer. */
	| {readonly kind: 'rejected'; readonly reason: string};

// Pyroscope's rules for label names; values must not break the `{k=v,…}` syntax of the name.
const labelNamePattern = /^[A-Za-z_][\w.]*$/;
const forbiddenInValue = /[{},=\s"]/;

export function checkLabel(name: string, value: string, what: string): void {
	if (!labelNamePattern.test(name) || name.startsWith('__')) {
		throw new UserError(`${what}: \`${name}\` is not a label name (letters, digits, _ and ., not starting with a digit or __)`, 2);
	}

	if (value === '' || forbiddenInValue.test(value)) {
		throw new UserError(`${what}: the value of \`${name}\` must be non-empty, without spaces, quotes, \`{\`, \`}\`, \`,\` or \`=\` (got \`${value}\`)`, 2);
	}
}

/** `--tag env=prod` → ['env', 'prod']. */
export function parseTag(text: string): Label {
	const equals = text.indexOf('=');
	if (equals <= 0) {
		throw new UserError(`Expected \`--tag\` as NAME=VALUE, got \`${text}\``, 2);
	}

	const label: Label = [text.slice(0, equals), text.slice(equals + 1)];
	checkLabel(label[0], label[1], '--tag');
	return label;
}

/** `--header 'Authorization: Bearer x'` → ['Authorization', 'Bearer x']. */
export function parseHeader(text: string): Label {
	const colon = text.indexOf(':');
	const name = colon > 0 ? text.slice(0, colon).trim() : '';
	const value = colon > 0 ? text.slice(colon + 1).trim() : '';
	if (!/^[!#$%&'*+.^`|~\w-]+$/.test(name) || value === '' || /[\r\n]/.test(value)) {
		throw new UserError(`Expected \`--header\` as 'Name: value' (e.g. 'X-Scope-OrgID: team-a'), got \`${text}\``, 2);
	}

	return [name, value];
}

/** The application name: Pyroscope's `name` before the labels. */
export function checkAppName(app: string): void {
	if (!/^[\w.\-/:]+$/.test(app)) {
		throw new UserError(`Expected \`--app\` to be a name of letters, digits and _ . - / : (got \`${app}\`)`, 2);
	}
}

export function seriesName(app: string, labels: readonly Label[]): string {
	return `${app}{${labels.map(([name, value]) => `${name}=${value}`).join(',')}}`;
}

/** `http://host:4040` (or with a path prefix, behind a proxy) → its ingest URL for this request. */
export function ingestUrl(server: string, request: IngestRequest): string {
	const query = new URLSearchParams({
		name: request.name,
		from: String(request.from),
		until: String(request.until),
		format: 'pprof',
		sampleRate: String(Math.round(request.sampleRate)),
		spyName: 'tachyon-top',
	});
	return `${server.replace(/\/+$/, '')}/ingest?${query.toString()}`;
}

/** The body Pyroscope's clients send: one file part named `profile`. */
export function multipartBody(profile: Uint8Array): {body: Buffer; contentType: string} {
	const boundary = `tachyon-top-${randomBytes(12).toString('hex')}`;
	const head = `--${boundary}\r\nContent-Disposition: form-data; name="profile"; filename="profile.pb.gz"\r\nContent-Type: application/octet-stream\r\n\r\n`;
	return {
		body: Buffer.concat([Buffer.from(head), profile, Buffer.from(`\r\n--${boundary}--\r\n`)]),
		contentType: `multipart/form-data; boundary=${boundary}`,
	};
}

/** Checks `--server` once, at start: a bad URL is a usage error, not a failed push every interval. */
export function checkServer(server: string): void {
	let url: URL;
	try {
		url = new URL(server);
	} catch {
		throw new UserError(`Expected \`--server\` to be a URL such as http://localhost:4040, got \`${server}\``, 2);
	}

	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new UserError(`Expected \`--server\` to be an http:// or https:// URL, got \`${server}\``, 2);
	}
}

export async function push(server: string, headers: readonly Label[], request: IngestRequest, timeoutMs: number): Promise<PushOutcome> {
	const {body, contentType} = multipartBody(request.profile);
	let response: HttpResponse;
	try {
		response = await post(ingestUrl(server, request), [...headers, ['Content-Type', contentType]], body, timeoutMs);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		return {kind: 'retry', reason: code ?? (error instanceof Error ? error.message : String(error))};
	}

	if (response.status >= 200 && response.status < 300) {
		return {kind: 'sent', status: response.status};
	}

	// A short excerpt of the answer explains a rejection.
	const excerpt = response.text.trim().split('\n')[0]!.slice(0, 200);
	const reason = `${response.status} ${response.statusText}${excerpt === '' ? '' : `: ${excerpt}`}`;
	return response.status >= 500 || response.status === 408 || response.status === 429 ? {kind: 'retry', reason} : {kind: 'rejected', reason};
}

type HttpResponse = {readonly status: number; readonly statusText: string; readonly text: string};

// Connections are kept open between pushes (one every interval per process).
const agents = {'http:': new http.Agent({keepAlive: true, maxSockets: 2}), 'https:': new https.Agent({keepAlive: true, maxSockets: 2})};

/** One POST with node's own client: the answer's status and (the start of) its text. */
async function post(url: string, headers: readonly Label[], body: Buffer, timeoutMs: number): Promise<HttpResponse> {
	const target = new URL(url);
	const client = target.protocol === 'https:' ? https : http;
	return new Promise((resolve, reject) => {
		const request = client.request(target, {
			method: 'POST',
			agent: agents[target.protocol as 'http:' | 'https:'],
			headers: {...Object.fromEntries(headers), 'Content-Length': String(body.length)},
			timeout: timeoutMs,
		}, response => {
			let text = '';
			response.setEncoding('utf8');
			response.on('data', (chunk: string) => {
				text = text.length < 4096 ? text + chunk : text;
			});
			response.on('end', () => {
				resolve({status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', text});
			});
			response.on('error', reject);
		});
		request.on('timeout', () => {
			request.destroy(Object.assign(new Error('timed out'), {code: 'timed out'}));
		});
		request.on('error', reject);
		request.end(body);
	});
}

/** Closes the kept-open connections, so a stopping agent exits at once. */
export function closeConnections(): void {
	agents['http:'].destroy();
	agents['https:'].destroy();
}
