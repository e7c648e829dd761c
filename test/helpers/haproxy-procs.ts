// Test helper: finds the HAProxy processes of one test (by its config path in /proc/*/cmdline) and tells master from
// workers by parent pid; asks a unix socket (master CLI, admin socket) one command. I/O: reads /proc, unix sockets.
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';

export interface HaproxyProc {
  readonly pid: number;
  readonly ppid: number;
  readonly argv: readonly string[];
}

export interface HaproxyTree {
  /** Processes on this config whose parent is `parentPid` (the managing switchyard): should be exactly one. */
  readonly masters: readonly HaproxyProc[];
  /** Children of the master (with exactly one master), current and old. */
  readonly workers: readonly HaproxyProc[];
  /** Every process running on this config file, `haproxy -c` checks excluded. */
  readonly all: readonly HaproxyProc[];
}

function readProc(pid: number): HaproxyProc | null {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    // The command name in /proc/PID/stat is in parentheses and may hold spaces: the fields after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(fields[1]), argv };
  } catch {
    return null; // gone meanwhile
  }
}

/** HAProxy processes whose argv names exactly `configFile` (not a check of a temporary copy, not `-c`). */
export function haproxyProcesses(configFile: string): HaproxyProc[] {
  const out: HaproxyProc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const proc = readProc(Number(name));
    if (proc === null || !proc.argv.includes(configFile) || proc.argv.includes('-c')) continue;
    out.push(proc);
  }
  return out;
}

export function haproxyTree(configFile: string, parentPid: number): HaproxyTree {
  const all = haproxyProcesses(configFile);
  const masters = all.filter((p) => p.ppid === parentPid);
  const master = masters.length === 1 ? masters[0] : undefined;
  return { masters, workers: master === undefined ? [] : all.filter((p) => p.ppid === master.pid), all };
}

/**
 * Sends one command to a unix socket in HAProxy's non-interactive mode and returns everything it answers. A worker's
 * socket closes after the answer; HAProxy 2.6's master CLI keeps the connection open, hence the `;quit` after it.
 */
export function socketCommand(path: string, command: string, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    let out = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${path}: no complete answer to "${command}" in ${timeoutMs} ms (got ${JSON.stringify(out.slice(0, 200))})`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${command};quit\n`));
    socket.on('data', (chunk: string) => (out += chunk));
    socket.on('end', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(out);
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${path}: ${error.message}`));
    });
  });
}

export interface ProcList {
  readonly master: number | null;
  /** Workers started by the last (re)load. */
  readonly current: readonly number[];
  /** Workers of earlier configs still draining. */
  readonly old: readonly number[];
}

/** Parses the master CLI's `show proc` (HAProxy 2.6: a master line, then "# workers" and "# old workers"). */
export function parseShowProc(text: string): ProcList {
  let section: 'head' | 'workers' | 'old' | 'other' = 'head';
  let master: number | null = null;
  const current: number[] = [];
  const old: number[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '# workers') section = 'workers';
    else if (t === '# old workers') section = 'old';
    else if (t.startsWith('# ') && !t.startsWith('#<')) section = 'other';
    const m = /^(\d+)\s+(master|worker)\b/.exec(t);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (m[2] === 'master') master = pid;
    else if (section === 'workers') current.push(pid);
    else if (section === 'old') old.push(pid);
  }
  return { master, current, old };
}

export interface ServerState {
  readonly backend: string;
  readonly server: string;
  readonly address: string;
  readonly port: number;
  /** srv_op_state: 0 stopped, 1 starting, 2 running, 3 stopping. */
  readonly opState: number;
  /** srv_admin_state bits; 0x01 forced maintenance. */
  readonly adminState: number;
}

/** Parses `show servers state` (format 1): be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state … srv_port … */
export function parseServersState(text: string): ServerState[] {
  const out: ServerState[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '' || /^\d+$/.test(line.trim())) continue;
    const f = line.trim().split(/\s+/);
    if (f.length < 19) continue;
    out.push({ backend: f[1] ?? '', server: f[3] ?? '', address: f[4] ?? '', opState: Number(f[5]), adminState: Number(f[6]), port: Number(f[18]) });
  }
  return out;
}

/** True when the server takes new requests in the worker behind this admin socket. */
export function inRotation(states: readonly ServerState[], backend: string, server: string): boolean {
  return states.some((s) => s.backend === backend && s.server === server && (s.adminState & 0x2f) === 0);
}

/** Resident memory of a process in kB (VmRSS), 0 when it is gone. */
export function rssKb(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
