// Reads a JSON document (a Mesos /master/state, or a Marathon /v2/apps answer) from a file and watches it
// (chokidar): offline and demo mode. I/O: file system.
import { readFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'chokidar';
import { Body, fetchedFrom, type Fetched } from './body.js';
import { SwitchyardError } from './errors.js';

export class FileSource {
  private watcher: FSWatcher | null = null;

  constructor(readonly path: string) {}

  /** `known` is the content last accepted: an equal file comes back `unchanged`, without being parsed. */
  async fetch(known: Body | null = null): Promise<Fetched> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path);
    } catch (error) {
      throw new SwitchyardError('SWY_STATE_FILE_UNREADABLE', `cannot read ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    const body = Body.of(bytes);
    return fetchedFrom({ body, unchanged: known !== null && body.equals(known) }, this.path, this.path);
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
