// Forwarding through the real program (dist/cli/main.js) and real dig: names outside the zone go to a fake upstream
// resolver on 127.0.0.1 over UDP and TCP, names inside never do; dead resolvers give SERVFAIL, externalon:false REFUSED.
import dgram from 'node:dgram';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import dns2 from 'dns2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../helpers/dig.js';
import { FakeMaster } from '../helpers/fake-master.js';
import { startProgram, writeConfig, type Program } from '../helpers/program.js';

const { Packet } = dns2;
type DnsPacket = InstanceType<typeof Packet>;

const LOOPBACK = '127.0.0.1';
const BIG_COUNT = 60;
const bigAddresses = Array.from({ length: BIG_COUNT }, (_, i) => `127.0.1.${i + 1}`);

interface UpstreamRequest {
  readonly name: string;
  readonly type: number;
  readonly transport: 'udp' | 'tcp';
  readonly edns: boolean;
}

/** A fake recursive resolver: www.example.test A → 127.0.0.77, big.example.test A → 60 addresses, else NXDOMAIN. */
class Upstream {
  readonly requests: UpstreamRequest[] = [];
  port = 0;
  private server: ReturnType<typeof dns2.createServer> | null = null;

  async start(): Promise<number> {
    // The forwarder asks UDP and TCP on the same port, so pick a port free for both (retry if TCP's was taken).
    for (let attempt = 0; attempt < 10; attempt++) {
      const port = await freeTcpPort();
      const server = dns2.createServer({ udp: true, tcp: true, handle: (request, send, client) => this.handle(request, send, client) });
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          // Explicit addresses: with a non-zero port dns2 passes `address` to both listeners.
          void server.listen({ udp: { port, address: LOOPBACK }, tcp: { port, address: LOOPBACK } }).then(() => resolve());
        });
      } catch {
        // One of the two listeners failed; close() waits for both to report 'close', so do not wait long.
        await Promise.race([server.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 200))]);
        continue;
      }
      this.server = server;
      this.port = port;
      return port;
    }
    throw new Error('no port free for both UDP and TCP on 127.0.0.1');
  }

  count(): number {
    return this.requests.length;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server !== null) await server.close();
  }

  private handle(request: DnsPacket, send: (response: DnsPacket) => unknown, client: unknown): void {
    const question = request.questions[0];
    this.requests.push({
      name: question?.name ?? '',
      type: question?.type ?? 0,
      transport: client instanceof net.Socket ? 'tcp' : 'udp',
      edns: request.additionals.some((r) => r.type === Packet.TYPE.EDNS),
    });
    const response = Packet.createResponseFromRequest(request);
    response.header.ra = 1;
    const addresses =
      question === undefined || question.type !== Packet.TYPE.A
        ? []
        : question.name === 'www.example.test'
          ? ['127.0.0.77']
          : question.name === 'big.example.test'
            ? bigAddresses
            : [];
    if (addresses.length === 0) response.header.rcode = 3;
    for (const address of addresses) {
      if (question === undefined) break;
      response.answers.push(Packet.createResourceFromQuestion(question, { type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 60, address }));
    }
    // dns2's UDP send truncates to the client's payload size (512 without EDNS) and sets TC: a real truncation.
    void send(response);
  }
}

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, LOOPBACK, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** A loopback port with nothing behind it for UDP or TCP: bound for a moment, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, LOOPBACK, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** One raw UDP exchange, to see the exact bytes a client gets (dig would re-interpret a broken message). */
function rawUdpQuery(port: number, query: Buffer, timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no UDP reply in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(message);
    });
    socket.send(query, port, LOOPBACK);
  });
}

/** A query without OPT (a pre-EDNS client), built with dns2. */
function plainQuery(id: number, name: string): Buffer {
  const packet = new Packet();
  packet.header.id = id;
  packet.header.rd = 1;
  packet.questions.push({ name, type: Packet.TYPE.A, class: Packet.CLASS.IN } as DnsPacket['questions'][number]);
  return packet.toBuffer();
}

const statePath = new URL('../fixtures/mesos-dns/generated/served-master-state.json', import.meta.url);

/** A fake master serving the fixture state, with `leader` pointing at itself. */
async function startMaster(): Promise<FakeMaster> {
  const master = new FakeMaster({ kind: 'state', body: {} });
  const port = await master.start(LOOPBACK, 0);
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as Record<string, unknown>;
  master.behaviour = { kind: 'state', body: { ...state, leader: `master@127.0.0.1:${port}` } };
  return master;
}

async function startSwitchyard(master: FakeMaster, extra: Record<string, unknown>): Promise<Program> {
  const program = await startProgram(
    writeConfig({
      masters: [`127.0.0.1:${master.port}`],
      listener: LOOPBACK,
      HTTPListener: LOOPBACK,
      port: 0,
      httpport: 0,
      refreshSeconds: 60,
      stateTimeoutSeconds: 10,
      ...extra,
    }),
  );
  await program.waitForLog((l) => l.msg === 'records updated');
  return program;
}

describe('forwarding to a live upstream (externalon: true)', () => {
  const upstream = new Upstream();
  let master: FakeMaster;
  let program: Program;

  beforeAll(async () => {
    await upstream.start();
    master = await startMaster();
    program = await startSwitchyard(master, { externalon: true, resolvers: [`127.0.0.1:${upstream.port}`], timeout: 1 });
  });
  afterAll(async () => {
    await program?.stop();
    await master?.close();
    await upstream.close();
  });

  it('forwards an outside name over UDP and relays the upstream answer', async () => {
    const before = upstream.count();
    const got = await dig(program.dnsPort, 'www.example.test', 'A');
    expect(got.rcode).toBe('NOERROR');
    expect(got.answer).toEqual(['www.example.test. 60 IN A 127.0.0.77']);
    expect(upstream.requests.slice(before).map((r) => `${r.name} ${r.transport}`)).toEqual(['www.example.test udp']);
  });

  it('does not forward names inside the zone, whether they exist or not', async () => {
    const before = upstream.count();
    const chronos = await dig(program.dnsPort, 'chronos.marathon.mesos', 'A');
    expect(chronos.rcode).toBe('NOERROR');
    expect(chronos.answer).toEqual(['chronos.marathon.mesos. 60 IN A 1.2.3.11']);
    const missing = await dig(program.dnsPort, 'no-such-task.marathon.mesos', 'A');
    expect(missing.rcode).toBe('NXDOMAIN');
    const apex = await dig(program.dnsPort, 'MESOS', 'SOA');
    expect(apex.rcode).toBe('NOERROR');
    expect(upstream.count()).toBe(before);
  });

  it('relays a large answer whole over UDP when the client advertises EDNS (dig default 1232)', async () => {
    const before = upstream.count();
    const got = await dig(program.dnsPort, 'big.example.test', 'A');
    expect(got.rcode).toBe('NOERROR');
    expect(got.flags).not.toContain('tc');
    expect(got.answer).toHaveLength(BIG_COUNT);
    // The forwarded query carries an OPT, so the upstream answers in full over UDP.
    expect(upstream.requests.slice(before).map((r) => `${r.transport} edns=${r.edns}`)).toEqual(['udp edns=true']);
  });

  it('keeps a large forwarded answer within 512 bytes for a UDP client without EDNS', async () => {
    const before = upstream.count();
    // The full answer is 12 + 22 + 60 × 16 = 994 bytes. The upstream truncates its UDP reply (TC, question only);
    // switchyard's forwarder retries the upstream over TCP and gets all 994 bytes, which do not fit the client's 512:
    // the client gets header and question with TC set and no records, a well-formed message that sends it to TCP.
    const reply = await rawUdpQuery(program.dnsPort, plainQuery(0x5151, 'big.example.test'));
    expect(reply.length).toBeLessThanOrEqual(512);
    expect(reply.readUInt16BE(0)).toBe(0x5151);
    expect(reply[2]! & 0x02).toBe(0x02); // TC
    expect(upstream.requests.slice(before).map((r) => `${r.transport} edns=${r.edns}`)).toEqual(['udp edns=false', 'tcp edns=false']);

    // The same through dig, without retrying over TCP, to see what a pre-EDNS client gets.
    const got = await dig(program.dnsPort, 'big.example.test', 'A', ['+noedns', '+ignore']);
    expect(got.flags).toContain('tc');
    expect(got.answer).toEqual([]);
    expect(got.raw).not.toContain('malformed');
  });

  it('gives a truncated UDP reply that is still a well-formed DNS message (header counts match the records)', async () => {
    // RFC 1035 §4.1.1 / RFC 2181 §9: a truncated reply may drop records, but its counts must describe what it
    // carries (cutting the bytes at 512 would leave ANCOUNT=60 over 29 whole records and part of a 30th).
    const reply = await rawUdpQuery(program.dnsPort, plainQuery(0x5252, 'big.example.test'));
    const decoded = Packet.parse(reply);
    expect(decoded.answers.length).toBe(decoded.header.ancount);
  });

  it('forwards an outside name over TCP and stays up', async () => {
    const before = upstream.count();
    const got = await dig(program.dnsPort, 'www.example.test', 'A', ['+tcp']);
    expect(got.rcode).toBe('NOERROR');
    expect(got.answer).toEqual(['www.example.test. 60 IN A 127.0.0.77']);
    expect(upstream.requests.slice(before).map((r) => `${r.name} ${r.transport}`)).toEqual(['www.example.test tcp']);
    // The process must still be serving afterwards.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(program.child.exitCode, `switchyard exited; stderr: ${program.stderr()}`).toBeNull();
    const after = await dig(program.dnsPort, 'chronos.marathon.mesos', 'A');
    expect(after.rcode).toBe('NOERROR');
  });

  it('survives an outside name with a "." byte inside a label (one UDP datagram)', async () => {
    // Labels "a." and "test": dns2 would decode the name as "a..test" (outside the zone), and writing it back out
    // for the upstream fails. The server refuses such a message before decoding; nothing reaches the upstream.
    const before = upstream.count();
    const query = Buffer.concat([
      Buffer.from([0x61, 0x61, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
      Buffer.from([2, 0x61, 0x2e, 4, ...Buffer.from('test'), 0, 0, 1, 0, 1]),
    ]);
    const reply = rawUdpQuery(program.dnsPort, query, 1000).catch(() => null);
    await reply;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(program.child.exitCode, `switchyard exited; stderr: ${program.stderr()}`).toBeNull();
    expect((await dig(program.dnsPort, 'chronos.marathon.mesos', 'A')).rcode).toBe('NOERROR');
    expect(upstream.count()).toBe(before);
  });
});

describe('forwarding when every resolver is dead', () => {
  let master: FakeMaster;
  let program: Program;

  beforeAll(async () => {
    master = await startMaster();
    const dead = [await closedPort(), await closedPort()];
    program = await startSwitchyard(master, { externalon: true, resolvers: dead.map((p) => `127.0.0.1:${p}`), timeout: 1 });
  });
  afterAll(async () => {
    await program?.stop();
    await master?.close();
  });

  it('answers SERVFAIL quickly (the refused UDP sends fail at once, without waiting for the 1 s timeout)', async () => {
    const start = Date.now();
    const got = await dig(program.dnsPort, 'www.example.test', 'A');
    const elapsed = Date.now() - start;
    expect(got.rcode).toBe('SERVFAIL');
    expect(elapsed).toBeLessThan(1000);
    // In-zone names are unaffected.
    expect((await dig(program.dnsPort, 'chronos.marathon.mesos', 'A')).answer).toEqual(['chronos.marathon.mesos. 60 IN A 1.2.3.11']);
  });

  it('answers SERVFAIL over TCP too, and stays up', async () => {
    const got = await dig(program.dnsPort, 'www.example.test', 'A', ['+tcp']);
    expect(got.rcode).toBe('SERVFAIL');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(program.child.exitCode, `switchyard exited; stderr: ${program.stderr()}`).toBeNull();
  });
});

describe('forwarding switched off (externalon: false)', () => {
  const upstream = new Upstream();
  let master: FakeMaster;
  let program: Program;

  beforeAll(async () => {
    await upstream.start();
    master = await startMaster();
    // Resolvers are listed but must not be used.
    program = await startSwitchyard(master, { externalon: false, resolvers: [`127.0.0.1:${upstream.port}`], timeout: 1 });
  });
  afterAll(async () => {
    await program?.stop();
    await master?.close();
    await upstream.close();
  });

  it('REFUSES outside names over UDP and TCP without asking the resolver', async () => {
    const udp = await dig(program.dnsPort, 'www.example.test', 'A');
    expect(udp.rcode).toBe('REFUSED');
    expect(udp.answer).toEqual([]);
    const tcp = await dig(program.dnsPort, 'www.example.test', 'A', ['+tcp']);
    expect(tcp.rcode).toBe('REFUSED');
    expect(upstream.count()).toBe(0);
    expect((await dig(program.dnsPort, 'chronos.marathon.mesos', 'A')).rcode).toBe('NOERROR');
  });
});
