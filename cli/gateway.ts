// The composition root: one validated Config → store, poller, DNS server and HTTP API, wired together.
// I/O: starts sockets, timers and file watchers; close() stops them all.
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import { recordSteps, type EnumeratedFramework, type RecordOptions, type RecordSet } from '../dns/records.js';
import { RecordsFeed } from '../dns/records-feed.js';
import { Zone } from '../dns/zone.js';
import { DnsServer } from '../dns/server.js';
import { HttpApi, type ExtraRoute, type HttpView } from '../dns/http-api.js';
import { Forwarder } from '../dns/forwarder.js';
import { DiagnosticLog } from '../state-poller/diagnostic-log.js';
import { FileSource } from '../state-poller/file-source.js';
import { MesosSource } from '../state-poller/mesos-source.js';
import type { HostPort, Snapshot } from '../state-poller/model.js';
import { MesosPoller, type ResolveHost, type StateSource } from '../state-poller/poller.js';
import { SnapshotStore } from '../state-poller/store.js';
import { splitHostPort } from '../state-poller/upid.js';
import { runInSlices } from '../state-poller/slices.js';
import { MarathonPoller } from '../state-poller/marathon-poller.js';
import { MarathonSource } from '../state-poller/marathon-source.js';
import { configHalves, redactConfig, type Config } from './config.js';
import { resolvePath, startLbRuntime, type LbRuntime } from './lb-runtime.js';
import { gatewayRoutes } from './routes.js';
import { SharedSteps } from './shared-steps.js';

export interface GatewayOptions {
  readonly logger: Logger;
  readonly version: string;
  /** Folder that relative paths in the config (stateFile) are read from: the config file's folder. */
  readonly baseDir: string;
  readonly resolveHost?: ResolveHost;
}

export interface Gateway {
  readonly dnsPort: number | null;
  readonly httpPort: number | null;
  readonly store: SnapshotStore;
  /** The load-balancer half, when the config names a Marathon source. */
  readonly lb: LbRuntime | null;
  /** Polls now (SIGHUP, tests); resolves when that poll has finished. */
  refresh(reason: string): Promise<void>;
  close(): Promise<void>;
}

/** Addresses for the SOAMname record: the listener, or every non-loopback interface when it listens on all. */
export function nameServerAddresses(listener: string): string[] {
  if (listener !== '0.0.0.0' && listener !== '::') return [listener];
  const out: string[] = [];
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) if (!entry.internal) out.push(entry.address.split('%')[0] ?? entry.address);
  }
  return out;
}

/** `resolvers: []` means the nameservers of /etc/resolv.conf, less this machine's own addresses (as in mesos-dns). */
async function effectiveResolvers(config: Config): Promise<string[]> {
  if (config.resolvers.length > 0) return [...config.resolvers];
  let text = '';
  try {
    text = await readFile('/etc/resolv.conf', 'utf8');
  } catch {
    return [];
  }
  const own = new Set(nameServerAddresses('0.0.0.0'));
  return text
    .split('\n')
    .map((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1])
    .filter((ip): ip is string => ip !== undefined && !own.has(ip));
}

function recordOptions(config: Config, masters: readonly HostPort[]): RecordOptions {
  return {
    domain: config.domain,
    spec: config.EnforceRFC952 ? 'rfc952' : 'rfc1123',
    ipSources: config.IPSources,
    masters,
    nsName: config.SOAMname,
    nsAddresses: nameServerAddresses(config.listener),
    legacyDiscoveryNames: config.legacyDiscoveryNames,
  };
}

function stateSource(config: Config, baseDir: string, masters: readonly HostPort[]): StateSource {
  if (config.stateFile !== null) {
    return new FileSource(resolvePath(baseDir, config.stateFile));
  }
  const credentials = config.mesosCredentials;
  return new MesosSource({
    masters,
    timeoutMs: config.stateTimeoutSeconds * 1000,
    https: config.MesosHTTPSOn,
    basicAuth: config.mesosAuthentication === 'basic' ? `${credentials.principal}:${credentials.secret}` : null,
  });
}

/** "principal:secret" for Marathon's basic auth (the apps and the event stream), or null without a principal. */
function marathonBasicAuth(config: Config): string | null {
  const { principal, secret } = config.marathonCredentials;
  return principal === '' ? null : `${principal}:${secret}`;
}

/** The Marathon source of the config: its watched file, or its URLs in order. */
export function marathonSource(config: Config, baseDir: string): StateSource {
  if (config.marathonFile !== null) return new FileSource(resolvePath(baseDir, config.marathonFile));
  return new MarathonSource({ urls: config.marathon, timeoutMs: config.marathonTimeoutSeconds * 1000, basicAuth: marathonBasicAuth(config) });
}

function startMarathonPoller(config: Config, baseDir: string, store: SnapshotStore, logger: Logger, resolveHost?: ResolveHost): MarathonPoller {
  const poller = new MarathonPoller({
    source: marathonSource(config, baseDir),
    store,
    logger,
    ...(resolveHost ? { resolveHost } : {}),
    // The event stream exists only on a live Marathon; a file source is watched instead.
    events:
      config.lb.sse && config.marathonFile === null
        ? { baseUrls: config.marathon, basicAuth: marathonBasicAuth(config), maxBackoffMs: config.lb.maxBackoffSeconds * 1000 }
        : null,
    resyncMs: config.lb.resyncSeconds * 1000,
    minIntervalMs: config.lb.eventMinIntervalMs,
    maxDelayMs: config.lb.eventMaxDelayMs,
  });
  poller.start();
  return poller;
}

export async function startGateway(config: Config, options: GatewayOptions, extra?: ExtraRoute): Promise<Gateway> {
  const { logger } = options;
  const masters = config.masters.map(splitHostPort).filter((m): m is HostPort => m !== null);
  const apex = `${config.domain}.`;
  const store = new SnapshotStore();
  const recordDiagnostics = new DiagnosticLog(logger);
  // The per-task records of /v1/enumerate are left out of the served RecordSet and built when asked for.
  const recordOpts: RecordOptions = { ...recordOptions(config, masters), enumerate: false };
  const redacted = redactConfig(config);

  const halves = configHalves(config);
  // The zone served (its records: the RecordSet until its answer table is built, then the table, see adoptTable).
  let zone: Zone | null = null;
  const served = (): RecordSet | null => zone?.records ?? null;
  let recordsFrom: Snapshot['mesos'] = null;
  let serial = 0;
  const dns = config.dnson && halves.dns ? await startDns(config, apex, logger) : null;

  // Each new Mesos half is turned into records (in slices, so that answering goes on meanwhile) and a zone, then
  // swapped in by reference; a Marathon-only update hands over the same Mesos object and costs nothing here.
  const feed = new RecordsFeed<Snapshot>({
    options: recordOpts,
    run: runInSlices,
    install: (built, snapshot) => {
      serial = Math.floor(snapshot.loadedAt / 1000);
      zone = new Zone(built, {
        ttl: config.ttl,
        srvWeight: config.srvRecordDefaultWeight,
        soa: {
          mname: config.SOAMname,
          rname: config.SOARname,
          serial,
          refresh: config.SOARefresh,
          retry: config.SOARetry,
          expire: config.SOAExpire,
          minimum: config.SOAMinttl,
        },
      });
      recordsFrom = snapshot.mesos;
      dns?.server.setZone(zone);
      recordDiagnostics.report(built.diagnostics);
      logger.info(
        { generation: snapshot.generation, a: built.a.size, aaaa: built.aaaa.size, srv: built.srv.size, diagnostics: snapshot.diagnostics.length + built.diagnostics.length },
        'records updated',
      );
    },
    onError: (error) => logger.error({ err: error }, 'could not build the DNS records of a new state; still serving the previous ones'),
  });
  // The Mesos half's object is compared, not its generation: a poll that parsed the state already served keeps that
  // object (state-poller/same-state.ts), so nothing is rebuilt. So a records build that failed (a bug, reported by
  // onError) is tried again only when the state changes, not by a new body of the same state.
  let lastMesos: Snapshot['mesos'] | undefined;
  const onSnapshot = (snapshot: Snapshot): void => {
    if (!halves.dns || snapshot.mesos === lastMesos) return;
    lastMesos = snapshot.mesos;
    feed.offer(snapshot);
  };
  store.subscribe(onSnapshot);

  // Built when first asked for after each new state (a second or more at 100k tasks, in steps that the HTTP API runs
  // in slices), then kept for the requests that follow until the state changes; requests that come while it is built
  // share the one build (cli/shared-steps.ts).
  // Only the frameworks are kept: the rest of that RecordSet (its maps) would double the DNS memory.
  const enumerated = new SharedSteps(function* (from: Snapshot['mesos']): Generator<void, readonly EnumeratedFramework[]> {
    return (yield* recordSteps(from, { ...recordOpts, enumerate: true })).frameworks;
  });
  function* enumerate(): Generator<void, readonly EnumeratedFramework[]> {
    if (zone === null) return [];
    return yield* enumerated.get(recordsFrom);
  }
  const view = (): HttpView => ({
    records: served(),
    enumerate,
    domain: config.domain,
    ttl: config.ttl,
    serial,
    refreshSeconds: config.refreshSeconds,
    mname: config.SOAMname,
    rname: config.SOARname,
    enumerationOn: config.EnumerationOn,
    version: options.version,
    config: redacted,
  });
  let lb: LbRuntime | null = null;
  if (halves.lb) {
    try {
      lb = await startLbRuntime(config, options.baseDir, store, logger);
    } catch (error) {
      await dns?.server.close();
      throw error;
    }
  }
  // Declared before the HTTP API starts, so a request that arrives first sees "not yet" rather than an error.
  let poller: MesosPoller | null = null;
  let marathon: MarathonPoller | null = null;
  const routes = gatewayRoutes(
    {
      store,
      mesos: halves.dns ? () => poller?.counters ?? { polls: 0, failures: 0, unchanged: 0, sameState: 0, lastDurationMs: null } : null,
      marathon: halves.lb ? () => marathon?.counters ?? { fetches: 0, failures: 0, unchanged: 0, lastDurationMs: null } : null,
      mesosIntervalMs: config.refreshSeconds * 1000,
      marathonIntervalMs: config.lb.resyncSeconds * 1000,
      readyMaxAgeMultiple: config.readyMaxAgeMultiple,
      dnsStats: () => dns?.server.stats ?? null,
      records: served,
      lb: () => lb,
    },
    extra,
  );

  let http: HttpApi | null = null;
  let httpPort: number | null = null;
  if (config.httpon) {
    http = new HttpApi(view, logger, routes);
    try {
      httpPort = await http.start(config.httpport, config.HTTPListener);
    } catch (error) {
      await Promise.all([dns?.server.close(), lb?.close()]);
      throw error;
    }
    logger.info({ address: config.HTTPListener, port: httpPort }, 'HTTP API listening');
  }

  if (halves.dns) {
    poller = new MesosPoller({
      source: stateSource(config, options.baseDir, masters),
      store,
      refreshMs: config.refreshSeconds * 1000,
      logger,
      ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
    });
    poller.start();
  }
  if (halves.lb) marathon = startMarathonPoller(config, options.baseDir, store, logger, options.resolveHost);

  return {
    dnsPort: dns?.port ?? null,
    httpPort,
    store,
    lb,
    refresh: async (reason) => {
      await Promise.all([poller?.pollNow(reason), marathon?.refresh(reason)]);
      // The poll is finished when what it brought is answered: its records built and their answer table swapped in.
      await feed.idle();
      await dns?.server.zoneSettled();
      await lb?.pipeline.idle();
    },
    close: async () => {
      await Promise.all([poller?.stop(), marathon?.stop()]);
      await feed.idle();
      await lb?.close();
      await Promise.all([dns?.server.close(), http?.close(), dns?.forwarder?.close()]);
    },
  };

  async function startDns(cfg: Config, zoneApex: string, log: Logger): Promise<{ server: DnsServer; port: number; forwarder: Forwarder | null }> {
    const resolvers = cfg.externalon ? await effectiveResolvers(cfg) : [];
    if (cfg.externalon && resolvers.length === 0) log.warn('externalon is set but no resolver is known: outside names are REFUSED');
    const forwarder = resolvers.length > 0 ? new Forwarder({ resolvers, timeoutMs: cfg.timeout * 1000 }) : null;
    const server = new DnsServer({
      listener: cfg.listener,
      port: cfg.port,
      apex: zoneApex,
      recursionAvailable: cfg.recurseon,
      setTruncateBit: cfg.SetTruncateBit,
      forwarder,
      logger: log,
    });
    const port = await server.start();
    log.info({ address: cfg.listener, port, resolvers }, 'DNS listening on UDP and TCP');
    return { server, port, forwarder };
  }
}
