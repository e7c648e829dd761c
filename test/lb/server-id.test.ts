// Stable server ids: every `server NAME ADDR id N` line marathon-lb wrote in the recorded configs is reproduced.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modIdSpace, serverId, serverName } from '../../lb/server-id.js';

const generated = new URL('../fixtures/marathon-lb/generated/', import.meta.url);
const servers = readdirSync(generated)
  .filter((f) => f.endsWith('.cfg'))
  .flatMap((file) =>
    [...readFileSync(new URL(file, generated), 'utf8').matchAll(/^\s*server (\S+) (\S+) id (\d+)/gm)].map((m) => [file, m[1] ?? '', Number(m[3])] as const),
  );

describe('marathon-lb server ids', () => {
  it('the recorded configs have servers to check', () => {
    expect(servers.length).toBeGreaterThan(10);
  });

  it.each(servers)('%s: %s → id %i', (_file, name, id) => {
    expect(serverId(name, new Set())).toBe(id);
  });

  it('matches the reference example', () => {
    expect(serverId('agent1_1_1_1_1_1024', new Set())).toBe(28363);
  });

  it('never returns an id already used in the backend, and stays deterministic', () => {
    const first = serverId('agent1_1_1_1_1_1024', new Set());
    const second = serverId('agent1_1_1_1_1_1024', new Set([first]));
    expect(second).not.toBe(first);
    expect(second).toBeGreaterThan(0);
    expect(serverId('agent1_1_1_1_1_1024', new Set([first]))).toBe(second);
    // marathon-lb's rehash: sha256 of the name, a space and the previous hex digest.
    const hex = createHash('sha256').update('agent1_1_1_1_1_1024').digest('hex');
    const rehashed = createHash('sha256').update(`agent1_1_1_1_1_1024 ${hex}`).digest('hex');
    expect(second).toBe(Number(BigInt(`0x${rehashed}`) % 32767n));
  });

  it.each([
    ['10.1.0.21', '10.1.0.21', 31100, '10_1_0_21_31100'],
    ['agent1.example', '127.0.0.1', 1024, 'agent1_example_127_0_0_1_1024'],
  ] as const)('server name of %s %s:%i is %s', (host, ip, port, name) => {
    expect(serverName(host, ip, port)).toBe(name);
  });
});

describe('modIdSpace', () => {
  it('is the digest read as one big integer, mod 32767 (as BigInt computes it)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), (bytes) => {
        const hex = Buffer.from(bytes).toString('hex');
        expect(modIdSpace(bytes)).toBe(hex === '' ? 0 : Number(BigInt(`0x${hex}`) % 32767n));
      }),
      { numRuns: 2000 },
    );
    expect(modIdSpace(new Uint8Array(32).fill(255))).toBe(Number((2n ** 256n - 1n) % 32767n));
  });
});
