// Parsers for two HAProxy CLI answers: `show servers state` (admin socket) and `show proc` (master CLI).
// Pure: text in, values out; unrecognised text throws, so an error reply is never mistaken for an empty list.

/** One server line of `show servers state`. */
export interface ServerState {
  readonly backend: string;
  readonly server: string;
  /** srv_id: stable across reloads when the config pins `id`, which lets the state file match servers by id. */
  readonly serverId: number;
  readonly address: string;
  readonly port: number;
  /** srv_op_state: 0 stopped (down), 1 starting, 2 running (up), 3 stopping. */
  readonly opState: number;
  /** srv_admin_state bit flags: 0x01 forced maintenance, 0x02 inherited, 0x04 from the config, 0x08 drain, 0x20 DNS failure. */
  readonly adminState: number;
}

// HAProxy's SRV_ADMF_MAINT: forced, inherited or resolution maintenance (CMAINT always comes with FMAINT).
const ADMIN_MAINT_MASK = 0x23;

/** True when `show servers state` reports the server in maintenance (`set server … state maint`, `disabled`). */
export function inMaintenance(server: ServerState): boolean {
  return (server.adminState & ADMIN_MAINT_MASK) !== 0;
}

const WANTED_COLUMNS = ['be_name', 'srv_name', 'srv_id', 'srv_addr', 'srv_port', 'srv_op_state', 'srv_admin_state'] as const;

/**
 * Parses `show servers state [<backend>]`: a format-version line ("1"), a "# be_id be_name …" header, then one
 * space-separated line per server. Columns are found by header name, so a later HAProxy adding columns still parses.
 * Throws on anything else, such as "Can't find backend.".
 */
export function parseServersState(text: string): ServerState[] {
  const lines = text.split('\n').map((line) => line.trimEnd()).filter((line) => line !== '');
  const [version, header, ...rows] = lines;
  if (version !== '1' || header === undefined || !header.startsWith('#')) {
    throw new Error(`not a "show servers state" (version 1) answer: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const columns = header.slice(1).trim().split(/\s+/);
  const index = new Map(columns.map((name, i) => [name, i]));
  for (const name of WANTED_COLUMNS) {
    if (!index.has(name)) throw new Error(`"show servers state" has no ${name} column: ${header}`);
  }
  const at = (fields: readonly string[], name: (typeof WANTED_COLUMNS)[number]): string => fields[index.get(name) ?? -1] ?? '';
  return rows.map((row) => {
    const fields = row.split(' ');
    if (fields.length < columns.length) throw new Error(`"show servers state" line has ${fields.length} of ${columns.length} fields: ${row}`);
    return {
      backend: at(fields, 'be_name'),
      server: at(fields, 'srv_name'),
      serverId: integer(at(fields, 'srv_id'), row),
      address: at(fields, 'srv_addr'),
      port: integer(at(fields, 'srv_port'), row),
      opState: integer(at(fields, 'srv_op_state'), row),
      adminState: integer(at(fields, 'srv_admin_state'), row),
    };
  });
}

function integer(value: string, row: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`"show servers state" line has ${JSON.stringify(value)} where a number belongs: ${row}`);
  return Number(value);
}

/** One process line of the master CLI's `show proc`. */
export interface ProcEntry {
  readonly pid: number;
  /** "master", "worker", or a program's name. */
  readonly type: string;
  /** For the master, reload attempts since it started; for a worker, reloads it has lived through. */
  readonly reloads: number;
  /** As HAProxy prints it, e.g. "0d00h01m07s". */
  readonly uptime: string;
  readonly version: string;
}

export interface ShowProc {
  /** failedReloads counts failed reloads since the last successful one (HAProxy resets it on success). */
  readonly master: ProcEntry & { readonly failedReloads: number };
  /** The current worker(s): after a failed reload the previous worker stays here. */
  readonly workers: readonly ProcEntry[];
  /** Workers of earlier configs that still finish their connections (bounded by `hard-stop-after`). */
  readonly oldWorkers: readonly ProcEntry[];
  readonly programs: readonly ProcEntry[];
}

// "27488  master  6 [failed: 1]  0d00h01m49s  2.6.12-1+deb12u4"; workers have no bracket.
const PROC_LINE = /^(\d+)\s+(\S+)\s+(\d+)(?:\s+\[([^\]]*)\])?\s+(\S+)\s+(\S.*)$/;

/**
 * Parses `show proc`: a "#<PID> <type> …" header and the master, then "# workers", "# old workers" and
 * "# programs" sections. Throws when no master line is found (an error reply, or not the master CLI).
 */
export function parseShowProc(text: string): ShowProc {
  let master: ShowProc['master'] | null = null;
  const sections: Record<'master' | 'workers' | 'old' | 'programs', ProcEntry[]> = { master: [], workers: [], old: [], programs: [] };
  let section: keyof typeof sections = 'master';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const title = line.slice(1).trim().toLowerCase();
      if (title === 'workers') section = 'workers';
      else if (title === 'old workers') section = 'old';
      else if (title === 'programs') section = 'programs';
      continue; // the column header, or a section HAProxy may add later
    }
    const match = PROC_LINE.exec(line);
    if (match === null) throw new Error(`not a "show proc" line: ${JSON.stringify(line)}`);
    const entry: ProcEntry = { pid: Number(match[1]), type: match[2] ?? '', reloads: Number(match[3]), uptime: match[5] ?? '', version: (match[6] ?? '').trim() };
    if (section === 'master' && entry.type === 'master') {
      const failed = /failed:\s*(\d+)/.exec(match[4] ?? '');
      master = { ...entry, failedReloads: failed === null ? 0 : Number(failed[1]) };
    } else {
      sections[section].push(entry);
    }
  }
  if (master === null) throw new Error(`not a "show proc" answer (no master line): ${JSON.stringify(text.slice(0, 200))}`);
  return { master, workers: sections.workers, oldWorkers: sections.old, programs: sections.programs };
}
