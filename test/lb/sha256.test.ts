// lb/sha256.ts against node:crypto: the same digest for any text, at every length around the block boundaries.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../lb/sha256.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const reference = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('sha256', () => {
  it('gives node:crypto’s digest for any text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 })), (text) => {
        expect(hex(sha256(text))).toBe(reference(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('at every length from 0 to 200 bytes, ASCII and not', () => {
    for (let n = 0; n <= 200; n++) {
      for (const text of ['a'.repeat(n), 'é'.repeat(n >> 1) + 'x'.repeat(n & 1)]) expect(hex(sha256(text)), `${n}`).toBe(reference(text));
    }
  });

  it('a long text after short ones (the buffer grows) and a short one after it', () => {
    for (const text of ['abc', 'x'.repeat(100_000), '€'.repeat(5_000), 'abc']) expect(hex(sha256(text))).toBe(reference(text));
  });
});
