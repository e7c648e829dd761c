// Opening a TCP or HTTP listener and learning the port it got, and closing an HTTP server with its connections.
// I/O: sockets. Shared by the DNS TCP listener, the HTTP API and the tests' fake upstreams.
import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';

/** Listens on host:port and resolves to the bound port (the one the system chose when port is 0). */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

/** Closes an HTTP server at once: keep-alive connections would otherwise hold close() open. */
export async function closeHttpServer(server: HttpServer): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
