// Test helper for the managed HAProxy and runtime API tests: a temp folder with a small master-worker config (loopback
// HTTP and TCP frontends, admin socket, state file, hard-stop-after), a log-collecting pino logger, our processes
// by config path, parallel Connection: close load and held TCP connections. I/O: files, /proc, loopback sockets.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { get } from './loopback-client.js';

export interface ServerSpec {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export interface ConfigSpec {
  readonly dir: string;
  readonly httpPort: number;
  readonly tcpPort: number;
  readonly web: readonly ServerSpec[];
  readonly echo: ServerSpec;
  /** Extra lines appended to the config (a server-template backend, a deliberate error). */
  readonly extra?: readonly string[];
}

/** Paths of one test's HAProxy files, all inside its own temp folder (so the config path identifies its processes). */
export interface HaproxyFiles {
  readonly dir: string;
  readonly configFile: string;
  readonly masterSocket: string;
  readonly adminSocket: string;
  readonly stateFile: string;
}

export function tempFiles(prefix: string): HaproxyFiles {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, configFile: join(dir, 'haproxy.cfg'), masterSocket: join(dir, 'master.sock'), adminSocket: join(dir, 'admin.sock'), stateFile: join(dir, 'server-state') };
}

export function removeFiles(files: HaproxyFiles): void {
  rmSync(files.dir, { recursive: true, force: true });
}

/**
 * A config in the shape the templates produce for master-worker mode. maxconn stays low because this machine's
 * descriptor limit is 20000; the long client/server timeouts leave `hard-stop-after 2s` as what ends old workers.
 */
export function haproxyConfig(spec: ConfigSpec): string {
  const server = (s: ServerSpec): string => `  server ${s.name} ${s.host}:${s.port}`;
  return [
    'global',
    '  maxconn 1000',
    `  stats socket ${join(spec.dir, 'admin.sock')} level admin`,
    `  server-state-file ${join(spec.dir, 'server-state')}`,
    '  hard-stop-after 2s',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  load-server-state-from-file global',
    'frontend web',
    `  bind 127.0.0.1:${spec.httpPort}`,
    '  default_backend web',
    'backend web',
    '  balance roundrobin',
    ...spec.web.map(server),
    'listen echo',
    '  mode tcp',
    `  bind 127.0.0.1:${spec.tcpPort}`,
    server(spec.echo),
    ...(spec.extra ?? []),
    '',
  ].join('\n');
}

export function writeConfig(files: HaproxyFiles, spec: Omit<ConfigSpec, 'dir'>): void {
  writeFileSync(files.configFile, haproxyConfig({ ...spec, dir: files.dir }));
}

export interface CollectingLogger {
  readonly logger: Logger;
  readonly lines: Array<{ level: number; msg: string } & Record<string, unknown>>;
}

export function collectingLogger(): CollectingLogger {
  const lines: CollectingLogger['lines'] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as CollectingLogger['lines'][number]) });
  return { logger, lines };
}

/** Pids of live (non-zombie) processes whose command line mentions `marker`, from /proc. */
export function processesMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (argv.split('\0').some((arg) => arg.includes(marker))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids.sort((a, b) => a - b);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8') !== ''; // a zombie has an empty command line
  } catch {
    return false;
  }
}

export interface LoadResult {
  readonly ok: number;
  readonly failures: readonly string[];
  readonly bodies: ReadonlyMap<string, number>;
}

/**
 * `parallel` loops of GETs on fresh connections (Connection: close) until stop() is called and at least `minimum`
 * requests were sent. Every failure (reset, timeout, non-200) is recorded, not thrown.
 */
export function startLoad(port: number, parallel: number, minimum: number): { sent: () => number; stop: () => Promise<LoadResult> } {
  let stopping = false;
  let sent = 0;
  let ok = 0;
  const failures: string[] = [];
  const bodies = new Map<string, number>();
  const loop = async (): Promise<void> => {
    while (!stopping || sent < minimum) {
      sent += 1;
      try {
        const reply = await get({ port, timeoutMs: 3_000 });
        if (reply.status === 200) ok += 1;
        else failures.push(`status ${reply.status}: ${reply.body.slice(0, 80)}`);
        bodies.set(reply.body, (bodies.get(reply.body) ?? 0) + 1);
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  };
  const loops = Array.from({ length: parallel }, () => loop());
  return {
    sent: () => sent,
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
      return { ok, failures, bodies };
    },
  };
}

/** A TCP connection through the echo frontend that has exchanged data (so a worker owns it) and stays open. */
export function holdConnection(port: number, timeoutMs = 3_000): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no echo through 127.0.0.1:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    let received = '';
    socket.on('connect', () => socket.write('ping'));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (received.endsWith('ping')) {
        clearTimeout(timer);
        resolve({ socket, closed });
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Polls `check` every 20 ms until it is true; throws `what` after `timeoutMs`. */
export async function eventually(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
