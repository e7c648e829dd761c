// Test helper: the real DnsServer as the tests and the DNS benchmark run it: 127.0.0.1, mesos-dns's defaults (RA
// and the truncate bit set), no forwarder, a silent log. Pure until the caller starts it (then UDP and TCP sockets).
import { pino } from 'pino';
import { DnsServer } from '../../dns/server.js';

/** A DnsServer on 127.0.0.1 that picks a free port when started; the caller starts it and hands it zones. */
export function loopbackDnsServer(): DnsServer {
  return new DnsServer({
    listener: '127.0.0.1',
    port: 0,
    apex: 'mesos.',
    recursionAvailable: true,
    setTruncateBit: true,
    forwarder: null,
    logger: pino({ level: 'silent' }),
  });
}
