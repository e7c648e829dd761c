// marathon-lb's stable HAProxy server names and ids, so server-state files and golden configs carry over.
// Pure: sha256 of the server name, read as an integer, mod 32767 (reference/marathon-lb.md §2.2, naming rules).
import { sha256 } from './sha256.js';

const ID_SPACE = 32767;

/** marathon-lb's cleaning of names for HAProxy (servers, ACLs, map entries): outside [A-Za-z0-9-] becomes `_`. */
export function cleaned(text: string): string {
  return text.replace(/[^A-Za-z0-9-]/g, '_');
}

/** `host_ip_port`, or `ip_port` when host and ip are the same, cleaned. */
export function serverName(host: string, ip: string, port: number): string {
  return cleaned(host === ip ? `${ip}_${port}` : `${host}_${ip}_${port}`);
}

/**
 * The id marathon-lb gives a server: sha256(name) mod 32767. A zero or an id already used in the same backend is
 * rehashed as sha256(name + " " + previous hex digest) until it is free, so ids stay stable across reloads.
 */
export function serverId(name: string, used: ReadonlySet<number>): number {
  let input = name;
  for (;;) {
    const digest = sha256(input);
    const id = modIdSpace(digest);
    if (id !== 0 && !used.has(id)) return id;
    input = `${name} ${Buffer.from(digest).toString('hex')}`;
  }
}

/**
 * The digest read as a big-endian integer, mod ID_SPACE, byte by byte (Horner): the remainder stays below 2^23, so
 * doubles are exact, and it is BigInt(`0x${hex}`) % 32767n without a BigInt or a hex string per server.
 */
export function modIdSpace(digest: Uint8Array): number {
  let remainder = 0;
  for (const byte of digest) remainder = (remainder * 256 + byte) % ID_SPACE;
  return remainder;
}
