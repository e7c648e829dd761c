// Test helper: a fake Marathon on 127.0.0.1 serving GET /v2/apps and the /v2/events SSE stream in Marathon's wire
// format (reference/marathon-lb.md §4), for poller tests, end-to-end tests and benchmarks. I/O: an HTTP server.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeHttpServer, listen } from '../../dns/listen.js';

interface Stream {
  readonly res: ServerResponse;
  /** The event_type filter of the request; empty means every event (as Marathon does without the parameter). */
  readonly types: ReadonlySet<string>;
}

/** An SSE frame as Marathon writes it: the type line, one line of JSON, a blank line. */
function frame(eventType: string, fields: Record<string, unknown>): string {
  const { timestamp, eventType: _ignored, ...payload } = fields;
  const at = typeof timestamp === 'string' ? timestamp : new Date().toISOString();
  // Marathon puts eventType and timestamp after the payload fields (fixtures/marathon-lb/synthetic/marathon-sse-events.txt).
  return `event: ${eventType}\ndata: ${JSON.stringify({ ...payload, eventType, timestamp: at })}\n\n`;
}

function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
}

export class FakeMarathon {
  readonly url: string;
  private readonly server: Server;
  private readonly streams = new Set<Stream>();
  private body = JSON.stringify({ apps: [] });
  private status = 200;
  private served = 0;
  private connections = 0;
  private query = '';

  private constructor(server: Server, port: number) {
    this.server = server;
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Listens on 127.0.0.1 on a port the system picks; serves `{"apps": []}` until setApps. */
  static async start(): Promise<FakeMarathon> {
    let fake: FakeMarathon | null = null;
    const server = createServer((req, res) => fake?.handle(req, res));
    const port = await listen(server, 0, '127.0.0.1');
    fake = new FakeMarathon(server, port);
    return fake;
  }

  /** How many GET /v2/apps were answered (whatever the answer). */
  get appsRequests(): number {
    return this.served;
  }

  /** How many /v2/events streams were opened in total. */
  get eventConnections(): number {
    return this.connections;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** The query string (without "?") of the last /v2/events request; "" before the first. */
  get lastEventsQuery(): string {
    return this.query;
  }

  /** The document served at GET /v2/apps (any query), JSON-encoded; clears setRaw. */
  setApps(doc: unknown): void {
    this.status = 200;
    this.body = JSON.stringify(doc);
  }

  /** Serves this status and body at GET /v2/apps instead (errors, malformed JSON), until setApps. */
  setRaw(status: number, body: string): void {
    this.status = status;
    this.body = body;
  }

  /** Writes one event to every open stream whose event_type filter lets it through. */
  sendEvent(eventType: string, fields: Record<string, unknown> = {}): void {
    const text = frame(eventType, fields);
    for (const stream of this.streams) if (stream.types.size === 0 || stream.types.has(eventType)) stream.res.write(text);
  }

  /** Destroys every open event stream abruptly; clients see the connection die and must reconnect. */
  dropStreams(): void {
    for (const stream of this.streams) stream.res.destroy();
    this.streams.clear();
  }

  /** Closes every stream and the server, connections included. */
  async close(): Promise<void> {
    this.dropStreams();
    await closeHttpServer(this.server);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake-marathon');
    if (url.pathname === '/v2/apps' || url.pathname === '/v2/events') {
      if (req.method !== 'GET') {
        sendJson(res, 405, JSON.stringify({ message: `${req.method ?? ''} is not supported on ${url.pathname} by this fake` }));
        return;
      }
      if (url.pathname === '/v2/apps') this.serveApps(res);
      else this.openStream(req, res, url);
      return;
    }
    // Marathon's own (Jersey) answer for a path it does not know.
    sendJson(res, 404, JSON.stringify({ message: 'HTTP 404 Not Found' }));
  }

  private serveApps(res: ServerResponse): void {
    this.served += 1;
    sendJson(res, this.status, this.body);
  }

  private openStream(req: IncomingMessage, res: ServerResponse, url: URL): void {
    this.connections += 1;
    this.query = url.search.replace(/^\?/, '');
    const stream: Stream = { res, types: new Set(url.searchParams.getAll('event_type')) };
    this.streams.add(stream);
    res.on('close', () => this.streams.delete(stream));
    // No content-length, so node:http sends the long-lived body chunked, as Marathon does.
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-store, must-revalidate' });
    // Marathon greets every subscriber at once, whatever the filter.
    res.write(frame('event_stream_attached', { remoteAddress: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '' }));
  }
}
