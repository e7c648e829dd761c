// SHA-1 (FIPS 180-4) of a string's UTF-8 bytes, for mesos-dns's per-task name hash. Pure.
// node:crypto costs about 4 µs per hash here (OpenSSL 3 fetches the digest on every call), which was a large part
// of a rebuild at 100k tasks; this one costs about a quarter of that for a task id. Tests compare it with node:crypto.

import { isAscii } from './ascii.js';

const W = new Int32Array(80);
const encoder = new TextEncoder();
/** Message words, reused while they are long enough. */
let words = new Int32Array(32);

/** Packs the UTF-8 bytes of `text` big-endian into 32-bit words, with SHA-1's padding and bit length. */
function pack(text: string): number {
  const ascii = isAscii(text);
  const bytes = ascii ? null : encoder.encode(text);
  const length = bytes === null ? text.length : bytes.length;
  const blocks = ((length + 8) >> 6) + 1;
  const count = blocks * 16;
  if (words.length < count) words = new Int32Array(count);
  const m = words;
  m.fill(0, 0, count);
  if (bytes === null) {
    for (let i = 0; i < length; i++) m[i >> 2] = (m[i >> 2] ?? 0) | (text.charCodeAt(i) << (24 - (i & 3) * 8));
  } else {
    for (let i = 0; i < length; i++) m[i >> 2] = (m[i >> 2] ?? 0) | ((bytes[i] ?? 0) << (24 - (i & 3) * 8));
  }
  m[length >> 2] = (m[length >> 2] ?? 0) | (0x80 << (24 - (length & 3) * 8));
  m[count - 2] = Math.floor(length / 0x20000000);
  m[count - 1] = (length * 8) | 0;
  return blocks;
}

/** The SHA-1 digest of `text` (as UTF-8) as five big-endian 32-bit words (signed), without allocating bytes. */
export function sha1Words(text: string): [number, number, number, number, number] {
  const blocks = pack(text);
  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  const m = words;
  for (let block = 0; block < blocks; block++) {
    for (let i = 0; i < 16; i++) W[i] = m[block * 16 + i] ?? 0;
    for (let i = 16; i < 80; i++) {
      const x = (W[i - 3] ?? 0) ^ (W[i - 8] ?? 0) ^ (W[i - 14] ?? 0) ^ (W[i - 16] ?? 0);
      W[i] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    let t = 0;
    // Four loops of 20 rounds, one per round function, so no round branches.
    for (let i = 0; i < 20; i++) {
      t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + (W[i] ?? 0)) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (let i = 20; i < 40; i++) {
      t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + (W[i] ?? 0)) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (let i = 40; i < 60; i++) {
      t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + (0x8f1bbcdc | 0) + (W[i] ?? 0)) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (let i = 60; i < 80; i++) {
      t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + (0xca62c1d6 | 0) + (W[i] ?? 0)) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  return [h0, h1, h2, h3, h4];
}

/** The 20-byte SHA-1 digest of `text` encoded as UTF-8. */
export function sha1(text: string): Uint8Array {
  const out = new Uint8Array(20);
  const view = new DataView(out.buffer);
  sha1Words(text).forEach((word, i) => view.setInt32(i * 4, word));
  return out;
}
