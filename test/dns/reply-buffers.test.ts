// The UDP fast path's reused reply buffers (dns/reply-buffers.ts) and the socket lookup that makes reusing them
// safe (dns/udp-socket.ts), then a burst of questions in flight at once through a real DnsServer on 127.0.0.1.
import dgram from 'node:dgram';
import dns2 from 'dns2';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplyBuffers } from '../../dns/reply-buffers.js';
import { DnsServer } from '../../dns/server.js';
import { passThroughLookup } from '../../dns/udp-socket.js';
import { recordsFromFile, zoneOf } from '../helpers/zone.js';
import { question } from './question-bytes.js';

describe('ReplyBuffers', () => {
  it('gives one buffer per length, the exact length asked, over one shared block', () => {
    const replies = new ReplyBuffers(() => false);
    const a = replies.take(88);
    expect(a.length).toBe(88);
    expect(replies.take(88)).toBe(a);
    const b = replies.take(379);
    expect(b.length).toBe(379);
    expect(b).not.toBe(a);
    b[0] = 0xab;
    expect(a[0]).toBe(0xab); // the same bytes: only one reply may be in use at a time
    const long = replies.take(9000);
    expect(long.length).toBe(9000);
    expect(long.buffer).toBe(a.buffer);
  });

  it('while a send is pending, gives buffers of their own that nothing else writes', () => {
    let pending = true;
    const replies = new ReplyBuffers(() => pending);
    const queued = replies.take(100);
    queued.fill(7);
    const next = replies.take(100);
    expect(next).not.toBe(queued);
    next.fill(9);
    pending = false;
    replies.take(100).fill(1);
    expect([...queued].every((byte) => byte === 7)).toBe(true);
  });
});

describe('passThroughLookup', () => {
  it('hands an IP literal back before it returns, with its family', () => {
    const seen: [string, number][] = [];
    passThroughLookup('127.0.0.1', 4, (error, address, family) => {
      expect(error).toBeNull();
      seen.push([address, family]);
    });
    passThroughLookup('::1', 6, (_error, address, family) => seen.push([address, family]));
    expect(seen).toEqual([
      ['127.0.0.1', 4],
      ['::1', 6],
    ]);
  });

  it('looks a host name up (later, through dns.lookup)', async () => {
    let called = false;
    const result = new Promise<[string, number]>((resolve, reject) => {
      passThroughLookup('localhost', 4, (error, address, family) => {
        called = true;
        if (error !== null) reject(error);
        else resolve([address, family]);
      });
    });
    expect(called).toBe(false);
    const [address, family] = await result;
    expect(family).toBe(4);
    expect(address.startsWith('127.')).toBe(true);
  });
});

describe('a burst of questions in flight at once (real socket)', () => {
  const zone = zoneOf(recordsFromFile('generated/served-master-state.json'));
  let server: DnsServer;
  let port = 0;
  beforeAll(async () => {
    server = new DnsServer({ listener: '127.0.0.1', port: 0, apex: 'mesos.', recursionAvailable: true, setTruncateBit: true, forwarder: null, logger: pino({ level: 'silent' }) });
    port = await server.start();
    server.setZone(zone);
    await server.zoneSettled();
  });
  afterAll(async () => {
    await server.close();
  });

  type Parsed = { header: { id: number; rcode: number }; questions: { name: string }[]; answers: Record<string, unknown>[] };
  const asked = [
    { name: 'chronos.marathon.mesos', type: 1 },
    { name: 'liquor-store.marathon.mesos', type: 1 },
    { name: '_liquor-store._tcp.marathon.mesos', type: 33 },
    { name: 'toy-store.ipv6-framework.mesos', type: 28 },
    { name: 'missing.marathon.mesos', type: 1 },
  ];
  /** What a reply says, without the order of its answers (rotation moves them between replies). */
  const gist = (p: Parsed): string =>
    JSON.stringify([p.header.rcode, p.questions.map((q) => q.name), p.answers.map((a) => JSON.stringify(a)).sort()]);

  it('each of 500 replies, sent 100 at a time, answers its own question (a reused buffer never carries bytes of another reply)', async () => {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const replies = new Map<number, Parsed>();
    let waiting: { until: number; resolve: () => void } | null = null;
    socket.on('message', (message) => {
      const parsed = dns2.Packet.parse(message) as unknown as Parsed;
      replies.set(parsed.header.id, parsed);
      if (waiting !== null && replies.size >= waiting.until) waiting.resolve();
    });
    const sent = (until: number): Promise<void> => new Promise((resolve) => (waiting = { until, resolve }));
    // One reply alone per question first: what each should say.
    const expected = new Map<string, string>();
    for (const [i, ask] of asked.entries()) {
      const arrived = sent(i + 1);
      socket.send(question({ ...ask, id: 60000 + i }), port, '127.0.0.1');
      await arrived;
      const alone = replies.get(60000 + i);
      if (alone !== undefined) expected.set(ask.name, gist(alone));
    }
    replies.clear();
    // 100 at a time: more could overflow a loopback socket's receive buffer, and a lost datagram is not the point.
    for (let wave = 0; wave < 5; wave++) {
      const arrived = sent((wave + 1) * 100);
      for (let id = wave * 100; id < (wave + 1) * 100; id++) socket.send(question({ ...asked[id % asked.length]!, id }), port, '127.0.0.1');
      await arrived;
    }
    socket.close();
    expect(replies.size).toBe(500);
    for (let id = 0; id < 500; id++) {
      const ask = asked[id % asked.length]!;
      const reply = replies.get(id);
      expect(reply?.questions[0]?.name.toLowerCase()).toBe(ask.name);
      expect(reply === undefined ? null : gist(reply)).toBe(expected.get(ask.name));
    }
  });
});
