// Forwards queries outside switchyard's zone to upstream resolvers, as mesos-dns does (plain forwarding, RFC 5625).
// Does I/O: opens one short-lived UDP or TCP socket per attempt and hands back the upstream's reply bytes unchanged.
import dgram from 'node:dgram';
import net from 'node:net';
import { HEADER_LENGTH } from './wire.js';

export interface ForwarderOptions {
  /** Upstreams as "IP" or "IP:port" or "[IPv6]:port"; default port 53. Tried in order. */
  readonly resolvers: readonly string[];
  /** Per-attempt timeout in milliseconds (switchyard passes mesos-dns's `timeout` seconds × 1000). */
  readonly timeoutMs: number;
}

export type ForwardResult =
  | { readonly ok: true; readonly reply: Buffer; readonly resolver: string }
  | { readonly ok: false; readonly errors: readonly string[] }; // one message per failed resolver

const DEFAULT_PORT = 53;
// RFC 1035 §4.1.1: TC is bit 0x02 of the third header byte.
const TC_BYTE = 2;
const TC_MASK = 0x02;
// RFC 1035 §4.2.2: the TCP length prefix is 16 bits, so nothing longer can be sent that way.
const MAX_TCP_MESSAGE = 0xffff;

interface Resolver {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** Canonical "host:port" ("[v6]:port"), used in results and error messages so logs are unambiguous. */
  readonly label: string;
}

type Attempt = { readonly ok: true; readonly reply: Buffer } | { readonly ok: false; readonly error: string };

/**
 * Parses "IP", "IP:port", "[IPv6]" or "[IPv6]:port". Only literal addresses are accepted, as in mesos-dns's config:
 * resolving a resolver's own name would need a resolver, and a bare IPv6 address with ":port" would be ambiguous.
 */
export function parseResolver(spec: string): { host: string; port: number } {
  const fail = (why: string): never => {
    throw new Error(`invalid resolver ${JSON.stringify(spec)}: ${why} (expected "IP", "IP:port" or "[IPv6]:port")`);
  };
  if (spec.startsWith('[')) {
    const match = /^\[([^\]]+)\](?::([^:]*))?$/.exec(spec);
    if (match === null) return fail('malformed bracketed address');
    const host = match[1] ?? '';
    if (!net.isIPv6(host)) return fail('brackets must hold an IPv6 address');
    return { host, port: match[2] === undefined ? DEFAULT_PORT : parsePort(match[2], fail) };
  }
  // A bare IPv6 address has several colons, so it must be matched whole before trying to split off a port.
  if (net.isIP(spec) !== 0) return { host: spec, port: DEFAULT_PORT };
  const colon = spec.lastIndexOf(':');
  if (colon < 0) return fail('not an IP address');
  const host = spec.slice(0, colon);
  if (!net.isIPv4(host)) return fail(host.includes(':') ? 'IPv6 with a port needs brackets' : 'not an IP address');
  return { host, port: parsePort(spec.slice(colon + 1), fail) };
}

function parsePort(text: string, fail: (why: string) => never): number {
  // Digits only: Number() would also take "0x35", " 53" or "5e1".
  if (!/^[0-9]{1,5}$/.test(text)) return fail(`bad port ${JSON.stringify(text)}`);
  const port = Number(text);
  if (port < 1 || port > 65535) return fail(`port ${port} out of range`);
  return port;
}

function toResolver(spec: string): Resolver {
  const { host, port } = parseResolver(spec);
  const family = net.isIPv6(host) ? 6 : 4;
  return { host, port, family, label: family === 6 ? `[${host}]:${port}` : `${host}:${port}` };
}

/** Compares literal addresses regardless of how an IPv6 one is spelled ("::1" vs "0:0::1"). */
function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  if (!net.isIPv6(a) || !net.isIPv6(b)) return false;
  try {
    // The WHATWG URL parser serialises IPv6 hosts canonically (RFC 5952), which is all we need here.
    return new URL(`http://[${a}]/`).hostname === new URL(`http://[${b}]/`).hostname;
  } catch {
    return false;
  }
}

function isTruncated(reply: Buffer): boolean {
  return ((reply[TC_BYTE] ?? 0) & TC_MASK) !== 0;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

export class Forwarder {
  private readonly resolvers: readonly Resolver[];
  private readonly timeoutMs: number;
  /** Aborters of attempts in flight, so close() can release their sockets and timers at once. */
  private readonly inFlight = new Set<(reason: string) => void>();
  private closed = false;

  constructor(options: ForwarderOptions) {
    // Validate up front so a bad config fails at startup, not on the first query that leaves the zone.
    this.resolvers = options.resolvers.map(toResolver);
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
      throw new Error(`invalid forwarder timeout ${options.timeoutMs} ms: must be a positive number`);
    }
    this.timeoutMs = options.timeoutMs;
  }

  /** query: the client's raw DNS message bytes (header+question+maybe OPT). transport: how the client asked. */
  async forward(query: Buffer, transport: 'udp' | 'tcp'): Promise<ForwardResult> {
    const errors: string[] = [];
    if (query.length < HEADER_LENGTH) {
      // Without a whole header there is no ID to match replies against, so no resolver can be asked.
      return { ok: false, errors: this.resolvers.map((r) => `${r.label}: not sent, query is only ${query.length} bytes`) };
    }
    for (const resolver of this.resolvers) {
      if (this.closed) {
        errors.push(`${resolver.label}: not tried, forwarder closed`);
        continue;
      }
      const attempt = await this.ask(resolver, query, transport);
      if (attempt.ok) return { ok: true, reply: attempt.reply, resolver: resolver.label };
      errors.push(attempt.error);
    }
    return { ok: false, errors };
  }

  /** Releases the sockets and timers of attempts in flight (their forward() settles with ok:false); idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const abort of [...this.inFlight]) abort('forwarder closed');
  }

  private async ask(resolver: Resolver, query: Buffer, transport: 'udp' | 'tcp'): Promise<Attempt> {
    if (transport === 'tcp') return this.exchangeTcp(resolver, query);
    const udp = await this.exchangeUdp(resolver, query);
    if (!udp.ok || !isTruncated(udp.reply) || this.closed) return udp;
    // mesos-dns would hand the truncated reply back and let the client retry; asking the same resolver over TCP
    // saves the client that round trip. The retry gets its own timeout, as it is a separate exchange.
    const tcp = await this.exchangeTcp(resolver, query);
    if (tcp.ok) return tcp;
    // The truncated reply is still a valid answer (it tells the client to use TCP), exactly what mesos-dns returns;
    // better than failing over to a resolver that would most likely truncate too.
    return udp;
  }

  /**
   * The lifecycle both transports share: the attempt settles once, under one timeout, and is registered so that
   * close() can abort it; `release` frees its socket when it settles.
   */
  private settleOnce(
    where: string,
    release: () => void,
    resolve: (attempt: Attempt) => void,
    timeoutNote: () => string = () => '',
  ): { finish: (attempt: Attempt) => void; abort: (reason: string) => void; settled: () => boolean } {
    let settled = false;
    const finish = (attempt: Attempt): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.inFlight.delete(abort);
      release();
      resolve(attempt);
    };
    const abort = (reason: string): void => finish({ ok: false, error: `${where}: ${reason}` });
    const timer = setTimeout(() => abort(`timed out after ${this.timeoutMs} ms${timeoutNote()}`), this.timeoutMs);
    // The socket keeps the process alive while the attempt runs; the timer alone need not.
    timer.unref();
    this.inFlight.add(abort);
    return { finish, abort, settled: () => settled };
  }

  private exchangeUdp(resolver: Resolver, query: Buffer): Promise<Attempt> {
    const id = query.readUInt16BE(0);
    const where = `${resolver.label} (udp)`;
    return new Promise<Attempt>((resolve) => {
      // A fresh socket per attempt gets a fresh random source port from the OS, which (with the ID) is what makes
      // spoofed replies hard to land (RFC 5452); connecting it makes the kernel drop datagrams from anyone else and
      // report an ICMP port-unreachable as ECONNREFUSED, so a dead resolver fails fast instead of timing out.
      const socket = dgram.createSocket(resolver.family === 6 ? 'udp6' : 'udp4');
      let ignored = 0;
      const release = (): void => {
        socket.removeAllListeners('message');
        // Keep an error listener: a late ICMP error after close would otherwise be an uncaught 'error' event.
        socket.on('error', () => undefined);
        try {
          socket.close();
        } catch {
          // Already closed (e.g. an error tore it down); nothing left to release.
        }
      };
      const timeoutNote = (): string => (ignored > 0 ? ` (ignored ${ignored} reply(s) too short or with the wrong ID)` : '');
      const { finish, abort, settled } = this.settleOnce(where, release, resolve, timeoutNote);

      socket.on('error', (error) => abort(messageOf(error)));
      socket.on('message', (message, rinfo) => {
        // Connected sockets are already filtered by the kernel; the check keeps that guarantee explicit.
        if (rinfo.port !== resolver.port || !sameAddress(rinfo.address, resolver.host)) return;
        // A wrong ID may be a late reply to an earlier query or a spoofing attempt: keep waiting for the real one.
        if (message.length < HEADER_LENGTH || message.readUInt16BE(0) !== id) {
          ignored += 1;
          return;
        }
        finish({ ok: true, reply: message });
      });
      socket.connect(resolver.port, resolver.host, () => {
        if (settled()) return;
        socket.send(query, (error) => {
          if (error) abort(`send failed: ${messageOf(error)}`);
        });
      });
    });
  }

  private exchangeTcp(resolver: Resolver, query: Buffer): Promise<Attempt> {
    const where = `${resolver.label} (tcp)`;
    if (query.length > MAX_TCP_MESSAGE) {
      return Promise.resolve({ ok: false, error: `${where}: query of ${query.length} bytes is too long for TCP` });
    }
    const id = query.readUInt16BE(0);
    return new Promise<Attempt>((resolve) => {
      const socket = net.createConnection({ host: resolver.host, port: resolver.port, noDelay: true });
      let received: Buffer = Buffer.alloc(0);
      const release = (): void => {
        socket.removeAllListeners('data');
        socket.on('error', () => undefined);
        // One query per connection, so there is nothing to wait for: destroy rather than a graceful end.
        socket.destroy();
      };
      // One timer for connect and reply together, so a slow handshake cannot stretch the attempt.
      const { finish, abort } = this.settleOnce(where, release, resolve);

      socket.on('error', (error) => abort(messageOf(error)));
      socket.on('connect', () => {
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(query.length);
        // One write, so the length and the message leave in the same segment where possible.
        socket.write(Buffer.concat([prefix, query]));
      });
      socket.on('data', (chunk: Buffer) => {
        // The reply may arrive split across several reads; accumulate until the announced length is in.
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
        if (received.length < 2) return;
        const length = received.readUInt16BE(0);
        if (received.length < 2 + length) return;
        // Copy out so the reply does not pin a larger pooled buffer or carry stray trailing bytes.
        const reply = Buffer.from(received.subarray(2, 2 + length));
        if (reply.length < HEADER_LENGTH) {
          abort(`reply too short (${reply.length} bytes)`);
        } else if (reply.readUInt16BE(0) !== id) {
          // Unlike UDP, this connection carries only our query, so a wrong ID is a broken reply, not noise.
          abort(`reply ID ${reply.readUInt16BE(0)} does not match query ID ${id}`);
        } else {
          finish({ ok: true, reply });
        }
      });
      socket.on('end', () => {
        const expected = received.length >= 2 ? ` of ${received.readUInt16BE(0)}` : '';
        abort(`connection closed before a full reply (got ${Math.max(received.length - 2, 0)}${expected} bytes)`);
      });
      socket.on('close', () => abort('connection closed before a full reply'));
    });
  }
}
