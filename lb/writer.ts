// Replaces HAProxy's config (and map files) atomically: compare, write a temp file beside it, validate, rename.
// I/O: reads, writes, fsyncs, renames and deletes files on the local file system.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export type Validation = { ok: true } | { ok: false; message: string; output: string; code: string };

/**
 * A file's text, whole or as consecutive pieces that are the file joined: a large HAProxy config (14 MB at 10k
 * apps) is compared and written piece by piece, so it is never one string nor one buffer.
 */
export type FileText = string | readonly string[];

/** Bytes encoded at a time (one reused buffer): a piece longer than this is encoded on its own. */
const BLOCK_BYTES = 1 << 20;

/**
 * Calls `each` with the UTF-8 bytes of `text` in order, in blocks of about BLOCK_BYTES, until it returns false;
 * false when it did. A block is valid only until `each` settles (its buffer is reused). Pieces are encoded one by one,
 * so a surrogate pair split between two pieces would not be encoded as it is joined: render's pieces are whole lines.
 */
async function eachBlock(text: FileText, each: (bytes: Buffer) => Promise<boolean> | boolean): Promise<boolean> {
  if (typeof text === 'string') return each(Buffer.from(text, 'utf8'));
  const block = Buffer.allocUnsafe(BLOCK_BYTES);
  let used = 0;
  for (const piece of text) {
    const size = Buffer.byteLength(piece, 'utf8');
    if (used > 0 && used + size > BLOCK_BYTES) {
      if (!(await each(block.subarray(0, used)))) return false;
      used = 0;
    }
    if (size > BLOCK_BYTES) {
      if (!(await each(Buffer.from(piece, 'utf8')))) return false;
    } else {
      used += block.write(piece, used, 'utf8');
    }
  }
  return used === 0 || each(block.subarray(0, used));
}

function byteLengthOf(text: FileText): number {
  if (typeof text === 'string') return Buffer.byteLength(text, 'utf8');
  let length = 0;
  for (const piece of text) length += Buffer.byteLength(piece, 'utf8');
  return length;
}

/**
 * Whether the file at `path` holds exactly the bytes of `text` (false when there is none). Read block by block
 * against the text's blocks, so a large file is not read into one buffer either.
 */
export async function sameAsFile(path: string, text: FileText): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
  try {
    const stats = await handle.stat();
    // Not a regular file (a folder, say): read it as a whole, which fails as it always did (EISDIR).
    if (!stats.isFile()) return (await readFile(path)).equals(Buffer.from(typeof text === 'string' ? text : text.join(''), 'utf8'));
    const size = stats.size;
    if (size !== byteLengthOf(text)) return false;
    let offset = 0;
    let read = Buffer.alloc(0);
    const same = await eachBlock(text, async (bytes) => {
      if (read.length < bytes.length) read = Buffer.allocUnsafe(Math.max(bytes.length, Math.min(size, BLOCK_BYTES)));
      for (let got = 0; got < bytes.length; ) {
        const { bytesRead } = await handle.read(read, got, bytes.length - got, offset + got);
        if (bytesRead === 0) return false; // shorter than it was a moment ago
        got += bytesRead;
      }
      offset += bytes.length;
      return bytes.equals(read.subarray(0, bytes.length));
    });
    // And no longer than it was when its size was read.
    return same && (await handle.read(Buffer.alloc(1), 0, 1, offset)).bytesRead === 0;
  } finally {
    await handle.close();
  }
}

export type WriteResult =
  | { kind: 'unchanged' }
  | { kind: 'written'; bytes: number }
  | { kind: 'rejected'; code: string; message: string; output: string };

/**
 * Writes `text` (whole or in pieces) to `target` only if it differs from what is there and `validate` accepts it.
 * The candidate is validated in its final folder (so relative paths such as map files resolve the same way)
 * and then renamed over the target, so HAProxy never sees a half-written or rejected file.
 */
export async function writeConfigFile(
  target: string,
  text: FileText,
  validate: (tempPath: string) => Promise<Validation>,
): Promise<WriteResult> {
  // Unchanged means no validation and no write: no needless reload, and the mtime keeps meaning "last real change".
  if (await sameAsFile(target, text)) return { kind: 'unchanged' };

  const tempPath = tempPathFor(target);
  let renamed = false;
  try {
    const bytes = await writeSynced(tempPath, text, await modeOf(target));
    const verdict = await validate(tempPath);
    if (!verdict.ok) return { kind: 'rejected', code: verdict.code, message: verdict.message, output: verdict.output };
    // rename(2) within one folder is atomic: readers see the old file or the new one, never a mix.
    await rename(tempPath, target);
    renamed = true;
    await syncFolder(dirname(target));
    return { kind: 'written', bytes };
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

// Keep the target's permissions across replacements; null for a new file, which gets the usual 0644 (minus umask).
async function modeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).mode & 0o7777;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

/** Writes `text` at the handle's position; returns how many bytes it wrote. */
async function writeBlocks(handle: FileHandle, text: FileText, path: string): Promise<number> {
  let written = 0;
  await eachBlock(text, async (bytes) => {
    // write() may write less than asked (rarely, for a regular file): go on from where it stopped.
    for (let at = 0; at < bytes.length; ) {
      const { bytesWritten } = await handle.write(bytes, at, bytes.length - at);
      if (bytesWritten === 0) throw new Error(`could not write ${path}: no progress`);
      at += bytesWritten;
    }
    written += bytes.length;
    return true;
  });
  return written;
}

/** Creates or truncates `path` and writes `text` to it, not synced: for files only a check reads (a candidate). */
export async function writeText(path: string, text: FileText): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await writeBlocks(handle, text, path);
  } finally {
    await handle.close();
  }
}

/** Writes the file and syncs it; returns how many bytes it wrote. */
async function writeSynced(path: string, text: FileText, mode: number | null): Promise<number> {
  // 'wx': fail rather than write through an existing file or symlink at the temp name.
  const handle = await open(path, 'wx', mode ?? 0o644);
  let written = 0;
  try {
    written = await writeBlocks(handle, text, path);
    if (mode !== null) await handle.chmod(mode); // open()'s mode is masked by umask; the target's must survive exactly.
    // Data must be on disk before the rename makes it the live file, or a crash could leave an empty config.
    await handle.sync();
  } finally {
    await handle.close();
  }
  return written;
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
