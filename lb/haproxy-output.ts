// HAProxy's stdout/stderr as lines: each is logged (warn for ALERT/WARNING, debug otherwise) and the recent ones are
// kept for error messages. No I/O of its own: it reads streams it is handed and writes to the logger it is given.
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { alertLines } from './haproxy-alerts.js';

// Lines every reload prints once per proxy and per retired worker: at warn they would bury real warnings
// (a 1,000-backend config prints 1,000 of them per reload).
const ROUTINE = [/^\[WARNING\]\s*\(\d+\)\s*:\s*Proxy \S+ stopped \(cumulated conns/, /^\[WARNING\]\s*\(\d+\)\s*:\s*Former worker \(\d+\) exited with code 0/];

function levelOf(line: string): 'warn' | 'debug' {
  if (!/^\[(ALERT|WARNING)\]/.test(line)) return 'debug';
  return ROUTINE.some((pattern) => pattern.test(line)) ? 'debug' : 'warn';
}

export class HaproxyOutput {
  readonly #logger: Logger;
  readonly #max: number;
  readonly #lines: string[] = [];
  /** Lines seen since creation, retained or not: a mark is a position in this count. */
  #total = 0;

  constructor(logger: Logger, maxLines = 200) {
    this.#logger = logger;
    this.#max = maxLines;
  }

  /** Reads `stream` line by line until it ends. Workers inherit the master's pipes, so their lines come here too. */
  attach(stream: Readable | null, pid: number | undefined): void {
    if (stream === null) return;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) this.#add(line, pid);
    });
    stream.on('end', () => {
      if (partial !== '') this.#add(partial, pid);
      partial = '';
    });
  }

  #add(raw: string, pid: number | undefined): void {
    const line = raw.trimEnd();
    if (line === '') return;
    this.#total += 1;
    this.#lines.push(line);
    if (this.#lines.length > this.#max) this.#lines.shift();
    this.#logger[levelOf(line)]({ haproxy: pid }, line);
  }

  mark(): number {
    return this.#total;
  }

  /** The retained lines that arrived after `mark` (all retained lines by default), one per line. */
  since(mark = 0): string {
    const first = Math.max(0, this.#lines.length - (this.#total - mark));
    return this.#lines.slice(first).join('\n');
  }

  /** The ALERT lines after `mark` without their "[ALERT] (pid) : config :" prefix, for a one-line message. */
  alertsSince(mark: number, max = 3): string[] {
    return alertLines(this.since(mark)).slice(0, max);
  }
}
