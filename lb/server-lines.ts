// The backend lines of one service: marathon-lb's health-check options (once per backend) and a server line per
// task, with stable names and ids and the sticky cookie. Pure.
import { createHash } from 'node:crypto';
import { serverId, serverName } from './server-id.js';
import type { Server, Service } from './services.js';
import type { TemplateVars } from './templates.js';
import type { Fragment } from './view-types.js';

function healthVars(service: Service, checkPort: number | null): TemplateVars {
  const hc = service.healthCheck;
  if (hc === null) return {};
  return {
    healthCheckPortIndex: hc.portIndex ?? '',
    healthCheckPort: checkPort ?? '',
    healthCheckProtocol: hc.protocol,
    healthCheckPath: hc.path ?? '/',
    healthCheckTimeoutSeconds: hc.timeoutSeconds,
    healthCheckIntervalSeconds: hc.intervalSeconds,
    healthCheckGracePeriodSeconds: hc.gracePeriodSeconds,
    healthCheckMaxConsecutiveFailures: hc.maxConsecutiveFailures,
    healthCheckFalls: hc.maxConsecutiveFailures + 1,
    healthCheckPortOptions: checkPort ? ` port ${checkPort}` : '',
  };
}

/**
 * marathon-lb's get_backend_port: with HAPROXY_{n}_BACKEND_HEALTHCHECK_PORT_INDEX, the port of the same-position
 * server of the app's service at that index; otherwise (or out of range) the server's own port.
 */
function checkPortOf(service: Service, siblings: readonly Service[], position: number): number | null {
  const index = service.labels.BACKEND_HEALTHCHECK_PORT_INDEX;
  const own = service.servers[position]?.port ?? null;
  if (index === undefined || index >= siblings.length) return own;
  return siblings[index]?.servers[position]?.port ?? null;
}

export function serverFragments(service: Service, mode: 'http' | 'tcp', siblings: readonly Service[], sticky: boolean): Fragment[] {
  const out: Fragment[] = [];
  const hc = service.healthCheck;
  const tcpCheck = hc !== null && (mode === 'tcp' || hc.protocol === 'TCP' || hc.protocol === 'MESOS_TCP');
  if (hc !== null) {
    out.push({ template: tcpCheck ? 'BACKEND_TCP_HEALTHCHECK_OPTIONS' : 'BACKEND_HTTP_HEALTHCHECK_OPTIONS', vars: healthVars(service, checkPortOf(service, siblings, 0)), perPort: true });
  }
  const used = new Set<number>();
  // One health-check fragment per check port, shared by the servers that use it (all of them, unless
  // BACKEND_HEALTHCHECK_PORT_INDEX points elsewhere): fragments are immutable, and one per server made the view 105
  // MB instead of 66 at 100k tasks.
  const checks = new Map<number | null, Readonly<Record<string, Fragment>>>();
  const checkFragment = (checkPort: number | null): Readonly<Record<string, Fragment>> | null => {
    if (hc === null) return null;
    let found = checks.get(checkPort);
    if (found === undefined) {
      const template = tcpCheck ? 'BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS' : 'BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS';
      found = { healthCheckOptions: { template, vars: healthVars(service, checkPort), perPort: true } };
      checks.set(checkPort, found);
    }
    return found;
  };
  service.servers.forEach((server: Server, position) => {
    const name = serverName(server.host, server.ip, server.port);
    const id = serverId(name, used);
    used.add(id);
    const checkPort = service.labels.BACKEND_HEALTHCHECK_PORT_INDEX !== undefined ? checkPortOf(service, siblings, position) : hc?.port ?? null;
    const nested = checkFragment(checkPort);
    const vars: TemplateVars = {
      host: server.host,
      host_ipv4: server.ip,
      port: server.port,
      serverName: name,
      serverId: id,
      cookieOptions: sticky ? ` check cookie ${createHash('sha1').update(name).digest('hex').slice(0, 10)}` : '',
      healthCheckOptions: '',
      otherOptions: server.draining ? ' disabled' : '',
    };
    out.push(nested === null ? { template: 'BACKEND_SERVER_OPTIONS', vars, perPort: true } : { template: 'BACKEND_SERVER_OPTIONS', vars, perPort: true, nested });
  });
  return out;
}

