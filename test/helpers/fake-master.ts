// Test helper: a fake Mesos master speaking GET /master/state on loopback, with switchable failure modes.
// I/O: an HTTP server on 127.0.0.x.
import { createServer, type Server } from 'node:http';
import { closeHttpServer, listen } from '../../dns/listen.js';

export type MasterBehaviour =
  | { readonly kind: 'state'; readonly body: unknown }
  | { readonly kind: 'status'; readonly status: number; readonly body: string }
  | { readonly kind: 'raw'; readonly body: string }
  | { readonly kind: 'hang' };

export class FakeMaster {
  behaviour: MasterBehaviour;
  requests = 0;
  private server: Server | null = null;
  port = 0;

  constructor(behaviour: MasterBehaviour) {
    this.behaviour = behaviour;
  }

  async start(host = '127.0.0.1', port = 0): Promise<number> {
    const server = createServer((req, res) => {
      if (req.url !== '/master/state') {
        res.writeHead(404).end('not found');
        return;
      }
      this.requests++;
      const b = this.behaviour;
      if (b.kind === 'hang') return;
      if (b.kind === 'status') res.writeHead(b.status, { 'content-type': 'text/plain' }).end(b.body);
      else if (b.kind === 'raw') res.writeHead(200, { 'content-type': 'application/json' }).end(b.body);
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(b.body));
    });
    this.server = server;
    this.port = await listen(server, port, host);
    return this.port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server !== null) await closeHttpServer(server);
  }
}
