// Test helper: bounded client load (new and keep-alive connections) through HAProxy's HTTP frontend, checking every
// answer comes from a task of the app its Host header names; stops by itself. I/O: HTTP to 127.0.0.0/8 only.
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LoadTarget {
  readonly vhost: string;
  /** The app name the task servers answer with (`app=…`). */
  readonly app: string;
}

export interface LoadOptions {
  readonly port: number;
  readonly address?: string;
  readonly closeLoops: number;
  readonly keepAliveLoops: number;
  /** The targets to pick from now; null: nothing to send right now. Called before every request. */
  readonly pick: () => LoadTarget | null;
  /** Pause between two requests of one loop. */
  readonly pauseMs: number;
  readonly maxMs: number;
  readonly maxRequests: number;
  readonly timeoutMs?: number;
}

export interface Problem {
  readonly at: number;
  readonly kind: 'error' | 'status' | 'wrong-app';
  readonly keepAlive: boolean;
  readonly vhost: string;
  readonly detail: string;
}

export interface LoadStats {
  readonly requests: number;
  readonly ok: number;
  readonly closeRequests: number;
  readonly keepAliveRequests: number;
  readonly errors: number;
  readonly status5xx: number;
  readonly otherStatus: number;
  readonly wrongApp: number;
  /** The first problems, with their time (Date.now()). */
  readonly problems: readonly Problem[];
  readonly ms: number;
}

interface Reply {
  readonly status: number;
  readonly body: string;
}

function send(port: number, address: string, vhost: string, agent: Agent | false, timeoutMs: number, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: vhost };
    if (agent === false) headers.connection = 'close';
    const req = request({ host: address, port, path, method: 'GET', agent, headers, setHost: false });
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end();
  });
}

const MAX_PROBLEMS = 50;

export class LoadGenerator {
  private stopped = false;
  private readonly startedAt = Date.now();
  private readonly counts = { requests: 0, ok: 0, closeRequests: 0, keepAliveRequests: 0, errors: 0, status5xx: 0, otherStatus: 0, wrongApp: 0 };
  private readonly problems: Problem[] = [];
  private readonly inFlightByVhost = new Map<string, number>();
  private readonly agents: Agent[] = [];
  private readonly loops: Promise<void>[];

  constructor(private readonly options: LoadOptions) {
    if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(options.address ?? '127.0.0.1')) throw new Error('load goes to 127.0.0.0/8 only');
    this.loops = [
      ...Array.from({ length: options.closeLoops }, (_, i) => this.loop(false, i)),
      ...Array.from({ length: options.keepAliveLoops }, (_, i) => {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        this.agents.push(agent);
        return this.loop(agent, i);
      }),
    ];
  }

  /** Requests on the way to this vhost now (to let a vhost go quiet before it is retired). */
  inFlight(vhost: string): number {
    return this.inFlightByVhost.get(vhost) ?? 0;
  }

  stats(): LoadStats {
    return { ...this.counts, problems: [...this.problems], ms: Date.now() - this.startedAt };
  }

  /** Resolves once every loop has finished its request in flight. */
  async stop(): Promise<LoadStats> {
    this.stopped = true;
    await Promise.all(this.loops);
    for (const agent of this.agents) agent.destroy();
    return this.stats();
  }

  private note(problem: Problem): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(problem);
  }

  private async loop(agent: Agent | false, index: number): Promise<void> {
    const { port, maxMs, maxRequests, pauseMs } = this.options;
    const address = this.options.address ?? '127.0.0.1';
    const timeoutMs = this.options.timeoutMs ?? 5_000;
    const keepAlive = agent !== false;
    let n = 0;
    while (!this.stopped && Date.now() - this.startedAt < maxMs && this.counts.requests < maxRequests) {
      const target = this.options.pick();
      if (target === null) {
        await sleep(pauseMs + 5);
        continue;
      }
      n += 1;
      this.counts.requests += 1;
      if (keepAlive) this.counts.keepAliveRequests += 1;
      else this.counts.closeRequests += 1;
      this.inFlightByVhost.set(target.vhost, this.inFlight(target.vhost) + 1);
      try {
        const reply = await send(port, address, target.vhost, agent, timeoutMs, `/${keepAlive ? 'ka' : 'cl'}${index}/${n}`);
        const app = /^app=(\S+) task=/.exec(reply.body)?.[1] ?? null;
        if (reply.status >= 500) {
          this.counts.status5xx += 1;
          this.note({ at: Date.now(), kind: 'status', keepAlive, vhost: target.vhost, detail: `${reply.status} ${reply.body.slice(0, 120)}` });
        } else if (reply.status !== 200) {
          this.counts.otherStatus += 1;
          this.note({ at: Date.now(), kind: 'status', keepAlive, vhost: target.vhost, detail: `${reply.status} ${reply.body.slice(0, 120)}` });
        } else if (app !== target.app) {
          this.counts.wrongApp += 1;
          this.note({ at: Date.now(), kind: 'wrong-app', keepAlive, vhost: target.vhost, detail: `expected ${target.app}, got ${reply.body.slice(0, 120)}` });
        } else this.counts.ok += 1;
      } catch (error) {
        this.counts.errors += 1;
        this.note({ at: Date.now(), kind: 'error', keepAlive, vhost: target.vhost, detail: (error as Error).message });
      } finally {
        this.inFlightByVhost.set(target.vhost, this.inFlight(target.vhost) - 1);
      }
      if (pauseMs > 0) await sleep(pauseMs);
    }
  }
}

/** Failed requests of a load run: transport errors, 5xx, other statuses and answers from the wrong app. */
export function failedRequests(stats: LoadStats): number {
  return stats.errors + stats.status5xx + stats.otherStatus + stats.wrongApp;
}
