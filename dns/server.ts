// The DNS listener on one address and port: a UDP socket answered from the answer table where it can (the fast
// path), and dns2's TCP server. I/O shell around pure code: it reads, looks up, sends, forwards and counts.
import type { RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import dns2 from 'dns2';
import type { Logger } from 'pino';
import type { Zone } from './zone.js';
import { answer, reply, sizeLimit, type AnswerOptions, type Outcome, type Query } from './answer.js';
import { fastAnswer, type FastInfo, type FastOptions } from './fast-path.js';
import { listen } from './listen.js';
import type { Forwarder } from './forwarder.js';
import { forwardQueryBytes, installParseGuard, queryFromPacket, type Dns2Packet } from './query.js';
import { TableSwap } from './table-swap.js';
import { bindUdp, createUdpSocket } from './udp-socket.js';
import { RCODE, TYPE } from './wire.js';
import { truncateReply } from './message-check.js';

export { forwardQueryBytes, queryFromPacket } from './query.js';

type Transport = 'udp' | 'tcp';
/** Sends one reply (dns2's TCP send, or a UDP send to the client); may throw on a closed socket. */
type Send = (bytes: Buffer) => unknown;

export interface DnsServerOptions {
  readonly listener: string;
  /** 0 picks a free port that is free for both UDP and TCP. */
  readonly port: number;
  /** The zone apex, "mesos." */
  readonly apex: string;
  readonly recursionAvailable: boolean;
  readonly setTruncateBit: boolean;
  /** Null when forwarding is off (`externalon: false` or no resolvers): outside names are REFUSED. */
  readonly forwarder: Forwarder | null;
  readonly logger: Logger;
}

/** Counters for /metrics and the tests; keys are stable. */
export interface DnsStats {
  questions: Record<string, number>;
  rcodes: Record<string, number>;
  forwarded: number;
  forwardFailures: number;
  truncated: number;
  malformed: number;
  /** UDP questions answered by copying from the answer table (the fast path); the rest went through answer(). */
  fastAnswered: number;
}

const TYPE_NAMES = new Map<number, string>(Object.entries(TYPE).map(([name, code]) => [code, name]));
const RCODE_NAMES = new Map<number, string>(Object.entries(RCODE).map(([name, code]) => [code, name]));

export class DnsServer {
  private rotation = 0;
  private udp: UdpSocket | null = null;
  private tcp: InstanceType<typeof dns2.TCPServer> | null = null;
  /** Open TCP connections, closed on close() so an idle or chatty client cannot hold shutdown up. */
  private readonly connections = new Set<Socket>();
  private readonly swap: TableSwap;
  private readonly fastOptions: FastOptions;
  private readonly fastInfo: FastInfo = { qtype: 0, rcode: 0, truncated: false };
  /** Questions by type code and replies by rcode, counted in arrays on the hot path and named when read. */
  private readonly byType = new Float64Array(65536);
  private readonly byRcode = new Float64Array(16);
  private readonly counts = { forwarded: 0, forwardFailures: 0, truncated: 0, malformed: 0, fastAnswered: 0 };

  /** A copy of the counters, keyed by type and rcode names (OTHER for types without one). */
  get stats(): DnsStats {
    const questions: Record<string, number> = {};
    for (let code = 0; code < this.byType.length; code++) {
      const n = this.byType[code] ?? 0;
      if (n === 0) continue;
      const name = TYPE_NAMES.get(code) ?? 'OTHER';
      questions[name] = (questions[name] ?? 0) + n;
    }
    const rcodes: Record<string, number> = {};
    this.byRcode.forEach((n, code) => {
      if (n > 0) rcodes[RCODE_NAMES.get(code) ?? String(code)] = n;
    });
    return { questions, rcodes, ...this.counts };
  }

  constructor(private readonly options: DnsServerOptions) {
    this.fastOptions = { recursionAvailable: options.recursionAvailable, setTruncateBit: options.setTruncateBit };
    this.swap = new TableSwap(
      2,
      (error) => options.logger.error({ err: error }, 'could not encode the answer table; answering through the general path'),
      // A reply written in a table's reply area and not sent at once is queued with those bytes (see ReplyArea).
      () => (this.udp?.getSendQueueCount() ?? 0) === 0,
    );
  }

  /**
   * Hands over the zone of a new snapshot. Its answer table is built in short slices between questions; until it
   * is ready the previous zone and table are answered from (the very first zone is answered at once, without a
   * table). A small zone is swapped in before this returns. Each reply comes wholly from one zone.
   */
  setZone(zone: Zone): void {
    this.swap.offer(zone);
  }

  /** Resolves once the latest zone given to setZone is answered from its table. */
  zoneSettled(): Promise<void> {
    return this.swap.settled();
  }

  /** True while the answer table of a newer zone is being built (the previous one is still answered from). */
  get rebuilding(): boolean {
    return this.swap.pending;
  }

  /** Binds UDP and TCP; resolves to the port both listen on. */
  async start(): Promise<number> {
    const { listener, port } = this.options;
    installParseGuard();
    for (let attempt = 0; attempt < 20; attempt++) {
      const tcp = dns2.createTCPServer();
      const tcpPort = await listen(tcp, port, listener);
      const udp = createUdpSocket(listener);
      try {
        await bindUdp(udp, tcpPort, listener);
      } catch (error) {
        tcp.close();
        udp.close();
        // With a fixed port a UDP failure is final; with port 0 the ephemeral TCP port may be taken for UDP: retry.
        if (port !== 0) throw error;
        continue;
      }
      tcp.on('connection', (socket: Socket) => {
        this.connections.add(socket);
        socket.once('close', () => this.connections.delete(socket));
      });
      tcp.on('request', (request, send, client) => this.handle(request, send, 'tcp', client as Socket));
      udp.on('message', (message, remote) => this.datagram(udp, message, remote));
      tcp.on('requestError', (error: Error) => this.malformed(error.message));
      // Keep serving when one socket reports a transient error (e.g. a send to a vanished client).
      udp.on('error', (error: Error) => this.options.logger.warn({ err: error.message }, 'DNS UDP socket error'));
      tcp.on('error', (error: Error) => this.options.logger.warn({ err: error.message }, 'DNS TCP socket error'));
      this.tcp = tcp;
      this.udp = udp;
      return tcpPort;
    }
    throw new Error(`could not find a port free for both UDP and TCP on ${listener}`);
  }

  async close(): Promise<void> {
    this.swap.close();
    const closing: Promise<void>[] = [];
    if (this.udp !== null) {
      const udp = this.udp;
      closing.push(new Promise((resolve) => udp.close(() => resolve())));
    }
    if (this.tcp !== null) {
      const tcp = this.tcp;
      closing.push(new Promise((resolve) => tcp.close(() => resolve())));
    }
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
    this.udp = null;
    this.tcp = null;
    await Promise.all(closing);
  }

  private malformed(reason: string): void {
    this.counts.malformed++;
    this.options.logger.debug({ code: 'SWY_DNS_MALFORMED', err: reason }, 'dropped a malformed DNS message');
  }

  /** One UDP datagram: from the table when the fast path serves it, otherwise decoded and answered in full. */
  private datagram(socket: UdpSocket, message: Buffer, remote: RemoteInfo): void {
    const served = this.swap.current;
    if (served.table !== null) {
      const info = this.fastInfo;
      // Into the table's reply area unless a send is queued (libuv still has to read that one's bytes).
      const fast = fastAnswer(served.table, message, 'udp', this.rotation, this.fastOptions, info, socket.getSendQueueCount() === 0);
      if (fast !== null) {
        this.rotation++;
        this.counts.fastAnswered++;
        this.count(info.qtype);
        this.sent(info.rcode, info.truncated);
        // No callback, which would cost a tick per reply: the send is tried at once (the socket's lookup passes
        // the address through), so `fast`, the table's reply area, is copied out before the next datagram; one
        // that fails (a vanished client) is dropped by dgram, as a lost datagram would be.
        socket.send(fast, remote.port, remote.address);
        return;
      }
    }
    let request: Dns2Packet;
    try {
      // The parse guard (installed by start()) refuses what message-check.ts finds malformed, with its reason.
      request = dns2.Packet.parse(message);
    } catch (error) {
      this.malformed(error instanceof Error ? error.message : String(error));
      return;
    }
    this.handle(request, (bytes) => socket.send(bytes, remote.port, remote.address, this.sendFailed), 'udp', null);
  }

  private readonly sendFailed = (error: unknown): void => {
    if (error !== null && error !== undefined) this.options.logger.debug({ err: String(error) }, 'could not send a DNS reply');
  };

  private count(qtype: number): void {
    const code = qtype & 0xffff;
    this.byType[code] = (this.byType[code] ?? 0) + 1;
  }

  private sent(rcode: number, truncated: boolean): void {
    const code = rcode & 0xf;
    this.byRcode[code] = (this.byRcode[code] ?? 0) + 1;
    if (truncated) this.counts.truncated++;
  }

  /** The general path: a decoded query answered by answer() from the zone being served, or forwarded. */
  private handle(request: Dns2Packet, send: Send, transport: Transport, client: Socket | null): void {
    // A response arriving on the server port is never answered: answering could loop between two servers.
    // Over TCP the connection is closed, since dns2 would otherwise keep waiting for our reply.
    if (request.header.qr === 1) {
      this.counts.malformed++;
      client?.destroy();
      return;
    }
    const query = queryFromPacket(request);
    const options: AnswerOptions = {
      transport,
      rotation: this.rotation++,
      recursionAvailable: this.options.recursionAvailable,
      forwarding: this.options.forwarder !== null,
      setTruncateBit: this.options.setTruncateBit,
    };
    this.count(query.type);
    let outcome: Outcome;
    try {
      outcome = answer(this.swap.current.zone, this.options.apex, query, options);
    } catch (error) {
      this.options.logger.error({ err: error, name: query.name }, 'failed to answer a DNS question');
      outcome = reply(query, RCODE.SERVFAIL, false, options);
    }
    if (outcome.kind === 'reply') {
      this.sendReply(send, outcome.reply, outcome.rcode, outcome.truncated);
      return;
    }
    void this.forward(query, send, transport, options);
  }

  private async forward(query: Query, send: Send, transport: Transport, options: AnswerOptions): Promise<void> {
    const forwarder = this.options.forwarder;
    if (forwarder === null) return;
    this.counts.forwarded++;
    try {
      const result = await forwarder.forward(forwardQueryBytes(query), transport);
      if (result.ok) {
        // The upstream may have answered over TCP; a UDP client gets a well-formed truncated reply if it is too big.
        const bytes = transport === 'udp' ? truncateReply(result.reply, sizeLimit(query, 'udp')) : result.reply;
        this.sendReply(send, bytes, bytes.length >= 4 ? (bytes[3] ?? 0) & 0xf : 0, bytes !== result.reply);
        return;
      }
      this.counts.forwardFailures++;
      this.options.logger.warn({ code: 'SWY_DNS_FORWARD_FAILED', name: query.name, errors: result.errors }, 'every resolver failed');
    } catch (error) {
      this.counts.forwardFailures++;
      this.options.logger.warn({ code: 'SWY_DNS_FORWARD_FAILED', name: query.name, err: String(error) }, 'could not forward');
    }
    const failed = reply(query, RCODE.SERVFAIL, false, options);
    if (failed.kind === 'reply') this.sendReply(send, failed.reply, RCODE.SERVFAIL, false);
  }

  private sendReply(send: Send, bytes: Buffer, rcode: number, truncated: boolean): void {
    this.sent(rcode, truncated);
    try {
      send(bytes);
    } catch (error) {
      this.sendFailed(error);
    }
  }
}
