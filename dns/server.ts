// The DNS listener: dns2 UDP and TCP sockets on one address and port, answering from the current Zone.
// I/O shell around the pure answer(): it only decodes, looks up, sends, forwards and counts.
import type { Socket } from 'node:net';
import dns2 from 'dns2';
import type { Logger } from 'pino';
import type { Zone } from './zone.js';
import { answer, reply, fullyQualified, sizeLimit, type AnswerOptions, type Outcome, type Query } from './answer.js';
import { listen } from './listen.js';
import type { Forwarder } from './forwarder.js';
import { CLASS_IN, HEADER_LENGTH, RCODE, TYPE, encodeQuestion, optRecord } from './wire.js';
import { rejectReason, truncateReply } from './message-check.js';

type Transport = 'udp' | 'tcp';
type Dns2Packet = InstanceType<typeof dns2.Packet>;
type Send = (response: Dns2Packet | Buffer) => Promise<Buffer>;

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
}

const TYPE_NAMES = new Map<number, string>(Object.entries(TYPE).map(([name, code]) => [code, name]));
const RCODE_NAMES = new Map<number, string>(Object.entries(RCODE).map(([name, code]) => [code, name]));

let guardInstalled = false;

/**
 * dns2's servers call Packet.parse themselves, so the pre-decode checks of message-check.ts are put in front of it.
 * They only refuse messages that cannot be valid (counts larger than the message, a "." inside a question label).
 */
function installParseGuard(): void {
  if (guardInstalled) return;
  guardInstalled = true;
  const original = dns2.Packet.parse.bind(dns2.Packet);
  dns2.Packet.parse = (buffer: Buffer): Dns2Packet => {
    const reason = rejectReason(buffer);
    if (reason !== null) throw new Error(`malformed DNS message: ${reason}`);
    return original(buffer);
  };
}

/** dns2's Packet → the fields answer() needs. */
export function queryFromPacket(packet: Dns2Packet): Query {
  const question = packet.questions[0];
  const opt = packet.additionals.find((r) => r.type === TYPE.OPT) as
    | { class?: number; version?: number }
    | undefined;
  return {
    id: packet.header.id,
    opcode: packet.header.opcode,
    rd: packet.header.rd === 1,
    qdcount: packet.questions.length,
    name: question?.name ?? '',
    type: question?.type ?? 0,
    qclass: question?.class ?? CLASS_IN,
    edns: opt === undefined ? null : { udpSize: opt.class ?? 512, version: opt.version ?? 0 },
  };
}

/** The query re-encoded for an upstream resolver: same ID, RD and question, and an OPT when the client sent one. */
export function forwardQueryBytes(query: Query): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt16BE(query.id, 0);
  header[2] = query.rd ? 0x01 : 0;
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(query.edns === null ? 0 : 1, 10);
  const parts = [header, encodeQuestion(fullyQualified(query.name), query.type, query.qclass)];
  if (query.edns !== null) parts.push(optRecord(Math.max(512, query.edns.udpSize)));
  return Buffer.concat(parts);
}

export class DnsServer {
  private zone: Zone | null = null;
  private rotation = 0;
  private udp: InstanceType<typeof dns2.UDPServer> | null = null;
  private tcp: InstanceType<typeof dns2.TCPServer> | null = null;
  /** Open TCP connections, closed on close() so an idle or chatty client cannot hold shutdown up. */
  private readonly connections = new Set<Socket>();
  readonly stats: DnsStats = { questions: {}, rcodes: {}, forwarded: 0, forwardFailures: 0, truncated: 0, malformed: 0 };

  constructor(private readonly options: DnsServerOptions) {}

  /** Swaps in the zone of a new snapshot; questions already being answered keep the zone they started with. */
  setZone(zone: Zone): void {
    this.zone = zone;
  }

  /** Binds UDP and TCP; resolves to the port both listen on. */
  async start(): Promise<number> {
    const { listener, port } = this.options;
    installParseGuard();
    for (let attempt = 0; attempt < 20; attempt++) {
      const tcp = dns2.createTCPServer();
      const tcpPort = await listen(tcp, port, listener);
      const udp = dns2.createUDPServer({ type: listener.includes(':') ? 'udp6' : 'udp4' });
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
      udp.on('request', (request, send) => this.handle(request, send, 'udp', null));
      const malformed = (error: Error): void => {
        this.stats.malformed++;
        this.options.logger.debug({ code: 'SWY_DNS_MALFORMED', err: error.message }, 'dropped a malformed DNS message');
      };
      tcp.on('requestError', malformed);
      udp.on('requestError', malformed);
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

  private handle(request: Dns2Packet, send: Send, transport: Transport, client: Socket | null): void {
    // A response arriving on the server port is never answered: answering could loop between two servers.
    // Over TCP the connection is closed, since dns2 would otherwise keep waiting for our reply.
    if (request.header.qr === 1) {
      this.stats.malformed++;
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
    const typeName = TYPE_NAMES.get(query.type) ?? 'OTHER';
    this.stats.questions[typeName] = (this.stats.questions[typeName] ?? 0) + 1;
    let outcome: Outcome;
    try {
      outcome = answer(this.zone, this.options.apex, query, options);
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
    this.stats.forwarded++;
    try {
      const result = await forwarder.forward(forwardQueryBytes(query), transport);
      if (result.ok) {
        // The upstream may have answered over TCP; a UDP client gets a well-formed truncated reply if it is too big.
        const bytes = transport === 'udp' ? truncateReply(result.reply, sizeLimit(query, 'udp')) : result.reply;
        this.sendReply(send, bytes, bytes.length >= 4 ? (bytes[3] ?? 0) & 0xf : 0, bytes !== result.reply);
        return;
      }
      this.stats.forwardFailures++;
      this.options.logger.warn({ code: 'SWY_DNS_FORWARD_FAILED', name: query.name, errors: result.errors }, 'every resolver failed');
    } catch (error) {
      this.stats.forwardFailures++;
      this.options.logger.warn({ code: 'SWY_DNS_FORWARD_FAILED', name: query.name, err: String(error) }, 'could not forward');
    }
    const failed = reply(query, RCODE.SERVFAIL, false, options);
    if (failed.kind === 'reply') this.sendReply(send, failed.reply, RCODE.SERVFAIL, false);
  }

  private sendReply(send: Send, bytes: Buffer, rcode: number, truncated: boolean): void {
    const rcodeName = RCODE_NAMES.get(rcode) ?? String(rcode);
    this.stats.rcodes[rcodeName] = (this.stats.rcodes[rcodeName] ?? 0) + 1;
    if (truncated) this.stats.truncated++;
    // dns2's UDP send returns a promise and its TCP send returns nothing; either may throw on a closed socket.
    const failed = (error: unknown): void => this.options.logger.debug({ err: String(error) }, 'could not send a DNS reply');
    try {
      const sent: unknown = send(bytes);
      if (sent instanceof Promise) sent.catch(failed);
    } catch (error) {
      failed(error);
    }
  }
}

function bindUdp(socket: InstanceType<typeof dns2.UDPServer>, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}
