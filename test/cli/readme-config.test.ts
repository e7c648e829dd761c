// Every configuration key is in the README's configuration reference (the mesos-dns table or the load-balancer
// table), and the README names no key the schema does not have.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keyPaths } from '../../cli/config-layers.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Records'));

describe('README configuration reference', () => {
  it.each(keyPaths().map((p) => p.join('.')))('documents %s', (key) => {
    // Nested mesos-dns credentials are documented together under their object's key.
    const name = key.startsWith('mesosCredentials.') ? 'mesosCredentials' : key;
    expect(section).toContain(`\`${name}\``);
  });

  it('documents no key that does not exist', () => {
    const known = new Set(keyPaths().flatMap((p) => p.map((_, i) => p.slice(0, i + 1).join('.'))));
    const rows = section.split('\n').filter((l) => l.startsWith('| `'));
    const named = rows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([A-Za-z.]+)`/g)].map((m) => m[1] ?? ''));
    expect(named.filter((k) => !known.has(k))).toEqual([]);
  });
});
