// Test helper: one-shot HTTP, HTTPS and TCP clients for loopback addresses, with an explicit Host header (which
// fetch cannot set) and bounded time. I/O: opens sockets to 127.0.0.0/8 only.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface RequestOptions {
  readonly port: number;
  /** Loopback address to connect to; default 127.0.0.1. */
  readonly address?: string;
  readonly path?: string;
  /** The Host header; `address:port` when absent (HTTP/1.1 requires one, and node:http servers answer 400 without). */
  readonly hostHeader?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Use TLS (any certificate accepted) with this SNI name. */
  readonly tlsServername?: string;
  readonly timeoutMs?: number;
}

function assertLoopback(address: string): void {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address)) throw new Error(`test clients talk to 127.0.0.0/8 only, not ${address}`);
}

/** A GET on a fresh connection closed afterwards (no keep-alive, so every request is balanced anew). */
export function get(options: RequestOptions): Promise<Reply> {
  const address = options.address ?? '127.0.0.1';
  assertLoopback(address);
  const timeoutMs = options.timeoutMs ?? 3_000;
  const path = options.path ?? '/';
  const hostHeader = options.hostHeader ?? `${address}:${options.port}`;
  const headers: Record<string, string> = { connection: 'close', ...options.headers, host: hostHeader };
  const what = `GET ${address}:${options.port}${path} (Host: ${hostHeader})`;
  return new Promise((resolve, reject) => {
    const common = { host: address, port: options.port, path, method: 'GET', headers, agent: false as const, setHost: false };
    const req =
      options.tlsServername === undefined
        ? httpRequest(common)
        : httpsRequest({ ...common, servername: options.tlsServername, rejectUnauthorized: false });
    const timer = setTimeout(() => req.destroy(new Error(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
      res.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${what} failed: ${error.message}`));
    });
    req.end();
  });
}

/**
 * Connects to address:port, writes `payload`, and collects what comes back until `expectedBytes` bytes arrived
 * (then closes), the peer closes, or the time is up (which rejects).
 */
export function tcpExchange(port: number, payload: string, expectedBytes: number, address = '127.0.0.1', timeoutMs = 3_000): Promise<string> {
  assertLoopback(address);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const socket = connect({ host: address, port });
    const done = (error: Error | null): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error === null) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(error);
    };
    const timer = setTimeout(
      () => done(new Error(`TCP ${address}:${port}: got ${received} of ${expectedBytes} bytes in ${timeoutMs} ms: ${JSON.stringify(Buffer.concat(chunks).toString('utf8'))}`)),
      timeoutMs,
    );
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= expectedBytes) done(null);
    });
    socket.on('end', () => done(null));
    socket.on('error', (error) => done(new Error(`TCP ${address}:${port} failed: ${error.message}`)));
  });
}

/** True when something accepts TCP connections on address:port right now. */
export function accepts(port: number, address = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  assertLoopback(address);
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('connect', () => finish(true));
    socket.on('error', () => finish(false));
  });
}
