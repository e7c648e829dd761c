// Installs a rendered config: compare with the files on disk, `haproxy -c` a candidate beside lb.configFile (the map
// files under temporary names), then rename everything into place. I/O: files and the haproxy binary.
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { checkConfig } from './checker.js';
import type { RenderedConfig } from './render.js';
import { writeConfigFile } from './writer.js';

export interface InstallOptions {
  readonly configFile: string;
  readonly haproxyBinary: string;
  readonly skipValidation: boolean;
  readonly mapMode: boolean;
}

export type InstallVerdict = { ok: true } | { ok: false; code: string; message: string; output: string; checked: string };

export function mapPaths(configFile: string): { domain: string; app: string } {
  const dir = dirname(configFile);
  return { domain: join(dir, 'domain2backend.map'), app: join(dir, 'app2backend.map') };
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function hiddenTemp(path: string, tag: string): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** True when the config (and, in map mode, both maps) on disk are exactly the rendered text. */
export async function sameOnDisk(options: InstallOptions, rendered: RenderedConfig): Promise<boolean> {
  if ((await readText(options.configFile)) !== rendered.config) return false;
  if (!options.mapMode) return true;
  const maps = mapPaths(options.configFile);
  return (await readText(maps.domain)) === rendered.domainMap && (await readText(maps.app)) === rendered.appMap;
}

/** Validates and installs; a rejected candidate leaves every file as it was and names the file that was checked. */
export async function install(options: InstallOptions, rendered: RenderedConfig): Promise<InstallVerdict> {
  const { configFile } = options;
  const maps = mapPaths(configFile);
  const temps: string[] = [];
  const checkPath = hiddenTemp(configFile, 'check');
  try {
    const tempDomain = hiddenTemp(maps.domain, 'new');
    const tempApp = hiddenTemp(maps.app, 'new');
    if (options.mapMode) {
      await writeFile(tempDomain, rendered.domainMap);
      temps.push(tempDomain);
      await writeFile(tempApp, rendered.appMap);
      temps.push(tempApp);
    }
    if (!options.skipValidation) {
      // The candidate names the new maps by their temporary names, so HAProxy checks the files it will load.
      const text = options.mapMode ? rendered.config.replaceAll(maps.domain, tempDomain).replaceAll(maps.app, tempApp) : rendered.config;
      temps.push(checkPath);
      await writeFile(checkPath, text);
      const verdict = await checkConfig(checkPath, { binary: options.haproxyBinary });
      if (!verdict.ok) return { ...verdict, checked: checkPath };
    }
    if (options.mapMode) {
      await rename(tempDomain, maps.domain);
      await rename(tempApp, maps.app);
    }
    await writeConfigFile(configFile, rendered.config, async () => ({ ok: true }));
    return { ok: true };
  } finally {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
  }
}
