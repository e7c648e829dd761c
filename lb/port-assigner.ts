// marathon-lb's service-port auto-assignment for IP-per-task apps that Marathon gave no service port (reference §2.7).
// Pure: deterministic from sha1(appId-taskPort-i); a new assigner per generation, as marathon-lb resets it each time.
import { createHash } from 'node:crypto';

const MAX_CLASHES = 50;

export class ServicePortAssigner {
  private readonly byKey = new Map<string, number>();
  private readonly taken = new Set<number>();

  constructor(
    private readonly min: number,
    private readonly max: number,
  ) {}

  /** Both bounds 0 disables auto-assignment (marathon-lb's `can_assign`). */
  get enabled(): boolean {
    return this.min !== 0 && this.max !== 0 && this.max >= this.min;
  }

  /** The port for (app, task port), or null when the range is used up. */
  assign(appId: string, taskPort: number): number | null {
    const key = `${appId}\u0000${taskPort}`;
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const size = this.max - this.min + 1;
    if (this.byKey.size >= size) return null;
    let port: number | null = null;
    for (let i = 0; i < MAX_CLASHES && port === null; i++) {
      const hex = createHash('sha1').update(`${appId}-${taskPort}-${i}`).digest('hex');
      const trial = this.min + (parseInt(hex.slice(0, 8), 16) % size);
      if (!this.taken.has(trial)) port = trial;
    }
    for (let trial = this.min; port === null && trial <= this.max; trial++) if (!this.taken.has(trial)) port = trial;
    if (port === null) return null;
    this.byKey.set(key, port);
    this.taken.add(port);
    return port;
  }
}
