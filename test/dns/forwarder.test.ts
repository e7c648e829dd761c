// Forwarder against real sockets: a dns2 upstream and small raw fakes, all bound to loopback on ephemeral ports.
// Nothing here connects anywhere but 127.0.0.1 / ::1.
import dgram from 'node:dgram';
import net from 'node:net';
import dns2 from 'dns2';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Forwarder, parseResolver, type ForwardResult } from '../../dns/forwarder.js';

const { Packet } = dns2;
type DnsPacket = InstanceType<typeof Packet>;

const LOOPBACK = '127.0.0.1';
const TIMEOUT_MS = 300;
const ANSWER = '127.0.0.42';

/** Query bytes for `name`/A with the given ID, built with dns2 so the test does not share code with the forwarder. */
function query(id: number, name = 'example.test'): Buffer {
  const packet = new Packet();
  packet.header.id = id;
  packet.header.rd = 1;
  packet.questions.push(new Packet.Question(name, Packet.TYPE.A, Packet.CLASS.IN));
  return packet.toBuffer();
}

/** The upstream's answer: example.test A 127.0.0.42, NXDOMAIN for anything else. */
function answer(request: DnsPacket): DnsPacket {
  const response = Packet.createResponseFromRequest(request);
  response.header.ra = 1;
  const question = request.questions[0];
  if (question !== undefined && question.name === 'example.test' && question.type === Packet.TYPE.A) {
    response.answers.push(
      Packet.createResourceFromQuestion(question, { type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 60, address: ANSWER }),
    );
  } else {
    response.header.rcode = 3;
  }
  return response;
}

function expectOk(result: ForwardResult): Extract<ForwardResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected ok, got errors: ${result.errors.join('; ')}`);
  return result;
}

function expectFailed(result: ForwardResult): Extract<ForwardResult, { ok: false }> {
  if (result.ok) throw new Error(`expected failure, got a reply from ${result.resolver}`);
  return result;
}

function expectAnswer(reply: Buffer, id: number): void {
  const parsed = Packet.parse(reply);
  expect(parsed.header.id).toBe(id);
  expect(parsed.header.qr).toBe(1);
  expect(parsed.header.tc).toBe(0);
  expect(parsed.answers.map((rr) => rr.address)).toEqual([ANSWER]);
}

// ---- fakes -------------------------------------------------------------------------------------------------------

const cleanups: (() => Promise<void>)[] = [];
const forwarders: Forwarder[] = [];

function forwarder(resolvers: string[], timeoutMs = TIMEOUT_MS): Forwarder {
  const f = new Forwarder({ resolvers, timeoutMs });
  forwarders.push(f);
  return f;
}

afterEach(async () => {
  for (const f of forwarders.splice(0)) f.close();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A UDP socket bound on loopback that calls `onMessage` for each datagram; closed after the test. */
async function udpFake(
  onMessage: (socket: dgram.Socket, message: Buffer, rinfo: dgram.RemoteInfo) => void,
  options: { type?: 'udp4' | 'udp6'; address?: string; port?: number } = {},
): Promise<{ port: number; received: Buffer[] }> {
  const socket = dgram.createSocket(options.type ?? 'udp4');
  const received: Buffer[] = [];
  socket.on('message', (message, rinfo) => {
    received.push(message);
    onMessage(socket, message, rinfo);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (error) => {
      // A failed bind leaves the handle open; release it before reporting.
      socket.close();
      reject(error);
    });
    socket.bind(options.port ?? 0, options.address ?? LOOPBACK, () => {
      socket.removeAllListeners('error');
      resolve();
    });
  });
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { port: socket.address().port, received };
}

/** A loopback UDP port with nobody behind it: bind, note the port, close. */
async function deadUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Replies to a query: copies header and question, sets QR, applies `patch` to the header bytes. */
function echoReply(message: Buffer, patch: (reply: Buffer) => void = () => undefined): Buffer {
  const reply = Buffer.from(message);
  reply[2] = (reply[2] ?? 0) | 0x80;
  patch(reply);
  return reply;
}

/**
 * A TCP DNS server on loopback answering with `answer()`, writing the length prefix and the reply in separate,
 * delayed chunks so the forwarder has to reassemble; `mute` accepts connections and never answers. Returns the
 * port and the IDs of the queries it saw.
 */
async function tcpFake(options: { mute?: boolean } = {}): Promise<{ server: net.Server; port: number; queries: number[] }> {
  const queries: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (options.mute === true) return;
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0)) return;
      const request = Packet.parse(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
      queries.push(request.header.id);
      const reply = answer(request).toBuffer();
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(reply.length);
      socket.write(prefix.subarray(0, 1));
      setTimeout(() => {
        socket.write(Buffer.concat([prefix.subarray(1), reply.subarray(0, 5)]));
        setTimeout(() => socket.write(reply.subarray(5)), 20);
      }, 20);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address() as net.AddressInfo;
  return { server, port: address.port, queries };
}

// ---- the dns2 upstream -------------------------------------------------------------------------------------------

let upstream: dns2.DnsServer;
let upstreamUdpPort = 0;
let upstreamTcpPort = 0;
const upstreamSeen: { transport: 'udp' | 'tcp'; id: number }[] = [];

beforeAll(async () => {
  upstream = dns2.createServer({
    udp: true,
    tcp: true,
    handle: (request, send, client) => {
      upstreamSeen.push({ transport: client instanceof net.Socket ? 'tcp' : 'udp', id: request.header.id });
      void send(answer(request));
    },
  });
  // dns2 passes a {port: 0, ...} object straight to net.Server#listen, which reads `host`, not `address`: without
  // `host` the TCP side would listen on every interface. A variable (not a literal) gets past dns2's narrower type.
  const tcpListen = { port: 0, address: LOOPBACK, host: LOOPBACK };
  const addresses = await upstream.listen({ udp: { port: 0, address: LOOPBACK }, tcp: tcpListen });
  // Guard the loopback-only rule: fail loudly rather than test against a wildcard listener.
  expect(addresses.udp?.address).toBe(LOOPBACK);
  expect(addresses.tcp?.address).toBe(LOOPBACK);
  upstreamUdpPort = addresses.udp?.port ?? 0;
  upstreamTcpPort = addresses.tcp?.port ?? 0;
});

afterAll(async () => {
  await upstream.close();
});

// ---- tests -------------------------------------------------------------------------------------------------------

describe('parseResolver', () => {
  it.each([
    ['127.0.0.1', { host: '127.0.0.1', port: 53 }],
    ['127.0.0.1:5353', { host: '127.0.0.1', port: 5353 }],
    ['127.0.0.2:1', { host: '127.0.0.2', port: 1 }],
    ['[::1]:53', { host: '::1', port: 53 }],
    ['[::1]:5353', { host: '::1', port: 5353 }],
    ['[::1]', { host: '::1', port: 53 }],
    ['::1', { host: '::1', port: 53 }],
    ['fd00::53', { host: 'fd00::53', port: 53 }],
  ])('%s', (spec, expected) => {
    expect(parseResolver(spec)).toEqual(expected);
  });

  it.each([
    '',
    'garbage',
    'dns.example',
    'dns.example:53',
    '127.0.0.1:',
    '127.0.0.1:0',
    '127.0.0.1:65536',
    '127.0.0.1:53x',
    '127.0.0.1:0x35',
    '127.0.0.1: 53',
    ' 127.0.0.1',
    '256.0.0.1',
    '127.0.0.1:53:53',
    '[127.0.0.1]:53',
    '[::1',
    '[::1]53',
    '[::1]:',
    '[::1]:99999',
  ])('rejects %j', (spec) => {
    expect(() => parseResolver(spec)).toThrow(Error);
  });

  it('the Forwarder rejects bad resolvers and timeouts at construction', () => {
    expect(() => new Forwarder({ resolvers: ['nope'], timeoutMs: 100 })).toThrow(/invalid resolver/);
    expect(() => new Forwarder({ resolvers: [LOOPBACK], timeoutMs: 0 })).toThrow(/timeout/);
    expect(() => new Forwarder({ resolvers: [LOOPBACK], timeoutMs: Number.NaN })).toThrow(/timeout/);
  });
});

describe('Forwarder', () => {
  it('forwards over UDP and returns the upstream reply verbatim', async () => {
    const q = query(0x1234);
    const result = expectOk(await forwarder([`${LOOPBACK}:${upstreamUdpPort}`]).forward(q, 'udp'));
    expect(result.resolver).toBe(`${LOOPBACK}:${upstreamUdpPort}`);
    expectAnswer(result.reply, 0x1234);
    expect(result.reply).toEqual(answer(Packet.parse(q)).toBuffer());
    expect(upstreamSeen.at(-1)).toEqual({ transport: 'udp', id: 0x1234 });
  });

  it('forwards over TCP when the client asked over TCP', async () => {
    const result = expectOk(await forwarder([`${LOOPBACK}:${upstreamTcpPort}`]).forward(query(0xbeef), 'tcp'));
    expectAnswer(result.reply, 0xbeef);
    expect(upstreamSeen.at(-1)).toEqual({ transport: 'tcp', id: 0xbeef });
  });

  it('reassembles a TCP reply that arrives in several chunks', async () => {
    const tcp = await tcpFake();
    const result = expectOk(await forwarder([`${LOOPBACK}:${tcp.port}`]).forward(query(7), 'tcp'));
    expectAnswer(result.reply, 7);
    expect(tcp.queries).toEqual([7]);
  });

  it('passes NXDOMAIN and other upstream answers through untouched', async () => {
    const result = expectOk(await forwarder([`${LOOPBACK}:${upstreamUdpPort}`]).forward(query(9, 'nope.test'), 'udp'));
    expect(Packet.parse(result.reply).header.rcode).toBe(3);
  });

  it('moves past a dead first resolver to a working second one', async () => {
    const dead = await deadUdpPort();
    const good = `${LOOPBACK}:${upstreamUdpPort}`;
    const result = expectOk(await forwarder([`${LOOPBACK}:${dead}`, good]).forward(query(0x0101), 'udp'));
    expect(result.resolver).toBe(good);
    expectAnswer(result.reply, 0x0101);
  });

  it('reports one error per resolver when every resolver is dead, within about the timeout', async () => {
    const dead = [await deadUdpPort(), await deadUdpPort()].map((port) => `${LOOPBACK}:${port}`);
    const started = Date.now();
    const result = expectFailed(await forwarder(dead).forward(query(2), 'udp'));
    expect(Date.now() - started).toBeLessThan(dead.length * TIMEOUT_MS + 500);
    expect(result.errors).toHaveLength(2);
    expect(result.errors[0]).toContain(dead[0]);
    expect(result.errors[1]).toContain(dead[1]);
  });

  it('reports one error per resolver over TCP too (connection refused)', async () => {
    const dead = await tcpFake();
    await new Promise<void>((resolve) => dead.server.close(() => resolve()));
    const result = expectFailed(await forwarder([`${LOOPBACK}:${dead.port}`]).forward(query(3), 'tcp'));
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/\(tcp\)/);
  });

  it('times out an upstream that never answers', async () => {
    const silent = await udpFake(() => undefined);
    const started = Date.now();
    const result = expectFailed(await forwarder([`${LOOPBACK}:${silent.port}`]).forward(query(4), 'udp'));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 500);
    expect(result.errors).toEqual([expect.stringMatching(/timed out after 300 ms/)]);
    expect(silent.received).toHaveLength(1);
    expect(silent.received[0]).toEqual(query(4));
  });

  it('times out a silent upstream and then uses the next one', async () => {
    const silent = await udpFake(() => undefined);
    const result = expectOk(
      await forwarder([`${LOOPBACK}:${silent.port}`, `${LOOPBACK}:${upstreamUdpPort}`]).forward(query(5), 'udp'),
    );
    expectAnswer(result.reply, 5);
  });

  it('retries the same resolver over TCP when the UDP reply is truncated', async () => {
    // UDP and TCP on the same port number, as a real resolver has; TCP first, then claim the UDP twin.
    let tcp: Awaited<ReturnType<typeof tcpFake>> | undefined;
    let udp: Awaited<ReturnType<typeof udpFake>> | undefined;
    for (let attempt = 0; attempt < 5 && udp === undefined; attempt += 1) {
      tcp = await tcpFake();
      try {
        const port = tcp.port;
        udp = await udpFake((socket, message, rinfo) => {
          // Header and question only, TC set: "too big for UDP, ask again over TCP".
          socket.send(echoReply(message, (reply) => (reply[2] = (reply[2] ?? 0) | 0x02)), rinfo.port, rinfo.address);
        }, { port });
      } catch {
        // The UDP twin of that port was taken by someone else; try another.
      }
    }
    if (tcp === undefined || udp === undefined) throw new Error('could not bind UDP and TCP on one loopback port');
    const result = expectOk(await forwarder([`${LOOPBACK}:${tcp.port}`]).forward(query(0x7c7c), 'udp'));
    expect(udp.received).toHaveLength(1);
    expect(tcp.queries).toEqual([0x7c7c]);
    expectAnswer(result.reply, 0x7c7c);
  });

  it('returns the truncated UDP reply when the TCP retry fails, as mesos-dns would', async () => {
    const udp = await udpFake((socket, message, rinfo) => {
      socket.send(echoReply(message, (reply) => (reply[2] = (reply[2] ?? 0) | 0x02)), rinfo.port, rinfo.address);
    });
    // Nobody listens on TCP at this port, so the retry is refused.
    const result = expectOk(await forwarder([`${LOOPBACK}:${udp.port}`]).forward(query(0x5151), 'udp'));
    const parsed = Packet.parse(result.reply);
    expect(parsed.header.id).toBe(0x5151);
    expect(parsed.header.tc).toBe(1);
  });

  it('ignores a UDP reply with the wrong ID, then moves on after the timeout', async () => {
    const liar = await udpFake((socket, message, rinfo) => {
      socket.send(echoReply(message, (reply) => reply.writeUInt16BE(reply.readUInt16BE(0) ^ 0xffff, 0)), rinfo.port, rinfo.address);
    });
    const alone = expectFailed(await forwarder([`${LOOPBACK}:${liar.port}`]).forward(query(0x4242), 'udp'));
    expect(alone.errors).toEqual([expect.stringMatching(/timed out.*ignored 1/)]);

    const started = Date.now();
    const good = `${LOOPBACK}:${upstreamUdpPort}`;
    const next = expectOk(await forwarder([`${LOOPBACK}:${liar.port}`, good]).forward(query(0x4343), 'udp'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(next.resolver).toBe(good);
    expectAnswer(next.reply, 0x4343);
  });

  it('keeps waiting past short and wrong-ID UDP replies for the real one', async () => {
    const noisy = await udpFake((socket, message, rinfo) => {
      socket.send(Buffer.from([message[0] ?? 0, message[1] ?? 0, 0x80]), rinfo.port, rinfo.address);
      socket.send(echoReply(message, (reply) => reply.writeUInt16BE(reply.readUInt16BE(0) ^ 1, 0)), rinfo.port, rinfo.address);
      setTimeout(() => socket.send(echoReply(message), rinfo.port, rinfo.address), 30);
    });
    const result = expectOk(await forwarder([`${LOOPBACK}:${noisy.port}`]).forward(query(0x0a0a), 'udp'));
    expect(result.reply).toEqual(echoReply(query(0x0a0a)));
  });

  it('fails a TCP reply with the wrong ID at once and tries the next resolver', async () => {
    const liar = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', (chunk: Buffer) => {
        const message = echoReply(chunk.subarray(2), (reply) => reply.writeUInt16BE(reply.readUInt16BE(0) ^ 1, 0));
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(message.length);
        socket.end(Buffer.concat([prefix, message]));
      });
    });
    await new Promise<void>((resolve) => liar.listen(0, LOOPBACK, () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => liar.close(() => resolve())));
    const liarSpec = `${LOOPBACK}:${(liar.address() as net.AddressInfo).port}`;
    const good = `${LOOPBACK}:${upstreamTcpPort}`;
    const started = Date.now();
    const result = expectOk(await forwarder([liarSpec, good]).forward(query(0x0c0c), 'tcp'));
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS);
    expect(result.resolver).toBe(good);
    expectAnswer(result.reply, 0x0c0c);
  });

  it('times out a TCP upstream that accepts but never answers', async () => {
    const mute = await tcpFake({ mute: true });
    const result = expectFailed(await forwarder([`${LOOPBACK}:${mute.port}`]).forward(query(6), 'tcp'));
    expect(result.errors).toEqual([expect.stringMatching(/\(tcp\): timed out after 300 ms/)]);
  });

  it('forwards to an IPv6 loopback resolver', async () => {
    // Debian machines (and CI) have ::1 on lo; a machine without it fails here rather than skipping.
    const v6 = await udpFake((socket, message, rinfo) => socket.send(echoReply(message), rinfo.port, rinfo.address), {
      type: 'udp6',
      address: '::1',
    });
    const result = expectOk(await forwarder([`[::1]:${v6.port}`]).forward(query(0x6666), 'udp'));
    expect(result.resolver).toBe(`[::1]:${v6.port}`);
    expect(result.reply).toEqual(echoReply(query(0x6666)));
  });

  it('close() settles attempts in flight, is idempotent, and later forwards fail without sending', async () => {
    const silent = await udpFake(() => undefined);
    const f = forwarder([`${LOOPBACK}:${silent.port}`], 10_000);
    const pending = f.forward(query(8), 'udp');
    await new Promise((resolve) => setTimeout(resolve, 30));
    const started = Date.now();
    f.close();
    f.close();
    const result = expectFailed(await pending);
    expect(Date.now() - started).toBeLessThan(200);
    expect(result.errors).toEqual([expect.stringMatching(/forwarder closed/)]);
    const after = expectFailed(await f.forward(query(9), 'udp'));
    expect(after.errors).toHaveLength(1);
    expect(silent.received).toHaveLength(1);
  });

  it('refuses a query too short to carry an ID, without throwing', async () => {
    const result = expectFailed(await forwarder([`${LOOPBACK}:${upstreamUdpPort}`]).forward(Buffer.alloc(5), 'udp'));
    expect(result.errors).toHaveLength(1);
  });

  it('leaves no sockets behind once forward settles', async () => {
    const handles = (): number =>
      process.getActiveResourcesInfo().filter((kind) => kind === 'UDPWrap' || kind === 'TCPSocketWrap').length;
    // Let handles of earlier tests finish closing before taking the baseline.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const before = handles();
    const f = forwarder([`${LOOPBACK}:${upstreamUdpPort}`]);
    expectOk(await f.forward(query(10), 'udp'));
    expectOk(await forwarder([`${LOOPBACK}:${upstreamTcpPort}`]).forward(query(11), 'tcp'));
    expectFailed(await forwarder([`${LOOPBACK}:${await deadUdpPort()}`]).forward(query(12), 'udp'));
    // Closing a handle completes on a later loop turn (and the upstream drops its end of the TCP connection when it
    // sees ours close), so poll briefly: a leaked socket would stay past the deadline.
    await vi.waitFor(() => expect(handles()).toBe(before), { timeout: 1000, interval: 10 });
  });
});
