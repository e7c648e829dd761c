// writeConfigFile: skip unchanged text, validate beside the target, replace atomically, never leave temp files; a
// text given in pieces is written and compared as the pieces joined.
// Uses temp folders; the last cases validate with the real `haproxy -c` (loopback-only configs, nothing binds).
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkConfig } from '../../lb/checker.js';
import { sameAsFile, type Validation, writeConfigFile, writeIfChanged, writeText } from '../../lb/writer.js';

const VALID = `defaults
  mode http
  timeout connect 3s
  timeout client 30s
  timeout server 30s
frontend web
  bind 127.0.0.1:18080
  default_backend app
backend app
  server s1 127.0.0.1:8080
`;

let dir = '';
let target = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swy-writer-'));
  target = join(dir, 'haproxy.cfg');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function leftovers(): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.includes('.tmp-'));
}

// A validator that records what it saw, so tests can tell whether (and where) it ran.
function recording(verdict: Validation | Error) {
  const seen: { path: string; text: string }[] = [];
  const validate = async (path: string): Promise<Validation> => {
    seen.push({ path, text: await readFile(path, 'utf8') });
    if (verdict instanceof Error) throw verdict;
    return verdict;
  };
  return { seen, validate };
}

const ok: Validation = { ok: true };
const no: Validation = { ok: false, code: 'SWY_TEST_REJECT', message: 'nope', output: 'raw output' };

describe('writeConfigFile', () => {
  it('writes a new file after validating a temp copy in the same folder', async () => {
    const v = recording(ok);
    expect(await writeConfigFile(target, 'first\n', v.validate)).toEqual({ kind: 'written', bytes: 6 });
    expect(await readFile(target, 'utf8')).toBe('first\n');
    expect(v.seen).toHaveLength(1);
    expect(v.seen[0]?.text).toBe('first\n');
    expect(dirname(v.seen[0]?.path ?? '')).toBe(dir);
    expect(v.seen[0]?.path).toMatch(/\/\.haproxy\.cfg\.tmp-\d+-[0-9a-f]+$/);
    expect(await leftovers()).toEqual([]);
  });

  it('counts bytes, not characters', async () => {
    expect(await writeConfigFile(target, 'é\n', recording(ok).validate)).toEqual({ kind: 'written', bytes: 3 });
  });

  it('leaves identical text alone: no validation, no write, same mtime', async () => {
    await writeConfigFile(target, 'same\n', recording(ok).validate);
    // Push the mtime into the past so any rewrite would be visible even on coarse-grained clocks.
    const past = new Date('2020-01-01T00:00:00Z');
    await utimes(target, past, past);
    const before = await stat(target);

    const v = recording(ok);
    expect(await writeConfigFile(target, 'same\n', v.validate)).toEqual({ kind: 'unchanged' });
    expect(v.seen).toHaveLength(0);
    const after = await stat(target);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
    expect(await leftovers()).toEqual([]);
  });

  it('keeps the target when the validator rejects, and passes its verdict on', async () => {
    await writeConfigFile(target, 'good\n', recording(ok).validate);
    const v = recording(no);
    expect(await writeConfigFile(target, 'bad\n', v.validate)).toEqual({
      kind: 'rejected',
      code: 'SWY_TEST_REJECT',
      message: 'nope',
      output: 'raw output',
    });
    expect(v.seen[0]?.text).toBe('bad\n');
    expect(await readFile(target, 'utf8')).toBe('good\n');
    expect(await leftovers()).toEqual([]);
  });

  it('rejects a first write without creating the target', async () => {
    expect((await writeConfigFile(target, 'bad\n', recording(no).validate)).kind).toBe('rejected');
    expect(await readdir(dir)).toEqual([]);
  });

  it('rethrows a throwing validator and cleans up its temp file', async () => {
    await writeConfigFile(target, 'good\n', recording(ok).validate);
    await expect(writeConfigFile(target, 'other\n', recording(new Error('validator blew up')).validate)).rejects.toThrow('validator blew up');
    expect(await readFile(target, 'utf8')).toBe('good\n');
    expect(await leftovers()).toEqual([]);
  });

  it('keeps the target file mode across replacements', async () => {
    // 0664 is group-writable, which the usual umask (022) would strip from a freshly created file.
    await writeFile(target, 'old\n');
    await chmod(target, 0o664);
    await writeConfigFile(target, 'new\n', recording(ok).validate);
    expect((await stat(target)).mode & 0o777).toBe(0o664);
  });

  it('fails (and leaves nothing behind) when the folder does not exist', async () => {
    await expect(writeConfigFile(join(dir, 'missing', 'haproxy.cfg'), 'x\n', recording(ok).validate)).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('a text in pieces', () => {
  // Pieces as render gives them (whole lines), some longer than the writer's 1 MiB block, some not ASCII.
  const pieceList = fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fc.string({ unit: fc.constantFrom('a', ' ', 'é', '€', '😀'), maxLength: 30 }).map((t) => `${t}\n`) },
      { weight: 1, arbitrary: fc.constant('') },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((n) => `${'x'.repeat(n * 400_000)}\n`) },
    ),
    { maxLength: 12 },
  );

  it('is written as its pieces joined, and compares equal to exactly those bytes', async () => {
    await fc.assert(
      fc.asyncProperty(pieceList, fc.integer({ min: 0, max: 3 }), async (pieces, cut) => {
        const joined = pieces.join('');
        await rm(target, { force: true });
        const result = await writeConfigFile(target, pieces, recording(ok).validate);
        expect(result).toEqual({ kind: 'written', bytes: Buffer.byteLength(joined) });
        const onDisk = await readFile(target);
        expect(onDisk.equals(Buffer.from(joined))).toBe(true);
        expect(await sameAsFile(target, pieces)).toBe(true);
        expect(await sameAsFile(target, joined)).toBe(true);
        expect(await writeConfigFile(target, pieces, recording(ok).validate)).toEqual({ kind: 'unchanged' });
        // Shorter, longer, or one byte different: not the same.
        const other = join(dir, 'other');
        const differs = async (bytes: Buffer): Promise<boolean> => {
          await writeFile(other, bytes);
          return !(await sameAsFile(other, pieces));
        };
        if (onDisk.length > 0) expect(await differs(onDisk.subarray(0, onDisk.length - 1 - (cut % onDisk.length)))).toBe(true);
        expect(await differs(Buffer.concat([onDisk, Buffer.from('x')]))).toBe(true);
        if (onDisk.length > 0) {
          const changed = Buffer.from(onDisk);
          const at = (cut * 7919) % changed.length;
          changed[at] = (changed[at] ?? 0) ^ 1;
          expect(await differs(changed)).toBe(true);
        }
        await writeText(join(dir, 'plain'), pieces);
        expect((await readFile(join(dir, 'plain'))).equals(Buffer.from(joined))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('a folder where the file should be is an error before anything is validated', async () => {
    await mkdir(target);
    const v = recording(ok);
    await expect(writeConfigFile(target, ['x\n'], v.validate)).rejects.toThrow(/EISDIR/);
    expect(v.seen).toHaveLength(0);
  });

  it('no file is never the same, not even as an empty text', async () => {
    expect(await sameAsFile(target, [])).toBe(false);
    await writeFile(target, '');
    expect(await sameAsFile(target, [])).toBe(true);
    expect(await sameAsFile(target, ['', ''])).toBe(true);
    expect(await sameAsFile(target, ['\n'])).toBe(false);
  });
});

describe('writeIfChanged', () => {
  it('writes map files only when their text changes', async () => {
    const map = join(dir, 'domain2backend.map');
    expect(await writeIfChanged(map, 'a.example.test app_1\n')).toBe(true);
    expect(await writeIfChanged(map, 'a.example.test app_1\n')).toBe(false);
    expect(await writeIfChanged(map, 'b.example.test app_2\n')).toBe(true);
    expect(await readFile(map, 'utf8')).toBe('b.example.test app_2\n');
    expect(await leftovers()).toEqual([]);
  });
});

describe('writeConfigFile with haproxy -c as validator', () => {
  const haproxy = (path: string) => checkConfig(path);

  it('writes a valid config and refuses an invalid one, keeping the good file', async () => {
    expect(await writeConfigFile(target, VALID, haproxy)).toEqual({ kind: 'written', bytes: Buffer.byteLength(VALID) });

    const broken = VALID.replace('  server s1', '  rspadd Strict-Transport-Security:\\ max-age=15768000\n  server s1');
    const result = await writeConfigFile(target, broken, haproxy);
    expect(result.kind).toBe('rejected');
    if (result.kind !== 'rejected') return;
    expect(result.code).toBe('SWY_HAPROXY_CONFIG_INVALID');
    expect(result.message).toContain("'rspadd' directive is not supported");
    expect(result.output).toContain('rspadd');
    expect(await readFile(target, 'utf8')).toBe(VALID);
    expect(await leftovers()).toEqual([]);

    expect(await writeConfigFile(target, VALID, haproxy)).toEqual({ kind: 'unchanged' });
  });
});
