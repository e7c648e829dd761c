// Reads a JSON document (a Mesos /master/state, or a Marathon /v2/apps answer) from a file and watches it
// (chokidar): offline and demo mode. I/O: file system.
import { readFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'chokidar';
import { Body, fetchedFrom, type Fetched, type ItemHookFor, type KnownBody } from './body.js';
import { SwitchyardError } from './errors.js';

export class FileSource {
  private watcher: FSWatcher | null = null;

  constructor(readonly path: string) {}

  /**
   * `known` is what was kept of the content last accepted: the same file comes back `unchanged`, not parsed.
   * `items`: what is done with the items of large arrays as the file is parsed (see ItemHook).
   */
  async fetch(known: KnownBody | null = null, items: ItemHookFor | null = null): Promise<Fetched> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path);
    } catch (error) {
      throw new SwitchyardError('SWY_STATE_FILE_UNREADABLE', `cannot read ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    const body = Body.of(bytes);
    return fetchedFrom(known !== null && known.matches(body) ? { unchanged: true } : { unchanged: false, body }, this.path, this.path, items);
  }

  /** Calls onChange after the file is written, replaced or re-created. Idempotent. */
  watch(onChange: () => void): void {
    if (this.watcher !== null) return;
    this.watcher = watch(this.path, {
      ignoreInitial: true,
      // Wait for a write to settle so a half-written file is not read; short, so edits show within a second.
      awaitWriteFinish: { stabilityThreshold: 150, pollInterval: 50 },
    });
    this.watcher.on('add', onChange).on('change', onChange);
  }

  async close(): Promise<void> {
    await this.watcher?.close();
    this.watcher = null;
  }
}
