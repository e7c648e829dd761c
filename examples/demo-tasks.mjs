// Stand-ins for the sample cluster's tasks (examples/cluster/marathon-apps.json): one small server on each task's
// loopback address and port. I/O: listens on 127.0.x.y sockets. Run alone (`node examples/demo-tasks.mjs`) or from demo.mjs.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const defaultAppsFile = fileURLToPath(new URL('cluster/marathon-apps.json', import.meta.url));

/**
 * Where each task of a Marathon /v2/apps?embed=apps.tasks document listens, the way marathon-lb finds it: the task's
 * own IP and the container ports for IP-per-task apps ("container" networks), the host and task ports otherwise.
 * `mode` is the port's HAPROXY_{n}_MODE ("tcp" or "http"). Pure.
 */
export function taskEndpoints(doc) {
  const out = [];
  for (const app of doc.apps ?? []) {
    const labels = app.labels ?? {};
    const container = (app.networks ?? []).some((n) => (n.mode ?? 'container') === 'container');
    const mappings = app.container?.docker?.portMappings ?? app.container?.portMappings ?? [];
    for (const task of app.tasks ?? []) {
      const ip = container ? task.ipAddresses?.[0]?.ipAddress : task.host;
      const ports = container ? mappings.map((m) => m.containerPort) : (task.ports ?? []);
      ports.forEach((port, index) => {
        const mode = labels[`HAPROXY_${index}_MODE`] ?? 'http';
        out.push({ appId: app.id, taskId: task.id, ip, port, mode });
      });
    }
  }
  return out;
}

/** The line an HTTP stand-in answers with: which task got which request. */
export function httpAnswer(endpoint, method, url) {
  return `${endpoint.taskId} (${endpoint.appId}) on ${endpoint.ip}:${endpoint.port}: ${method} ${url}\n`;
}

function httpServer(endpoint) {
  return createHttpServer((req, res) => {
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    // Marathon's health check path for /web; HAProxy's httpchk asks it every few seconds, so it stays quiet.
    res.end(req.url === '/health' ? 'ok\n' : httpAnswer(endpoint, req.method, req.url));
  });
}

/** A redis stand-in: PING gets +PONG, QUIT gets +OK and closes, anything else an error line. */
function tcpServer() {
  return createTcpServer((socket) => {
    socket.on('error', () => socket.destroy()); // health checks connect and close at once
    let buffered = '';
    socket.setEncoding('utf8').on('data', (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const command = buffered.slice(0, newline).trim().toUpperCase();
        buffered = buffered.slice(newline + 1);
        if (command === '') continue;
        if (command === 'QUIT') {
          socket.end('+OK\r\n');
          return;
        }
        socket.write(command === 'PING' ? '+PONG\r\n' : '-ERR this stand-in knows only PING and QUIT\r\n');
      }
    });
  });
}

/** Starts one server per task port; resolves with them and a close() that stops them all. */
export async function startTaskServers(doc) {
  const endpoints = taskEndpoints(doc);
  const servers = [];
  const sockets = new Set();
  try {
    for (const endpoint of endpoints) {
      const server = endpoint.mode === 'tcp' ? tcpServer() : httpServer(endpoint);
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(endpoint.port, endpoint.ip, () => resolve());
      });
      servers.push(server);
    }
  } catch (error) {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(() => resolve()))));
    throw error;
  }
  return {
    endpoints,
    close: async () => {
      const closed = servers.map((s) => new Promise((resolve) => s.close(() => resolve())));
      for (const socket of sockets) socket.destroy();
      await Promise.all(closed);
    },
  };
}

export function readApps(path = defaultAppsFile) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

// Run alone: serve until SIGINT or SIGTERM.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const tasks = await startTaskServers(readApps(process.argv[2]));
  for (const e of tasks.endpoints) process.stderr.write(`demo: ${e.taskId} (${e.appId}) listening on ${e.mode} ${e.ip}:${e.port}\n`);
  const stop = () => void tasks.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
