// A Pyroscope-style /ingest on 127.0.0.1 for the agent tests: it checks the request as
// Pyroscope's HTTP API documents it (POST, query name/from/until/format/sampleRate/spyName,
// multipart/form-data with the gzipped pprof in the file field `profile`) and keeps each window
// decoded. It can answer 503 for a while, or go down and come back on the same port.
import http from 'node:http';
import type {AddressInfo, Socket} from 'node:net';
import {decodePprof, type DecodedPprof} from './pprof-helpers.js';

export type ReceivedWindow = {
	readonly app: string;
	readonly labels: Record<string, string>;
	readonly from: number;
	readonly until: number;
	readonly query: URLSearchParams;
	readonly headers: http.IncomingHttpHeaders;
	readonly pprof: DecodedPprof;
	/** samples/count summed. */
	readonly samples: number;
	/** ms since the epoch, when it arrived. */
	readonly at: number;
};

/** Splits `multipart/form-data` into its parts by name (only what Pyroscope's clients send). */
export function multipartParts(body: Buffer, contentType: string): Map<string, {headers: string; data: Buffer}> {
	const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
	if (!boundary) {
		throw new Error(`no boundary in ${contentType}`);
	}

	const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
	const parts = new Map<string, {headers: string; data: Buffer}>();
	let at = body.indexOf(delimiter);
	while (at >= 0) {
		const start = at + delimiter.length;
		if (body.subarray(start, start + 2).toString() === '--') {
			break; // The closing delimiter.
		}

		const next = body.indexOf(delimiter, start);
		if (next < 0) {
			throw new Error('a part without its closing delimiter');
		}

		const part = body.subarray(start + 2, next - 2); // Past the CRLF after the delimiter, before the CRLF ahead of the next.
		const headerEnd = part.indexOf('\r\n\r\n');
		const headers = part.subarray(0, headerEnd).toString();
		const name = /Content-Disposition: form-data; name="([^"]+)"/i.exec(headers)?.[1];
		if (name !== undefined) {
			parts.set(name, {headers, data: part.subarray(headerEnd + 4)});
		}

		at = next;
	}

	return parts;
}

export class IngestServer {
	readonly windows: ReceivedWindow[] = [];
	/** Requests answered with an error, and malformed ones (a test fails on any). */
	readonly refused: string[] = [];
	readonly malformed: string[] = [];
	/** Answer this status instead of taking windows (503: "come back later"). */
	failWith: number | undefined;
	private server: http.Server | undefined;
	private readonly sockets = new Set<Socket>();
	private port = 0;

	get url(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	async start(): Promise<void> {
		this.server = http.createServer((request, response) => {
			this.handle(request, response);
		});
		this.server.on('connection', socket => {
			this.sockets.add(socket);
			socket.on('close', () => this.sockets.delete(socket));
		});
		await new Promise<void>((resolve, reject) => {
			this.server!.once('error', reject);
			this.server!.listen(this.port, '127.0.0.1', () => {
				this.port = (this.server!.address() as AddressInfo).port;
				resolve();
			});
		});
	}

	/** Stops listening and drops open connections: the agent sees connection refused. */
	async stop(): Promise<void> {
		const server = this.server;
		this.server = undefined;
		for (const socket of this.sockets) {
			socket.destroy();
		}

		await new Promise<void>(resolve => {
			if (server) {
				server.close(() => {
					resolve();
				});
			} else {
				resolve();
			}
		});
	}

	windowsOf(pid: number): ReceivedWindow[] {
		return this.windows.filter(window => window.labels['pid'] === String(pid));
	}

	private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			const url = new URL(request.url ?? '/', 'http://127.0.0.1');
			if (this.failWith !== undefined) {
				this.refused.push(`${this.failWith} ${url.search}`);
				response.writeHead(this.failWith).end('try again later\n');
				return;
			}

			try {
				this.windows.push(this.parse(request, url, Buffer.concat(chunks)));
				response.writeHead(200).end();
			} catch (error) {
				this.malformed.push((error as Error).message);
				response.writeHead(400).end(`${(error as Error).message}\n`);
			}
		});
	}

	private parse(request: http.IncomingMessage, url: URL, body: Buffer): ReceivedWindow {
		const problem = (message: string): never => {
			throw new Error(message);
		};

		if (request.method !== 'POST' || url.pathname !== '/ingest') {
			problem(`${request.method} ${url.pathname}`);
		}

		const query = url.searchParams;
		const name = /^([^{}]+)\{(.*)\}$/.exec(query.get('name') ?? '') ?? problem(`name ${query.get('name')}`);
		const labels = Object.fromEntries(name[2]!.split(',').filter(Boolean).map(pair => pair.split('=') as [string, string]));
		const from = Number(query.get('from'));
		const until = Number(query.get('until'));
		if (!Number.isInteger(from) || !Number.isInteger(until) || until <= from) {
			problem(`from ${query.get('from')} until ${query.get('until')}`);
		}

		if (query.get('format') !== 'pprof' || query.get('spyName') !== 'tachyon-top' || !/^\d+$/.test(query.get('sampleRate') ?? '')) {
			problem(`query ${url.search}`);
		}

		const parts = multipartParts(body, request.headers['content-type'] ?? problem('no content type'));
		const profile = parts.get('profile') ?? problem(`no profile part (${[...parts.keys()].join(', ')})`);
		if (!/filename="/.test(profile.headers)) {
			problem('the profile part is not a file');
		}

		const pprof = decodePprof(profile.data);
		const samples = pprof.samples.reduce((sum, sample) => sum + sample.values[0]!, 0);
		return {app: name[1]!, labels, from, until, query, headers: request.headers, pprof, samples, at: Date.now()};
	}
}
