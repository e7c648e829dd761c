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

export class TableSwap {
  private served: Served = { zone: null, table: null };
  private building: { readonly zone: Zone; readonly builder: TableBuilder } | null = null;
  private timer: NodeJS.Immediate | null = null;
  private waiters: (() => void)[] = [];

  /**
   * `sliceMs`: the longest the builder runs before letting the event loop answer questions. `onError`: a build
   * that throws (a bug) is reported there, and its zone is served through the general path instead.
   */
  constructor(
    private readonly sliceMs = 2,
    private readonly onError: (error: unknown) => void = () => undefined,
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
    if (this.served.zone === null) this.served = { zone, table: null };
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

  /** Stops any build in progress; what is served stays as it is. */
  close(): void {
    if (this.timer !== null) clearImmediate(this.timer);
    this.timer = null;
    this.building = null;
    this.wake();
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
      this.served = { zone: job.zone, table: null };
      this.building = null;
      this.wake();
      this.onError(error);
      return;
    }
    if (table === null) {
      this.timer = setImmediate(() => this.run());
      return;
    }
    this.served = { zone: job.zone, table };
    this.building = null;
    // From now on the zone reads its records from the table, and the maps they were built in can go.
    job.zone.adoptTable(table);
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
