// Test helper: many stand-in Marathon tasks served by one HTTP handler behind one listening socket per task
// (host:port on 127.0.0.0/8), each answering with identity(app, task, …) and counting its hits. I/O: loopback sockets.
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { identity } from './backends.js';

export interface FarmTask {
  readonly host: string;
  readonly port: number;
  readonly app: string;
  readonly task: string;
  /** Requests served so far. */
  readonly hits: () => number;
}

interface Entry {
  readonly task: FarmTask;
  readonly listener: TcpServer;
  readonly sockets: Set<Socket>;
  hits: number;
}

const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

export class TaskFarm {
  private readonly byKey = new Map<string, Entry>();
  private readonly http = createHttpServer((req, res) => {
    const key = `${req.socket.localAddress ?? ''}:${req.socket.localPort ?? 0}`;
    const entry = this.byKey.get(key);
    if (entry === undefined) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`no task at ${key}`);
      return;
    }
    entry.hits += 1;
    const body = identity(entry.task.app, entry.task.task, req.url ?? '', req.headers.host ?? '');
    // `/slow/<ms>` answers after a delay (at most 30 s): a long request that keeps an old HAProxy worker draining.
    const delay = Math.min(30_000, Number(/^\/slow\/(\d+)/.exec(req.url ?? '')?.[1] ?? 0));
    const answer = (): void => void res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) }).end(body);
    if (delay > 0) setTimeout(answer, delay).unref();
    else answer();
  });

  constructor() {
    this.http.keepAliveTimeout = 5_000;
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Requests the task at host:port has served; 0 for one that is not running. */
  hitsOf(task: Pick<FarmTask, 'host' | 'port'>): number {
    return this.byKey.get(`${task.host}:${task.port}`)?.hits ?? 0;
  }

  /** Starts a task listening on host:port (0: a free port). */
  async start(host: string, app: string, task: string, port = 0): Promise<FarmTask> {
    if (!LOOPBACK.test(host)) throw new Error(`tasks listen on 127.0.0.0/8 only, not ${host}`);
    const sockets = new Set<Socket>();
    const listener = createTcpServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      this.http.emit('connection', socket);
    });
    const bound = await new Promise<number>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen({ host, port, backlog: 1024 }, () => {
        listener.off('error', reject);
        const address = listener.address();
        if (address === null || typeof address === 'string') reject(new Error(`no TCP address for ${host}`));
        else resolve(address.port);
      });
    });
    let entry: Entry;
    const farmTask: FarmTask = { host, port: bound, app, task, hits: () => entry.hits };
    entry = { task: farmTask, listener, sockets, hits: 0 };
    this.byKey.set(`${host}:${bound}`, entry);
    return farmTask;
  }

  /** Stops a task as a killed process would: the listener closes and open connections are reset. */
  async stop(task: Pick<FarmTask, 'host' | 'port'>): Promise<void> {
    const key = `${task.host}:${task.port}`;
    const entry = this.byKey.get(key);
    if (entry === undefined) return;
    this.byKey.delete(key);
    for (const socket of entry.sockets) socket.destroy();
    await new Promise<void>((resolve) => entry.listener.close(() => resolve()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.byKey.values()].map((e) => this.stop(e.task)));
    this.http.close();
  }
}
