// Test helper: asks real `dig` (Debian dnsutils) and parses its output into rcode, flags and sections.
// I/O: runs dig against loopback only.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DigResult {
  readonly rcode: string;
  /** Sorted flag names, e.g. ["aa", "qr", "ra"]. */
  readonly flags: string[];
  readonly answer: string[];
  readonly authority: string[];
  readonly additional: string[];
  readonly question: string[];
  readonly edns: { udp: number } | null;
  readonly raw: string;
}

/** Collapses a dig record line to "name ttl class type rdata" with single spaces. */
function normalizeRecord(line: string): string {
  return line.trim().split(/\s+/).join(' ');
}

export function parseDig(raw: string): DigResult {
  const status = /status: ([A-Z]+)/.exec(raw)?.[1] ?? 'NONE';
  const flagText = /;; flags: ([a-z ]*);/.exec(raw)?.[1] ?? '';
  const sections: Record<string, string[]> = { QUESTION: [], ANSWER: [], AUTHORITY: [], ADDITIONAL: [] };
  let current: string | null = null;
  for (const line of raw.split('\n')) {
    const header = /^;; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (header?.[1]) {
      current = header[1];
      continue;
    }
    if (line.trim() === '' || (line.startsWith(';;') && current !== 'QUESTION')) {
      current = line.trim() === '' ? null : current;
      continue;
    }
    if (current !== null) sections[current]?.push(normalizeRecord(line.replace(/^;/, '')));
  }
  const udp = /; EDNS: version: \d+, flags:[^;]*; udp: (\d+)/.exec(raw)?.[1];
  return {
    rcode: status,
    flags: flagText.split(' ').filter(Boolean).sort(),
    question: sections.QUESTION ?? [],
    answer: sections.ANSWER ?? [],
    authority: sections.AUTHORITY ?? [],
    additional: sections.ADDITIONAL ?? [],
    edns: udp === undefined ? null : { udp: Number(udp) },
    raw,
  };
}

/** dig @127.0.0.1 -p port name type, with +norecurse (as the mesos-dns fixture was recorded) and extra options. */
export async function dig(port: number, name: string, type: string, options: readonly string[] = []): Promise<DigResult> {
  const args = ['@127.0.0.1', '-p', String(port), name, type, '+norecurse', '+time=2', '+tries=1', ...options];
  const { stdout } = await run('dig', args, { timeout: 10_000 });
  return parseDig(stdout);
}
