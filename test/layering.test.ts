// The layering rules of DESIGN.md, checked on the sources: dns/ and lb/ import nothing from state-poller/ but
// model.ts, and never import each other; only cli/ reads process.env or argv, installs signal handlers or exits.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every relative module a source file imports or re-exports, as written (`../state-poller/model.js`). */
function importsOf(text: string): string[] {
  const found: string[] = [];
  // `import … from '…'`, `export … from '…'`, `import '…'` (for its side effects) and `import('…')`, either quote.
  for (const match of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+(['"])(\.[^'"]+)\1/gm)) found.push(match[2] ?? '');
  for (const match of text.matchAll(/^\s*import\s+(['"])(\.[^'"]+)\1/gm)) found.push(match[2] ?? '');
  for (const match of text.matchAll(/\bimport\(\s*(['"])(\.[^'"]+)\1\s*\)/g)) found.push(match[2] ?? '');
  return found;
}

const sources = (folder: string): { file: string; text: string }[] =>
  readdirSync(join(root, folder))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => ({ file: `${folder}/${name}`, text: readFileSync(join(root, folder, name), 'utf8') }));

describe('layering', () => {
  it('finds the imports it checks', () => {
    const text = "import type { A } from '../state-poller/model.js';\nexport { b } from \"./b.js\";\nimport './d.js';\nconst c = await import('./c.js');";
    expect(importsOf(text).sort()).toEqual(['../state-poller/model.js', './b.js', './c.js', './d.js']);
  });

  it.each(['dns', 'lb'])('%s/ imports only model.ts from state-poller/, and not the other half', (folder) => {
    const other = folder === 'dns' ? 'lb' : 'dns';
    const wrong = sources(folder).flatMap(({ file, text }) =>
      importsOf(text)
        .filter((target) => (target.startsWith('../state-poller/') && target !== '../state-poller/model.js') || target.startsWith(`../${other}/`) || target.startsWith('../cli/'))
        .map((target) => `${file} → ${target}`),
    );
    expect(wrong).toEqual([]);
  });

  it.each(['dns', 'lb', 'state-poller'])('%s/ reads no process.env or argv, installs no signal handler, never exits', (folder) => {
    const wrong = sources(folder)
      .filter(({ text }) => /process\.(env|argv|exit)\b|process\.on\(\s*'SIG/.test(text))
      .map(({ file }) => file);
    expect(wrong).toEqual([]);
  });
});
