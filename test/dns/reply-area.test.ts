// The UDP fast path's reply area (dns/reply-area.ts) and the socket lookup that makes writing replies there safe
// (dns/udp-socket.ts), then a burst of questions in flight at once through a real DnsServer on 127.0.0.1.
import dgram from 'node:dgram';
import dns2 from 'dns2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRESH_PAGES_BYTES, REPLY_AREA_BYTES, ReplyArea, withReplyArea, withReplyAreaSteps } from '../../dns/reply-area.js';
import { finish } from '../../dns/steps.js';
import type { DnsServer } from '../../dns/server.js';
import { passThroughLookup } from '../../dns/udp-socket.js';
import { recordsFromFile, zoneOf } from '../helpers/zone.js';
import { question } from './question-bytes.js';
import { loopbackDnsServer } from '../helpers/dns-server.js';

describe('ReplyArea', () => {
  const bytes = withReplyArea(Buffer.from('0123456789abcdef', 'latin1'));

  it('keeps the table bytes as they were, with the area after them in the same block', () => {
    expect(bytes.toString('latin1')).toBe('0123456789abcdef');
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(16 + REPLY_AREA_BYTES);
  });

  it('gives one kept view per length, past the table bytes, and copies answers inside the block', () => {
    const area = new ReplyArea(bytes);
    const reply = area.view(6);
    expect(reply.length).toBe(6);
    expect(area.view(6)).toBe(reply);
    expect(reply.byteOffset).toBe(16);
    reply.fill(0);
    expect(area.copyAnswers(10, 14, 1)).toBe(4);
    expect([...reply]).toEqual([0, ...Buffer.from('abcd', 'latin1'), 0]);
    expect(bytes.toString('latin1')).toBe('0123456789abcdef'); // the table's own bytes are never written
    const long = area.view(9000);
    expect(long.length).toBe(9000);
    expect(long.buffer).toBe(bytes.buffer);
  });

  it('keeps the block the bytes already start when it has the room and wastes little, else copies', () => {
    const fits = Buffer.from(new ArrayBuffer(1000 + REPLY_AREA_BYTES + 50), 0, 1000).fill(3);
    const kept = withReplyArea(fits);
    expect(kept.buffer).toBe(fits.buffer);
    expect(kept.length).toBe(1000);
    const wasteful = Buffer.from(new ArrayBuffer(1000 + REPLY_AREA_BYTES + 500), 0, 1000).fill(4);
    const copied = withReplyArea(wasteful);
    expect(copied.buffer).not.toBe(wasteful.buffer);
    expect(copied.buffer.byteLength).toBe(1000 + REPLY_AREA_BYTES);
    expect([...copied].every((byte) => byte === 4)).toBe(true);
  });

  it('keeps a large block whose room past the bytes was never written, whatever the room, and copies a small one', () => {
    const run = (bytes: Uint8Array, unwrittenTail: boolean): Buffer => finish(withReplyAreaSteps(bytes, 1 << 20, unwrittenTail));
    // Half the block unused: a copy, unless the caller says the rest was never written and the block is large.
    const large = Buffer.allocUnsafeSlow(FRESH_PAGES_BYTES).subarray(0, FRESH_PAGES_BYTES / 2).fill(5);
    expect(run(large, true).buffer).toBe(large.buffer);
    expect(run(large, false).buffer).not.toBe(large.buffer);
    const small = Buffer.allocUnsafeSlow(FRESH_PAGES_BYTES / 2).subarray(0, FRESH_PAGES_BYTES / 4).fill(6);
    const copied = run(small, true);
    expect(copied.buffer).not.toBe(small.buffer);
    expect(copied.buffer.byteLength).toBe(FRESH_PAGES_BYTES / 4 + REPLY_AREA_BYTES);
    expect(copied.equals(small)).toBe(true);
    // Without room for the reply area, it is copied whatever the size.
    const full = Buffer.allocUnsafeSlow(FRESH_PAGES_BYTES);
    expect(run(full, true).buffer).not.toBe(full.buffer);
  });

  it('refuses table bytes without a reply area after them', () => {
    expect(() => new ReplyArea(Buffer.from('abc'))).toThrow(/no reply area/);
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
    server = loopbackDnsServer();
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
