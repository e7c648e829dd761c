// Which zone and answer table the DNS server answers from, and the building of the next table in short slices.
// I/O: the slices are scheduled with setImmediate so that questions are answered between them (the pure work is
// TableBuilder's). The served pair is replaced as one reference, so a reply never mixes two zones.
import type { AnswerTable } from './answer-table.js';
import { TableBuilder } from './table-builder.js';
import type { Zone } from './zone.js';

/** The zone and table answered from. `table` is null while the first zone's table is being built. */
export interface Served {
  readonly zone: Zone | null;
  readonly table: AnswerTable | null;
}

/** Names per builder step: small enough (well under a millisecond) that the slice deadline is kept closely. */
const NAMES_PER_STEP = 256;
/** How often a table no longer served is checked for whether it can be freed yet (see sweep). */
const SWEEP_MS = 50;
/** After this long a table that could not be freed (held, or sends kept queued) is left to the garbage collector. */
const GIVE_UP_MS = 30_000;

export class TableSwap {
  private served: Served = { zone: null, table: null };
  private building: { readonly zone: Zone; readonly builder: TableBuilder } | null = null;
  private timer: NodeJS.Immediate | null = null;
  private waiters: (() => void)[] = [];
  /** Tables no longer served, not yet freed, with when they stopped being served. */
  private retired: { readonly table: AnswerTable; readonly since: number }[] = [];
  private sweepTimer: NodeJS.Timeout | null = null;

  /**
   * `sliceMs`: the longest the builder runs before letting the event loop answer questions. `onError`: a build
   * that throws (a bug) is reported there, and its zone is served through the general path instead. `quiet`: true
   * when no UDP send of a reply written in a table's reply area is still queued (libuv reads a queued send's bytes
   * later, so a table is freed only then).
   */
  constructor(
    private readonly sliceMs = 2,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly quiet: () => boolean = () => true,
  ) {}

  get current(): Served {
    return this.served;
  }

  /** True while a table is being built. */
  get pending(): boolean {
    return this.building !== null;
  }

  /**
   * Builds the table for `zone` and then serves both. Until then the previous pair is served; a first zone is
   * served at once through the general path (table null). A newer zone abandons a build still in progress. A small
   * zone is finished within the first slice, before this returns.
   */
  offer(zone: Zone): void {
    if (zone === this.served.zone || zone === this.building?.zone) return;
    zone.enterService();
    this.abandonBuild();
    if (this.served.zone === null) this.serve({ zone, table: null });
    this.building = { zone, builder: new TableBuilder(zone) };
    if (this.timer !== null) clearImmediate(this.timer);
    this.timer = null;
    this.run();
  }

  /** Resolves once the most recently offered zone is served with its table (or the swap is closed). */
  settled(): Promise<void> {
    if (this.building === null) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops any build in progress; what is served stays as it is. Tables not yet freed are left to the collector. */
  close(): void {
    if (this.timer !== null) clearImmediate(this.timer);
    this.timer = null;
    this.abandonBuild();
    if (this.sweepTimer !== null) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    this.retired = [];
    this.wake();
  }

  /** How many tables are no longer served but not freed yet (for tests). */
  get retiring(): number {
    return this.retired.length;
  }

  /** Drops the build in progress, if any, freeing its buffers; its zone leaves service unless it is also the one served. */
  private abandonBuild(): void {
    const job = this.building;
    this.building = null;
    if (job === null) return;
    job.builder.abandon();
    if (job.zone !== this.served.zone) job.zone.leaveService();
  }

  /** Serves `next`; the zone and table it replaces leave service, and that table is freed once nothing needs it. */
  private serve(next: Served): void {
    const previous = this.served;
    this.served = next;
    if (previous.zone !== null && previous.zone !== next.zone) previous.zone.leaveService();
    if (previous.table !== null && previous.table !== next.table) {
      this.retired.push({ table: previous.table, since: performance.now() });
      this.sweep();
    }
  }

  /**
   * Frees each retired table that nothing needs any more (AnswerTable.releasable, and no UDP send queued: `quiet`),
   * and checks again every SWEEP_MS while some are left. One still needed after GIVE_UP_MS is dropped from the list
   * and left to the garbage collector, which frees it whenever its last reader lets go, as before this existed.
   */
  private sweep(): void {
    // A swap while a check is pending sweeps at once: the pending check would only start a second chain.
    if (this.sweepTimer !== null) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    const quiet = this.quiet();
    const now = performance.now();
    this.retired = this.retired.filter(({ table, since }) => {
      if (quiet && table.releasable) {
        table.free();
        return false;
      }
      return now - since < GIVE_UP_MS;
    });
    if (this.retired.length === 0) return;
    this.sweepTimer = setTimeout(() => this.sweep(), SWEEP_MS);
    this.sweepTimer.unref();
  }

  private run(): void {
    this.timer = null;
    const job = this.building;
    if (job === null) return;
    const deadline = performance.now() + this.sliceMs;
    let table: AnswerTable | null = null;
    try {
      do {
        table = job.builder.step(NAMES_PER_STEP);
      } while (table === null && performance.now() < deadline);
    } catch (error) {
      this.building = null;
      this.serve({ zone: job.zone, table: null });
      this.wake();
      this.onError(error);
      return;
    }
    if (table === null) {
      this.timer = setImmediate(() => this.run());
      return;
    }
    this.building = null;
    // From now on the zone reads its records from the table, and the maps they were built in can go.
    job.zone.adoptTable(table);
    this.serve({ zone: job.zone, table });
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
