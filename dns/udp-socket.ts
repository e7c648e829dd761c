// The DNS server's UDP socket: created with a lookup step that passes IP literals straight through, and bound.
// I/O: a socket; the lookup itself is synchronous for addresses and dns.lookup for a host name.
import dgram from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * dgram runs its socket's lookup step on every send(). The default, dns.lookup, hands even an IP literal back on the
 * next tick, which cost about 4 µs of CPU per reply on the benchmark machine (a fifth of all a reply costs: see
 * BENCHMARKS.md). Replies go to the address a datagram came from, always an IP literal, so those are answered at
 * once; a host name (a listener such as "localhost", at bind) still goes through dns.lookup.
 */
export function passThroughLookup(host: string, options: LookupOneOptions | number, callback: LookupCallback): void {
  const family = isIP(host);
  if (family !== 0) {
    callback(null, host, family);
    return;
  }
  // dgram passes the family as a number (4 or 6); dns.lookup takes either form.
  dnsLookup(host, typeof options === 'number' ? { family: options } : options, callback);
}

/** A UDP socket for `listener` (udp6 when it is an IPv6 literal), with the pass-through lookup. */
export function createUdpSocket(listener: string): dgram.Socket {
  return dgram.createSocket({ type: listener.includes(':') ? 'udp6' : 'udp4', lookup: passThroughLookup });
}

/** Binds `socket` to host:port; rejects with the bind error (the port is taken, the address is not ours, …). */
export function bindUdp(socket: dgram.Socket, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}
