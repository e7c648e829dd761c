// Benchmark child process: `switchyard` serves the DNS of a 2,000-app example state (the real DnsServer, fast path
// and all), `echo` is the trivial Node responder it is compared with. I/O: one loopback UDP/TCP port, printed as
// {"port": N} on stdout; exits when stdin closes, on SIGTERM, or after a safety timeout.
import dgram from 'node:dgram';
import { buildRecords } from '../../dns/records.js';
import { createUdpSocket } from '../../dns/udp-socket.js';
import type { Zone } from '../../dns/zone.js';
import { normalizeMesos, parseMesosState } from '../../state-poller/normalize.js';
import { RECORD_OPTIONS, zoneOf } from '../helpers/zone.js';
import { mesosStateDoc, type ClusterShape } from './scale-cluster.js';
import { loopbackDnsServer } from '../helpers/dns-server.js';

export const EXAMPLE_SHAPE: ClusterShape = { apps: 2000, tasksPerApp: 3, agents: 100 };
const LIFETIME_MS = 10 * 60 * 1000;

/** The example state's zone, built the way cli/gateway.ts builds it (mesos-dns defaults). */
export function exampleZone(shape: ClusterShape = EXAMPLE_SHAPE): Zone {
  const parsed = parseMesosState(mesosStateDoc(shape));
  if (!parsed.ok) throw new Error(parsed.message);
  const { state } = normalizeMesos(parsed.doc, new Map());
  // The tests' record options and zone parameters (mesos-dns defaults), without configured masters.
  return zoneOf(buildRecords(state, { ...RECORD_OPTIONS, masters: [] }));
}

async function startSwitchyard(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = loopbackDnsServer();
  const port = await server.start();
  server.setZone(exampleZone());
  await server.zoneSettled();
  return { port, close: () => server.close() };
}

/**
 * Sends every datagram back with QR set: the least any UDP responder can do per question. `passThrough` gives it the
 * lookup step switchyard's socket has (dns/udp-socket.ts) instead of dgram's default, which the goal's echo uses.
 */
async function startEcho(passThrough: boolean): Promise<{ port: number; close: () => Promise<void> }> {
  const socket = passThrough ? createUdpSocket('127.0.0.1') : dgram.createSocket('udp4');
  socket.on('message', (message, remote) => {
    message[2] = (message[2] ?? 0) | 0x80;
    socket.send(message, remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return { port: socket.address().port, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

async function main(): Promise<void> {
  const kind = process.argv[2];
  if (kind !== 'switchyard' && kind !== 'echo' && kind !== 'echo-passthrough') throw new Error('usage: dns-servers.js switchyard|echo|echo-passthrough');
  const server = kind === 'switchyard' ? await startSwitchyard() : await startEcho(kind === 'echo-passthrough');
  let closing = false;
  const stop = (): void => {
    if (closing) return;
    closing = true;
    void server.close().then(() => process.exit(0));
  };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  setTimeout(stop, LIFETIME_MS).unref();
  process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
}

if (process.argv[1]?.endsWith('dns-servers.js') === true) void main();
