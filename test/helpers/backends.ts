// Test helper: stand-in Marathon tasks on loopback addresses (HTTP servers that answer with who they are, a TCP echo
// server) and a free-port finder, for end-to-end load-balancer tests. I/O: listens on 127.0.0.0/8 sockets only.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';

export interface Backend {
  /** The loopback address it listens on, e.g. 127.0.10.1. */
  readonly host: string;
  readonly port: number;
  /** Requests (HTTP) or connections (TCP) it has served. */
  readonly hits: () => number;
  close(): Promise<void>;
}

function assertLoopback(host: string): void {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) throw new Error(`test backends listen on 127.0.0.0/8 only, not ${host}`);
}

function listenOn(server: HttpServer | TcpServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error(`no TCP address for ${host}`));
      else resolve(address.port);
    });
  });
}

function closeServer(server: HttpServer | TcpServer, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The body an identity server answers with, e.g. "app=web task=1 path=/x host=web.test". */
export function identity(app: string, task: string, path: string, hostHeader: string): string {
  return `app=${app} task=${task} path=${path} host=${hostHeader}`;
}

/** An HTTP server on host:port (0: any free port) answering every request with identity(app, task, …). */
export async function startIdentityServer(host: string, app: string, task: string, port = 0): Promise<Backend> {
  assertLoopback(host);
  let hits = 0;
  const sockets = new Set<Socket>();
  const server = createHttpServer((req, res) => {
    hits += 1;
    const body = identity(app, task, req.url ?? '', req.headers.host ?? '');
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const bound = await listenOn(server, host, port);
  return { host, port: bound, hits: () => hits, close: () => closeServer(server, sockets) };
}

/** A TCP server on host:port that writes back every byte it receives, prefixed once per connection by `greeting`. */
export async function startEchoServer(host: string, greeting: string, port = 0): Promise<Backend> {
  assertLoopback(host);
  let hits = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    hits += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.write(greeting);
    socket.pipe(socket);
  });
  const bound = await listenOn(server, host, port);
  return { host, port: bound, hits: () => hits, close: () => closeServer(server, sockets) };
}

/**
 * `count` distinct TCP ports that were free on `host` a moment ago: all are bound at once (so they differ), then
 * released. Another process could take one in between; the caller binds them soon after.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  assertLoopback(host);
  const servers = Array.from({ length: count }, () => createTcpServer());
  try {
    return await Promise.all(servers.map((s) => listenOn(s, host, 0)));
  } finally {
    await Promise.all(servers.map((s) => (s.listening ? closeServer(s, new Set()) : Promise.resolve())));
  }
}
