// The Snapshot: one normalized, immutable view of the cluster that dns/ and lb/ both read.
// Types only, no code: this is the only module dns/ and lb/ import from state-poller/.

/** Where a task's DNS addresses may come from, in mesos-dns's `IPSources` vocabulary. */
export type IpSource = 'netinfo' | 'mesos' | 'docker' | 'host';

/** A "host:port" pair as written upstream, split. `raw` is kept because mesos-dns compares addresses as strings. */
export interface HostPort {
  readonly raw: string;
  readonly host: string;
  readonly port: number;
}

/** A problem found in upstream data: the item it names was skipped, everything else was kept. */
export interface Diagnostic {
  /** Stable code, e.g. SWY_UPSTREAM_INVALID_TASK. */
  readonly code: string;
  /** Which source produced it: "mesos", "marathon", "dns", "lb". */
  readonly source: string;
  /** What was skipped: a task id, framework name, app id, record name. */
  readonly subject: string;
  readonly message: string;
}

/** A Mesos agent (slave) that is part of the current state. */
export interface Agent {
  readonly id: string;
  /** Addresses of the agent, from its pid (a literal IP, or a hostname resolved by the poller). */
  readonly ips: readonly string[];
  /** Port of the agent's pid, used for `_slave._tcp`. */
  readonly port: number;
}

export interface DiscoveryPort {
  readonly number: number;
  /** "tcp", "udp" or "" (both). */
  readonly protocol: string;
  readonly name: string;
}

/** Mesos DiscoveryInfo, present only when its name is non-empty (as mesos-dns treats it). */
export interface Discovery {
  readonly name: string;
  readonly ports: readonly DiscoveryPort[];
}

/** Container addresses of a task, by IP source, read from its newest TASK_RUNNING status. */
export interface TaskAddresses {
  readonly netinfo: readonly string[];
  readonly mesos: readonly string[];
  readonly docker: readonly string[];
}

/** A running Mesos task on a known agent. */
export interface Task {
  readonly id: string;
  readonly name: string;
  readonly agentId: string;
  /** Host ports from the `ports` resource, expanded, in resource order. */
  readonly ports: readonly number[];
  readonly discovery: Discovery | null;
  readonly addresses: TaskAddresses;
}

export interface Framework {
  readonly name: string;
  /** Scheduler addresses, from pid (or from hostname when there is no pid); empty when unknown. */
  readonly ips: readonly string[];
  /** Scheduler pid port; null when the framework has no pid. */
  readonly port: number | null;
  readonly tasks: readonly Task[];
}

/** The part of a Mesos master's /master/state that service discovery uses. */
export interface MesosState {
  /** The leader UPID as the master reported it, e.g. "master@10.0.0.1:5050". */
  readonly leader: string;
  /** The address part of the leader UPID; null when it is not a valid host:port. */
  readonly leaderAddress: HostPort | null;
  readonly agents: readonly Agent[];
  readonly frameworks: readonly Framework[];
}

/** A Marathon health check, as marathon-lb reads it (reference/marathon-lb.md §4.2). */
export interface MarathonHealthCheck {
  readonly protocol: string;
  /** An explicit port applies to every service port; otherwise portIndex picks one. */
  readonly port: number | null;
  readonly portIndex: number | null;
  readonly path: string | null;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly gracePeriodSeconds: number;
  readonly maxConsecutiveFailures: number;
}

export interface MarathonPortMapping {
  readonly servicePort: number | null;
  readonly containerPort: number | null;
}

/** A Marathon task, with the fields marathon-lb reads (reference/marathon-lb.md §4.3). */
export interface MarathonTask {
  readonly id: string;
  readonly host: string;
  /** Null when Marathon did not say (marathon-lb treats that as up). */
  readonly state: string | null;
  readonly ports: readonly number[];
  readonly ipAddresses: readonly string[];
  /** The `alive` flags of healthCheckResults; null when the key is absent (not the same as an empty list). */
  readonly healthAlive: readonly boolean[] | null;
}

/** A Marathon app, with the fields marathon-lb reads (reference/marathon-lb.md §4.2). */
export interface MarathonApp {
  readonly id: string;
  readonly instances: number;
  readonly labels: Readonly<Record<string, string>>;
  /** `portDefinitions[].port`; null when the key is absent (then the legacy `ports` list applies). */
  readonly portDefinitions: readonly number[] | null;
  readonly ports: readonly number[];
  /** `container.docker.network`: HOST, BRIDGE or USER; null when absent. */
  readonly dockerNetwork: string | null;
  readonly dockerPortMappings: readonly MarathonPortMapping[];
  readonly containerPortMappings: readonly MarathonPortMapping[];
  /** `networks[].mode` in order (Marathon 1.5+); a network without a mode counts as "container". */
  readonly networkModes: readonly string[];
  /** Legacy IP-per-task (`ipAddress`): its discovery port numbers; null when the app has no ipAddress. */
  readonly ipAddressPorts: readonly number[] | null;
  readonly healthChecks: readonly MarathonHealthCheck[];
  readonly tasks: readonly MarathonTask[];
  readonly lastScalingAt: string | null;
}

export interface MarathonState {
  readonly apps: readonly MarathonApp[];
  /**
   * For every task `host` that is not an IP literal, the addresses it resolved to (IPv4 first, IPv6 only when there
   * is no IPv4, as the poller's systemResolveHost does); [] when it resolved to nothing. IP-literal hosts have no entry.
   * Filled by the poller, so the normalizer stays pure; keys in sorted order. The object has no prototype, so a host
   * called "constructor" cannot be mistaken for an entry; read it with Object.hasOwn or `?? []`.
   */
  readonly hosts: Readonly<Record<string, readonly string[]>>;
}

export interface Snapshot {
  /** Increases by one with every accepted state of either source; 0 before the first. */
  readonly generation: number;
  /** Wall-clock time (ms since the epoch) at which this state (its newer half) was accepted. */
  readonly loadedAt: number;
  /** The Mesos half; null until the first good Mesos state (and always, when only Marathon is configured). */
  readonly mesos: MesosState | null;
  /** The Marathon half; null until the first good Marathon state (and always, when Marathon is not configured). */
  readonly marathon: MarathonState | null;
  /** Everything skipped while normalizing this state: the Mesos half's diagnostics, then the Marathon half's. */
  readonly diagnostics: readonly Diagnostic[];
}
