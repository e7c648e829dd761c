// Runs the config-file writes that follow runtime updates off the routing path: one write at a time, and a write
// asked for during one runs once right after it, so the next task event need not wait for rendering and
// `haproxy -c`. No I/O of its own: the write is the callback's (lb/pipeline.ts).

export class FileFollower {
  private writing: Promise<void> | null = null;
  private again = false;

  /** `write` must not reject: it reports its own failures. */
  constructor(private readonly write: () => Promise<void>) {}

  /** True while a write runs. */
  get busy(): boolean {
    return this.writing !== null;
  }

  /** Asks for a write; resolves once a write that started after the call has finished. */
  request(): Promise<void> {
    if (this.writing !== null) {
      this.again = true;
      return this.writing;
    }
    const writing = this.loop();
    this.writing = writing;
    return writing;
  }

  /** Resolves once no write runs or is asked for. */
  async idle(): Promise<void> {
    while (this.writing !== null) await this.writing;
  }

  /** Drops a write asked for but not started (the caller is about to write the file itself) and waits for the one running. */
  async cancel(): Promise<void> {
    this.again = false;
    await this.idle();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.write();
      } while (this.again);
    } finally {
      this.writing = null;
    }
  }
}
