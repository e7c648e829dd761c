// The mesos-dns compatible HTTP API (/v1/version, /v1/config, /v1/hosts, /v1/services, /v1/enumerate, /v1/axfr).
// routeV1() is pure (request → status and JSON body) but for /v1/axfr's hold on the table it reads (see
// HttpAnswer.done); HttpApi is the thin node:http shell around it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { EnumeratedFramework, RecordSet } from './records.js';
import { asciiLower } from './answer.js';
import { pumpJson } from './json-pump.js';
import { LazyObject, LazyValue, jsonText } from './json-text.js';
import { closeHttpServer, listen } from './listen.js';

export interface HttpView {
  /** Null until the first good state is loaded. */
  readonly records: RecordSet | null;
  /**
   * /v1/enumerate's frameworks for the records served ([] before the first state), built when asked for: as steps
   * (pausing as recordSteps does), since at 100k tasks that is more than a second of work.
   */
  readonly enumerate: () => Generator<void, readonly EnumeratedFramework[]>;
  readonly domain: string;
  readonly ttl: number;
  readonly serial: number;
  readonly refreshSeconds: number;
  readonly mname: string;
  readonly rname: string;
  readonly enumerationOn: boolean;
  readonly version: string;
  /** The running configuration with secrets already redacted. */
  readonly config: Readonly<Record<string, unknown>>;
}

export interface HttpAnswer {
  readonly status: number;
  /** Text, or a JSON value in which dns/json-text.ts's lazy parts may stand for what is too large to build whole. */
  readonly body: unknown;
  /** Called once the body is written, cut short or not sent (HEAD): a lazy body's reader lets go of what it held. */
  readonly done?: () => void;
}

/** Extra routes the composition root mounts beside /v1 (health, metrics, diagnostics). */
export type ExtraRoute = (method: string, path: string) => HttpAnswer | null;

/** A name from a URL path as mesos-dns reads it: lower case, ".*" removed, fully qualified. */
function lookupName(raw: string): string {
  const name = asciiLower(decodeURIComponent(raw)).replaceAll('.*', '');
  return name.endsWith('.') ? name : `${name}.`;
}

function hosts(view: HttpView, raw: string): HttpAnswer {
  const name = lookupName(raw);
  const records = view.records;
  const ips = [...(records?.a.get(name) ?? []), ...(records?.aaaa.get(name) ?? [])];
  // mesos-dns answers 200 with one empty record; switchyard keeps that body but says 404.
  if (ips.length === 0) return { status: 404, body: [{ host: '', ip: '' }] };
  return { status: 200, body: ips.map((ip) => ({ host: name, ip })) };
}

function services(view: HttpView, raw: string): HttpAnswer {
  const name = lookupName(raw);
  const records = view.records;
  const body: { service: string; host: string; ip: string; port: string }[] = [];
  for (const { target, port } of records?.srv.get(name) ?? []) {
    // As in mesos-dns: one entry per address family, with the target's first address of that family.
    for (const ip of [records?.a.get(target)?.[0], records?.aaaa.get(target)?.[0]]) {
      if (ip !== undefined) body.push({ service: decodeURIComponent(raw), host: target, ip, port: String(port) });
    }
  }
  if (body.length === 0) return { status: 404, body: [{ service: '', host: '', ip: '', port: '' }] };
  return { status: 200, body };
}

/** SRV sets as /v1/axfr lists them: "target:port" strings. */
function* srvStrings(records: RecordSet | null): Generator<[string, string[]]> {
  for (const [name, targets] of records?.srv ?? []) yield [name, targets.map((t) => `${t.target}:${t.port}`)];
}

function axfr(view: HttpView): HttpAnswer {
  const records = view.records;
  // Every record of the zone (1.2M at 100k tasks): produced while the body is written, not built first. The body
  // reads them over many turns of the event loop, during which a newer zone may be served: its table is held.
  return {
    status: 200,
    done: records?.hold?.(),
    body: {
      TTL: view.ttl,
      Serial: view.serial,
      RefreshSeconds: view.refreshSeconds,
      Mname: view.mname,
      Rname: view.rname,
      Domain: view.domain,
      Records: {
        As: new LazyObject(() => records?.a ?? []),
        AAAAs: new LazyObject(() => records?.aaaa ?? []),
        SRVs: new LazyObject(() => srvStrings(records)),
      },
    },
  };
}

/**
 * Routes one request of the /v1 API; null when the path is not part of it. An answer with `done` holds what its body
 * reads (/v1/axfr: the zone's answer table) until `done` is called: a caller must call it once the body is written
 * or dropped, or that table stays until TableSwap gives up on it (30 s) and leaves it to the garbage collector.
 */
export function routeV1(view: HttpView, method: string, path: string): HttpAnswer | null {
  if (!path.startsWith('/v1/')) return null;
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, body: { error: 'only GET is supported' } };
  const [, , resource = '', arg, extra] = path.split('/');
  switch (resource) {
    case 'version':
      return { status: 200, body: { Service: 'switchyard', URL: '', Version: view.version } };
    case 'config':
      return { status: 200, body: view.config };
    case 'hosts':
      if (arg === undefined || arg === '') break;
      if (extra === 'ports') return { status: 501, body: { error: 'not implemented, as in mesos-dns' } };
      return hosts(view, arg);
    case 'services':
      if (arg === undefined || arg === '') break;
      return services(view, arg);
    case 'enumerate':
      if (!view.enumerationOn) break;
      return { status: 200, body: { frameworks: new LazyValue(view.enumerate) } };
    case 'axfr':
      if (!view.enumerationOn) break;
      return axfr(view);
    default:
      break;
  }
  return { status: 404, body: { error: `no such resource: ${path}` } };
}

export class HttpApi {
  private server: Server | null = null;

  constructor(
    private readonly getView: () => HttpView,
    private readonly logger: Logger,
    private readonly extra: ExtraRoute = () => null,
  ) {}

  /** Listens; resolves to the bound port (useful with port 0). */
  start(port: number, host: string): Promise<number> {
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    return listen(server, port, host);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server !== null) await closeHttpServer(server);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://switchyard').pathname;
    let result: HttpAnswer | null;
    try {
      // Extra routes first: they add resources under /v1 (the load balancer's) as well as outside it.
      result = this.extra(method, path) ?? routeV1(this.getView(), method, path);
    } catch (error) {
      this.logger.error({ err: error, path }, 'HTTP API request failed');
      result = { status: 500, body: { error: 'internal error' } };
    }
    const answer = result ?? { status: 404, body: { error: `no such resource: ${path}` } };
    if (answer.done !== undefined) res.once('close', answer.done);
    if (typeof answer.body === 'string') {
      res.writeHead(answer.status, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(method === 'HEAD' ? undefined : answer.body);
      return;
    }
    // Sent with the first write: a body that fails before any of it is written can still be answered with a 500.
    res.statusCode = answer.status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    if (method === 'HEAD') {
      res.end();
      return;
    }
    pumpJson(res, withNewline(answer.body)).catch((error: unknown) => {
      this.logger.error({ err: error, path }, 'HTTP API request failed');
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end(`${JSON.stringify({ error: 'internal error' }, null, 2)}\n`);
        return;
      }
      // The head and part of the body have gone out: cutting the body short is what the client can still be told.
      res.destroy();
    });
  }
}

function* withNewline(body: unknown): Generator<string | undefined, void> {
  yield* jsonText(body);
  yield '\n';
}
