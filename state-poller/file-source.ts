// Reads a JSON document (a Mesos /master/state, or a Marathon /v2/apps answer) from a file and watches it
// (chokidar): offline and demo mode. I/O: file system.
import { readFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'chokidar';
import { SwitchyardError } from './errors.js';

export class FileSource {
  private watcher: FSWatcher | null = null;

  constructor(readonly path: string) {}

  async fetch(): Promise<{ doc: unknown; from: string }> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      throw new SwitchyardError('SWY_STATE_FILE_UNREADABLE', `cannot read ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    try {
      return { doc: JSON.parse(text) as unknown, from: this.path };
    } catch (error) {
      throw new SwitchyardError('SWY_UPSTREAM_MALFORMED', `${this.path} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
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
