// Fuzzes DNS message handling: random and mutated messages through dns2's decoder and the pure answer(), then
// through a live DnsServer over UDP and TCP on 127.0.0.1, which must keep answering real queries afterwards.
import { readFileSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import dns2 from 'dns2';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { answer, type AnswerOptions, type Query } from '../../dns/answer.js';
import { buildRecords } from '../../dns/records.js';
import { DnsServer, forwardQueryBytes, queryFromPacket } from '../../dns/server.js';
import { Zone } from '../../dns/zone.js';
import { rejectReason } from '../../dns/message-check.js';
import { normalizeMesos, parseMesosState } from '../../state-poller/normalize.js';
import { dig } from '../helpers/dig.js';
import { loopbackDnsServer } from '../helpers/dns-server.js';

const { Packet } = dns2;

const LOOPBACK = '127.0.0.1';

function buildZone(): Zone {
  const raw = JSON.parse(readFileSync(new URL('../fixtures/mesos-dns/generated/served-master-state.json', import.meta.url), 'utf8')) as unknown;
  const parsed = parseMesosState(raw);
  if (!parsed.ok) throw new Error(parsed.message);
  const { state } = normalizeMesos(parsed.doc, new Map([['localhost', ['127.0.0.1']]]));
  const records = buildRecords(state, {
    domain: 'mesos',
    spec: 'rfc1123',
    ipSources: ['netinfo', 'mesos', 'host'],
    masters: [],
    nsName: 'ns1.mesos.',
    nsAddresses: ['127.0.0.1'],
    legacyDiscoveryNames: true,
  });
  return new Zone(records, {
    ttl: 60,
    srvWeight: 1,
    soa: { mname: 'ns1.mesos.', rname: 'root.ns1.mesos.', serial: 1, refresh: 60, retry: 600, expire: 86400, minimum: 60 },
  });
}

const zone = buildZone();

/** Wire form of a name given as raw label byte strings (a label may hold any byte, "." included). */
function wireName(labels: readonly Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  for (const label of labels) parts.push(Buffer.from([label.length]), Buffer.from(label));
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

const ascii = (text: string): Uint8Array => Buffer.from(text, 'latin1');

/** A query with one question and, when udpSize is given, an OPT record (EDNS version 0, no options). */
function queryBytes(id: number, labels: readonly Uint8Array[], qtype: number, udpSize: number | null): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header[2] = 0x01; // RD
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(udpSize === null ? 0 : 1, 10);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(qtype, 0);
  tail.writeUInt16BE(1, 2);
  const parts = [header, wireName(labels), tail];
  if (udpSize !== null) {
    const opt = Buffer.alloc(11);
    opt.writeUInt16BE(41, 1);
    opt.writeUInt16BE(udpSize, 3);
    parts.push(opt);
  }
  return Buffer.concat(parts);
}

/** chronos.marathon.mesos A, RD, with an OPT advertising 1232 bytes: the seed of every mutation. */
const VALID_QUERY = queryBytes(0xbeef, ['chronos', 'marathon', 'mesos'].map(ascii), 1, 1232);

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries.

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'truncate'; readonly length: number }
  | { readonly kind: 'append'; readonly bytes: Uint8Array };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), length: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
);

function mutate(seed: Buffer, mutations: readonly Mutation[]): Buffer {
  let bytes = Buffer.from(seed);
  for (const m of mutations) {
    if (m.kind === 'truncate') bytes = bytes.subarray(0, m.length % (bytes.length + 1));
    else if (m.kind === 'append') bytes = Buffer.concat([bytes, m.bytes]);
    else if (bytes.length > 0) {
      const at = m.at % bytes.length;
      bytes[at] = m.kind === 'flip' ? (bytes[at] ?? 0) ^ (1 << m.bit) : m.value;
    }
  }
  return bytes;
}

/**
 * Clears the high byte of the four section counts (so each is at most 255). dns2's decoder spends about 2 s on a
 * 12-byte header that claims 65535 records per section (one caught exception per missing record; see the dedicated
 * test at the end), so bit flips there would make every run take minutes without finding anything new.
 */
function capCounts(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes);
  for (const at of [4, 6, 8, 10]) if (at < out.length) out[at] = 0;
  return out;
}

/** The valid query with 1 to 6 random byte flips, overwrites, truncations or appended junk (counts capped). */
const mutatedQueryArb: fc.Arbitrary<Uint8Array> = fc
  .array(mutationArb, { minLength: 1, maxLength: 6 })
  .map((mutations) => capCounts(mutate(VALID_QUERY, mutations)));

/** Labels that reach the zone's interesting names, plus odd ones: upper case, binary, a "." byte inside a label. */
const labelArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('chronos', 'marathon', 'mesos', 'MESOS', 'slave', 'leader', 'master', 'ns1', '_tcp', '_chronos', '_http', 'liquor-store', '*').map(ascii) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-zA-Z0-9_-]{1,12}$/).map(ascii) },
  // dns2 joins decoded labels with ".", so a "." byte inside a label changes the name's shape.
  { weight: 1, arbitrary: fc.constantFrom('.', 'a.', '.a', 'a..b', 'chronos.marathon', 'example.test').map(ascii) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 63 }) },
);

/** Well-framed queries with random header bits, names, types, classes and OPT fields. */
const structuredQueryArb: fc.Arbitrary<Uint8Array> = fc
  .record({
    id: fc.integer({ min: 0, max: 0xffff }),
    flags: fc.integer({ min: 0, max: 0xffff }),
    questions: fc.array(
      fc.record({
        labels: fc.array(labelArb, { maxLength: 6 }),
        type: fc.oneof(fc.constantFrom(1, 2, 6, 16, 28, 33, 41, 255), fc.integer({ min: 0, max: 0xffff })),
        qclass: fc.oneof(fc.constantFrom(1, 3, 254, 255), fc.integer({ min: 0, max: 0xffff })),
      }),
      { maxLength: 3 },
    ),
    opt: fc.option(
      fc.record({ udpSize: fc.integer({ min: 0, max: 0xffff }), ttl: fc.integer({ min: 0, max: 0xffffffff }), rdata: fc.uint8Array({ maxLength: 20 }) }),
    ),
    countSkew: fc.integer({ min: -1, max: 1 }),
  })
  .map(({ id, flags, questions, opt, countSkew }) => {
    const header = Buffer.alloc(12);
    header.writeUInt16BE(id, 0);
    header.writeUInt16BE(flags, 2);
    header.writeUInt16BE(Math.max(0, questions.length + countSkew), 4);
    header.writeUInt16BE(opt === null ? 0 : 1, 10);
    const parts: Buffer[] = [header];
    for (const q of questions) {
      const tail = Buffer.alloc(4);
      tail.writeUInt16BE(q.type, 0);
      tail.writeUInt16BE(q.qclass, 2);
      parts.push(wireName(q.labels), tail);
    }
    if (opt !== null) {
      const fixed = Buffer.alloc(11);
      fixed.writeUInt16BE(41, 1);
      fixed.writeUInt16BE(opt.udpSize, 3);
      fixed.writeUInt32BE(opt.ttl, 5);
      fixed.writeUInt16BE(opt.rdata.length, 9);
      parts.push(fixed, Buffer.from(opt.rdata));
    }
    return new Uint8Array(Buffer.concat(parts));
  });

const optionsArb: fc.Arbitrary<AnswerOptions> = fc.record({
  transport: fc.constantFrom('udp' as const, 'tcp' as const),
  rotation: fc.nat({ max: 1000 }),
  recursionAvailable: fc.boolean(),
  forwarding: fc.boolean(),
  setTruncateBit: fc.boolean(),
});

// ---------------------------------------------------------------------------------------------------------------
// The property.

/** The most a reply may take: what answer() promises for the client's transport and OPT. */
function replyLimit(query: Query, transport: 'udp' | 'tcp'): number {
  if (transport === 'tcp') return 65535;
  return query.edns === null ? 512 : Math.max(512, query.edns.udpSize);
}

/**
 * Decodes the bytes as the server does; if dns2 accepts them, answer() must not throw, and a reply must be a
 * well-formed response to that query: header present, QR set, same ID, decodable, within the size limit.
 */
function checkMessage(bytes: Uint8Array, options: AnswerOptions): void {
  let packet: InstanceType<typeof Packet>;
  try {
    packet = Packet.parse(Buffer.from(bytes));
  } catch {
    return; // The server drops what dns2 cannot decode (counted as malformed); nothing to answer.
  }
  const query = queryFromPacket(packet);
  const outcome = answer(zone, 'mesos.', query, options);
  if (outcome.kind === 'forward') {
    expect(options.forwarding).toBe(true);
    return;
  }
  const reply = outcome.reply;
  expect(reply.length).toBeGreaterThanOrEqual(12);
  expect(reply[2]! & 0x80).toBe(0x80);
  expect(reply.readUInt16BE(0)).toBe(packet.header.id);
  expect(reply.length).toBeLessThanOrEqual(replyLimit(query, options.transport));
  const decoded = Packet.parse(reply);
  expect(decoded.header.id).toBe(packet.header.id);
  // dns2 skips records it cannot decode instead of throwing, so compare counts to catch broken records.
  expect([decoded.questions.length, decoded.answers.length, decoded.authorities.length, decoded.additionals.length]).toEqual([
    decoded.header.qdcount,
    decoded.header.ancount,
    decoded.header.nscount,
    decoded.header.arcount,
  ]);
}

const PURE_RUNS = 2000;

describe('decoding and answering arbitrary bytes (pure path)', () => {
  it('answers the unmutated seed query with chronos\'s address', () => {
    const outcome = answer(zone, 'mesos.', queryFromPacket(Packet.parse(VALID_QUERY)), {
      transport: 'udp',
      rotation: 0,
      recursionAvailable: true,
      forwarding: false,
      setTruncateBit: true,
    });
    expect(outcome.kind).toBe('reply');
    if (outcome.kind !== 'reply') return;
    const decoded = Packet.parse(outcome.reply);
    expect(decoded.header.rcode).toBe(0);
    expect(decoded.answers.map((r) => r.address)).toEqual(['1.2.3.11']);
  });

  it('never throws and always replies well-formed, for arbitrary byte arrays', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), optionsArb, (bytes, options) => checkMessage(bytes, options)),
      { numRuns: PURE_RUNS },
    );
  });

  it('never throws and always replies well-formed, for mutated copies of a valid EDNS query', () => {
    fc.assert(
      fc.property(mutatedQueryArb, optionsArb, (bytes, options) => checkMessage(bytes, options)),
      { numRuns: PURE_RUNS },
    );
  });

  it('never throws and always replies well-formed, for well-framed queries with random fields', () => {
    fc.assert(
      fc.property(structuredQueryArb, optionsArb, (bytes, options) => checkMessage(bytes, options)),
      { numRuns: PURE_RUNS },
    );
  });

  it('only hands the forwarder queries that can be re-encoded for the upstream', () => {
    // DnsServer.forward() calls forwardQueryBytes() inside an async function without a catch: a throw there is an
    // unhandled rejection, which ends the process (see test/integration/forwarding.test.ts).
    const forwarding: AnswerOptions = { transport: 'udp', rotation: 0, recursionAvailable: true, forwarding: true, setTruncateBit: true };
    fc.assert(
      fc.property(fc.oneof(mutatedQueryArb, structuredQueryArb), (bytes) => {
        let packet: InstanceType<typeof Packet>;
        try {
          packet = Packet.parse(Buffer.from(bytes));
        } catch {
          return;
        }
        const query = queryFromPacket(packet);
        if (answer(zone, 'mesos.', query, forwarding).kind !== 'forward') return;
        const upstreamQuery = forwardQueryBytes(query);
        expect(upstreamQuery.readUInt16BE(0)).toBe(query.id);
        expect(Packet.parse(upstreamQuery).questions).toHaveLength(1);
      }),
      { numRuns: PURE_RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Inputs found by the properties above, kept as plain examples so they stay visible after fast-check's shrinking.

describe('question names with a "." byte inside a label', () => {
  const options: AnswerOptions = { transport: 'udp', rotation: 0, recursionAvailable: true, forwarding: false, setTruncateBit: true };

  it('a label "a." (so the decoded name has an empty label) gets a reply, not a stack overflow', () => {
    // Labels: [0x61 0x2e] "mesos" → dns2 decodes the name as "a..mesos".
    const bytes = queryBytes(0x1234, [ascii('a.'), ascii('mesos')], 1, null);
    expect(() => answer(zone, 'mesos.', queryFromPacket(Packet.parse(bytes)), options)).not.toThrow();
  });

  it('an outside name "a..b" (one label with two "." bytes) is not handed to the forwarder unencodable', () => {
    // Found by the forwarding property: answer() says forward, then forwardQueryBytes() throws a RangeError for
    // the empty label, which in DnsServer.forward() is an unhandled rejection that ends the process.
    const query = queryFromPacket(Packet.parse(queryBytes(0, [ascii('a..b')], 1, null)));
    const outcome = answer(zone, 'mesos.', query, { ...options, forwarding: true });
    if (outcome.kind === 'forward') expect(() => forwardQueryBytes(query)).not.toThrow();
  });

  it('a single label "chronos.marathon" under mesos is refused before decoding, not confused with the three-label name', () => {
    // Labels: "chronos.marathon" (16 octets, one label) "mesos". dns2 would decode it as chronos.marathon.mesos,
    // a different name, so the server's pre-decode check drops it (counted as malformed) instead of answering.
    const bytes = queryBytes(0x1234, [ascii('chronos.marathon'), ascii('mesos')], 1, null);
    expect(rejectReason(bytes)).toBe('a question label contains "."');
    // The same name written as three labels is a normal question.
    expect(rejectReason(queryBytes(0x1234, [ascii('chronos'), ascii('marathon'), ascii('mesos')], 1, null))).toBeNull();
  });

  it('a header claiming 65535 records in 12 bytes is refused before dns2 spends seconds decoding it', () => {
    const header = Buffer.from('0000000' + '0ffffffffffffffff', 'hex');
    expect(header.length).toBe(12);
    expect(rejectReason(header)).toBe('section counts larger than the message');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The socket path.

const UDP_DATAGRAMS = 3000;
const TCP_CONNECTIONS = 300;
const TCP_PARALLEL = 25;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A DNS message with its two-byte TCP length prefix (RFC 1035 §4.2.2). */
function frame(body: Uint8Array, length = body.length): Uint8Array {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(length);
  return new Uint8Array(Buffer.concat([prefix, body]));
}

/** One TCP connection: random framed and unframed bytes, then a half-close or an abrupt close mid-message. */
interface TcpScript {
  readonly chunks: readonly Uint8Array[];
  readonly ending: 'end' | 'destroy';
}

const frameArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  // A correct length prefix around a mutated or random message.
  fc.oneof(mutatedQueryArb, structuredQueryArb, fc.uint8Array({ maxLength: 300 }).map(capCounts)).map((body) => frame(body)),
  // A random length prefix (mostly longer than what follows, so the message stays incomplete).
  fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 300 })).map(([length, body]) => frame(body, length)),
  // Plain junk.
  fc.uint8Array({ minLength: 1, maxLength: 300 }),
);

const tcpScriptArb: fc.Arbitrary<TcpScript> = fc.record({
  chunks: fc.array(frameArb, { minLength: 1, maxLength: 4 }),
  ending: fc.constantFrom('end' as const, 'destroy' as const),
});

/** Plays one script; resolves when the connection is closed (by either side) or after a short grace period. */
function playTcp(port: number, script: TcpScript): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host: LOOPBACK, port });
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, 300);
    socket.on('error', () => undefined); // ECONNRESET when the server drops a bad stream: expected.
    socket.on('close', done);
    socket.on('data', () => undefined);
    socket.on('connect', () => {
      for (const chunk of script.chunks) socket.write(chunk);
      if (script.ending === 'end') socket.end();
      else setImmediate(() => socket.destroy());
    });
  });
}

/** Resolves with the time (ms) until the server closes the connection, or Infinity after waitMs. */
function timeUntilServerCloses(socket: net.Socket, waitMs: number): Promise<number> {
  const start = Date.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(Number.POSITIVE_INFINITY), waitMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - start);
    });
  });
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host: LOOPBACK, port });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

const started: DnsServer[] = [];

async function startServer(): Promise<{ server: DnsServer; port: number }> {
  const server = loopbackDnsServer();
  started.push(server);
  const port = await server.start();
  server.setZone(zone);
  return { server, port };
}

/**
 * Closes every server started here. DnsServer.close() also waits for TCP connections that are still open, which
 * can take up to dns2's 10 s idle timeout (see the connection lifetime tests), so the wait is bounded; the
 * listening sockets are closed at once either way, and the leftover connections end at their idle timeout.
 */
async function closeServers(): Promise<void> {
  const closing = Promise.all(started.splice(0).map((server) => server.close()));
  await Promise.race([closing, pause(500)]);
}

describe('a live DnsServer under random traffic (socket path)', () => {
  let server: DnsServer;
  let port = 0;

  beforeAll(async () => {
    ({ server, port } = await startServer());
  });
  afterAll(closeServers);

  it('keeps answering after thousands of random UDP datagrams and hundreds of bad TCP streams', async () => {
    // UDP: fire and forget from one client socket; replies (to the messages that decode) are drained and counted.
    const datagrams = fc.sample(fc.oneof(fc.uint8Array({ maxLength: 600 }).map(capCounts), mutatedQueryArb, structuredQueryArb), {
      numRuns: UDP_DATAGRAMS,
      seed: 20240517,
    });
    const client = dgram.createSocket('udp4');
    let replies = 0;
    client.on('message', () => replies++);
    client.on('error', () => undefined);
    await new Promise<void>((resolve) => client.bind(0, LOOPBACK, () => resolve()));
    try {
      for (let i = 0; i < datagrams.length; i++) {
        // Empty datagrams are legal UDP and are sent too.
        client.send(datagrams[i]!, port, LOOPBACK);
        if (i % 200 === 199) await pause(10);
      }
      await pause(100);
    } finally {
      await new Promise<void>((resolve) => client.close(() => resolve()));
    }

    // TCP: a few hundred connections, a bounded number at a time.
    const scripts = fc.sample(tcpScriptArb, { numRuns: TCP_CONNECTIONS, seed: 7 });
    for (let i = 0; i < scripts.length; i += TCP_PARALLEL) {
      await Promise.all(scripts.slice(i, i + TCP_PARALLEL).map((script) => playTcp(port, script)));
    }

    // The server still answers, over UDP and TCP.
    const udp = await dig(port, 'chronos.marathon.mesos', 'A');
    expect(udp.rcode).toBe('NOERROR');
    expect(udp.answer).toEqual(['chronos.marathon.mesos. 60 IN A 1.2.3.11']);
    const tcp = await dig(port, 'chronos.marathon.mesos', 'A', ['+tcp']);
    expect(tcp.rcode).toBe('NOERROR');
    expect(tcp.answer).toEqual(['chronos.marathon.mesos. 60 IN A 1.2.3.11']);

    expect(server.stats.malformed).toBeGreaterThan(0);
    expect(replies).toBeGreaterThan(0);
  });

  it('is not stalled by a 12-byte datagram whose header claims 65535 records in every section', async () => {
    // dns2's UDPServer decodes every datagram before switchyard sees it; for this header its decoder tries (and
    // fails, catching an exception each time) to read 4 × 65535 records, blocking the event loop for ~2 s.
    // A DNS server should drop such a message in microseconds (the counts cannot fit in 12 bytes).
    const poison = Buffer.alloc(12);
    for (const at of [4, 6, 8, 10]) poison.writeUInt16BE(0xffff, at);
    const client = dgram.createSocket('udp4');
    client.on('error', () => undefined);
    await new Promise<void>((resolve) => client.bind(0, LOOPBACK, () => resolve()));
    try {
      const answered = new Promise<number>((resolve) => {
        client.on('message', (message) => {
          if (message.length >= 2 && message.readUInt16BE(0) === VALID_QUERY.readUInt16BE(0)) resolve(Date.now());
        });
      });
      client.send(poison, port, LOOPBACK);
      const sent = Date.now();
      client.send(VALID_QUERY, port, LOOPBACK);
      const latency = (await Promise.race([answered, pause(5000).then(() => Number.POSITIVE_INFINITY)])) - sent;
      expect(latency).toBeLessThan(500);
    } finally {
      await new Promise<void>((resolve) => client.close(() => resolve()));
    }
  });
});

describe('TCP connections', () => {
  afterEach(closeServers);

  it('answers two pipelined queries on one connection (RFC 7766 §6.2.1.1) and counts neither as malformed', async () => {
    // DnsServer.sendReply() calls send(bytes).catch(...), but dns2's TCP send() returns undefined, not a promise:
    // the reply is written, then a TypeError is thrown inside dns2's reader, which reports a requestError
    // (counted as malformed) and destroys the connection, dropping the second query.
    const { server, port } = await startServer();
    const second = Buffer.from(VALID_QUERY);
    second.writeUInt16BE(0xcafe, 0);
    const socket = await connect(port);
    const ids = new Set<number>();
    let received = Buffer.alloc(0);
    const both = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        while (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
          const message = received.subarray(2, 2 + received.readUInt16BE(0));
          received = received.subarray(2 + message.length);
          if (message.length >= 2) ids.add(message.readUInt16BE(0));
        }
        if (ids.size === 2) resolve();
      });
    });
    socket.write(Buffer.concat([frame(VALID_QUERY), frame(second)]));
    await Promise.race([both, pause(500)]);
    socket.destroy();
    expect([...ids].sort()).toEqual([0xbeef, 0xcafe].sort());
    expect(server.stats.malformed).toBe(0);
  });

  it('closes its side after the client half-closes, once the query is answered', async () => {
    const { port } = await startServer();
    const socket = await connect(port);
    const closed = timeUntilServerCloses(socket, 1000);
    socket.on('data', () => undefined);
    socket.write(frame(VALID_QUERY));
    socket.end();
    expect(await closed).toBeLessThan(500);
  });

  it('closes its side after the client half-closes, when the message was a response (QR=1) it does not answer', async () => {
    // DnsServer.handle() returns without calling send() for QR=1 messages; dns2 counts the message as in flight
    // until send() is called, so after the client's FIN the connection stays half-open until dns2's 10 s idle
    // timeout. Each such connection is a socket kept for 10 s after the client left, and it holds up close().
    const { port } = await startServer();
    const response = Buffer.from(VALID_QUERY);
    response[2] = response[2]! | 0x80;
    const socket = await connect(port);
    const closed = timeUntilServerCloses(socket, 1000);
    socket.on('data', () => undefined);
    socket.write(frame(response));
    socket.end();
    const took = await closed;
    socket.destroy();
    expect(took).toBeLessThan(500);
  });

  it('close() does not wait for a TCP client that keeps an idle connection open', async () => {
    // close() stops the listeners and waits for net.Server's 'close', which comes only after every connection has
    // ended: an idle client holds it up to dns2's 10 s idle timeout, and a client that asks again within 10 s
    // holds it for good, so SIGTERM (gateway.close()) does not finish.
    const { server, port } = await startServer();
    const socket = await connect(port);
    await pause(50); // Let the server accept the connection.
    const start = Date.now();
    const closing = server.close().then(() => Date.now() - start);
    const took = await Promise.race([closing, pause(600).then(() => Number.POSITIVE_INFINITY)]);
    socket.destroy();
    expect(took).toBeLessThan(500);
  });
});
