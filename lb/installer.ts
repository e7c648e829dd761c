// Installs a rendered config: compare with the files on disk, `haproxy -c` a candidate beside lb.configFile (the map
// files under temporary names), then rename everything into place. I/O: files and the haproxy binary.
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkConfig } from './checker.js';
import type { RenderedConfig } from './render.js';
import { sameAsFile, tempPathFor, writeConfigFile, writeText, type FileText, type Validation } from './writer.js';

export interface InstallOptions {
  readonly configFile: string;
  readonly haproxyBinary: string;
  readonly skipValidation: boolean;
  readonly mapMode: boolean;
}

/** `same`: the files on disk were already these (nothing was validated or written). */
export type InstallVerdict = { ok: true; same: boolean } | { ok: false; code: string; message: string; output: string; checked: string };

export function mapPaths(configFile: string): { domain: string; app: string } {
  const dir = dirname(configFile);
  return { domain: join(dir, 'domain2backend.map'), app: join(dir, 'app2backend.map') };
}

/** True when the config and both maps on disk are exactly the rendered text. */
async function sameOnDisk(options: InstallOptions, rendered: RenderedConfig): Promise<boolean> {
  if (!(await sameAsFile(options.configFile, rendered.pieces))) return false;
  const maps = mapPaths(options.configFile);
  return (await sameAsFile(maps.domain, rendered.domainMap)) && (await sameAsFile(maps.app, rendered.appMap));
}

/**
 * Validates and installs, unless the files on disk are already these (`same`); a rejected candidate leaves every
 * file as it was and names the file that was checked. Without maps the config is read and written once:
 * writeConfigFile compares it and its temp file beside it is what `haproxy -c` checks.
 */
export async function install(options: InstallOptions, rendered: RenderedConfig): Promise<InstallVerdict> {
  if (!options.mapMode) {
    let checked = '';
    const result = await writeConfigFile(options.configFile, rendered.pieces, (candidate) => {
      checked = candidate;
      return validate(options, candidate);
    });
    return result.kind === 'rejected' ? { ok: false, code: result.code, message: result.message, output: result.output, checked } : { ok: true, same: result.kind === 'unchanged' };
  }
  if (await sameOnDisk(options, rendered)) return { ok: true, same: true };
  const { configFile } = options;
  const maps = mapPaths(configFile);
  const temps: string[] = [];
  try {
    const tempDomain = tempPathFor(maps.domain, 'new');
    const tempApp = tempPathFor(maps.app, 'new');
    await writeFile(tempDomain, rendered.domainMap);
    temps.push(tempDomain);
    await writeFile(tempApp, rendered.appMap);
    temps.push(tempApp);
    if (!options.skipValidation) {
      // The candidate names the new maps by their temporary names, so HAProxy checks the files it will load.
      const checkPath = tempPathFor(configFile, 'check');
      temps.push(checkPath);
      await writeText(checkPath, candidateNaming(rendered.pieces, maps, { domain: tempDomain, app: tempApp }));
      const verdict = await checkConfig(checkPath, { binary: options.haproxyBinary });
      if (!verdict.ok) return { ...verdict, checked: checkPath };
    }
    await rename(tempDomain, maps.domain);
    await rename(tempApp, maps.app);
    await writeConfigFile(configFile, rendered.pieces, async () => ({ ok: true }));
    return { ok: true, same: false };
  } finally {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
  }
}

/**
 * The config with the map files' paths replaced by the candidates' (a lookup names its map file on one line). Piece
 * by piece: a path without a newline lies within one piece, since pieces are whole lines; joined first otherwise.
 */
function candidateNaming(pieces: readonly string[], maps: { domain: string; app: string }, temps: { domain: string; app: string }): FileText {
  const swap = (text: string): string => (text.includes(maps.domain) || text.includes(maps.app) ? text.replaceAll(maps.domain, temps.domain).replaceAll(maps.app, temps.app) : text);
  if (maps.domain.includes('\n') || maps.app.includes('\n')) return swap(pieces.join(''));
  return pieces.map(swap);
}

function validate(options: InstallOptions, path: string): Promise<Validation> {
  return options.skipValidation ? Promise.resolve({ ok: true }) : checkConfig(path, { binary: options.haproxyBinary });
}
