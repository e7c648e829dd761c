// Test helper: free TCP ports on 127.0.0.1 below the kernel's ephemeral range, so that sockets bound to port 0 later
// (HTTP APIs, fake upstreams, outgoing connections) cannot take a port handed out here. I/O: binds and releases.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

function tryBind(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

/**
 * `count` distinct ports that were free a moment ago, from a random start in [10000, ephemeral low) upwards, bound
 * together (so they differ) and then released; the caller binds them soon after.
 */
export async function lowFreePorts(count: number): Promise<number[]> {
  const top = ephemeralLow();
  const span = top - 10_000;
  if (count > span / 2) throw new Error(`cannot find ${count} ports below ${top}`);
  const held: Server[] = [];
  const ports: number[] = [];
  const start = 10_000 + Math.floor(Math.random() * span);
  try {
    for (let i = 0; i < span && ports.length < count; i += 1) {
      const port = 10_000 + ((start - 10_000 + i) % span);
      const server = await tryBind(port);
      if (server === null) continue;
      held.push(server);
      ports.push(port);
    }
    if (ports.length < count) throw new Error(`only ${ports.length} of ${count} ports below ${top} are free`);
    return ports;
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
