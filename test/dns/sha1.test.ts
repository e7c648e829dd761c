// The JavaScript SHA-1 behind task-name hashes agrees with node:crypto, for ASCII and multi-byte input of every
// length around the block boundaries.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha1 } from '../../dns/sha1.js';

const reference = (text: string): string => createHash('sha1').update(text, 'utf8').digest('hex');
const ours = (text: string): string => Buffer.from(sha1(text)).toString('hex');

describe('sha1', () => {
  it('matches the FIPS 180 examples', () => {
    expect(ours('abc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(ours('')).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
  });

  it('matches node:crypto for every length from 0 to 200 (padding across one, two and three blocks)', () => {
    for (let n = 0; n <= 200; n++) expect(ours('a'.repeat(n))).toBe(reference('a'.repeat(n)));
  });

  it('matches node:crypto for arbitrary strings, multi-byte characters included', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => ours(text) === reference(text)), { numRuns: 2000 });
  });
});
