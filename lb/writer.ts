// Replaces HAProxy's config (and map files) atomically: compare, write a temp file beside it, validate, rename.
// I/O: reads, writes, fsyncs, renames and deletes files on the local file system.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export type Validation = { ok: true } | { ok: false; message: string; output: string; code: string };

export type WriteResult =
  | { kind: 'unchanged' }
  | { kind: 'written'; bytes: number }
  | { kind: 'rejected'; code: string; message: string; output: string };

/**
 * Writes `text` to `target` only if it differs from what is there and `validate` accepts it.
 * The candidate is validated in its final folder (so relative paths such as map files resolve the same way)
 * and then renamed over the target, so HAProxy never sees a half-written or rejected file.
 */
export async function writeConfigFile(
  target: string,
  text: string,
  validate: (tempPath: string) => Promise<Validation>,
): Promise<WriteResult> {
  const wanted = Buffer.from(text, 'utf8');
  const current = await readIfExists(target);
  // Unchanged means no validation and no write: no needless reload, and the mtime keeps meaning "last real change".
  if (current !== null && current.equals(wanted)) return { kind: 'unchanged' };

  const tempPath = tempPathFor(target);
  let renamed = false;
  try {
    await writeSynced(tempPath, wanted, await modeOf(target));
    const verdict = await validate(tempPath);
    if (!verdict.ok) return { kind: 'rejected', code: verdict.code, message: verdict.message, output: verdict.output };
    // rename(2) within one folder is atomic: readers see the old file or the new one, never a mix.
    await rename(tempPath, target);
    renamed = true;
    await syncFolder(dirname(target));
    return { kind: 'written', bytes: wanted.length };
  } finally {
    // Covers rejection, a throwing validator and failed writes alike; the error (if any) still propagates.
    if (!renamed) await rm(tempPath, { force: true });
  }
}

/** Same atomic replace for files nothing can validate on their own (HAProxy map files). True when written. */
export async function writeIfChanged(target: string, text: string): Promise<boolean> {
  const result = await writeConfigFile(target, text, async () => ({ ok: true }));
  return result.kind === 'written';
}

// Hidden, per-process and random so concurrent writers and leftover files from a crash never collide.
export function tempPathFor(target: string, tag = 'tmp'): string {
  return join(dirname(target), `.${basename(target)}.${tag}-${process.pid}-${randomBytes(6).toString('hex')}`);
}

export async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

// Keep the target's permissions across replacements; null for a new file, which gets the usual 0644 (minus umask).
async function modeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).mode & 0o7777;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

async function writeSynced(path: string, data: Buffer, mode: number | null): Promise<void> {
  // 'wx': fail rather than write through an existing file or symlink at the temp name.
  const handle = await open(path, 'wx', mode ?? 0o644);
  try {
    await handle.writeFile(data);
    if (mode !== null) await handle.chmod(mode); // open()'s mode is masked by umask; the target's must survive exactly.
    // Data must be on disk before the rename makes it the live file, or a crash could leave an empty config.
    await handle.sync();
  } finally {
    await handle.close();
  }
}

// Persist the rename itself (the folder entry); without this a crash can bring the old file back.
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // Some file systems cannot fsync a folder; the rename has still happened, so this is not a failure.
    if (!isErrno(err, 'EINVAL') && !isErrno(err, 'EISDIR') && !isErrno(err, 'EPERM')) throw err;
  } finally {
    await handle.close();
  }
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}
