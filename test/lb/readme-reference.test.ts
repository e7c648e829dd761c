// The README's label and template references are generated from lb/labels.ts and lb/template-specs.ts; this test
// fails when either table in the README is not the current output of its generator.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { labelReferenceMarkdown } from '../../lb/label-reader.js';
import { templateReferenceMarkdown } from '../../lb/template-reference.js';
import { TEMPLATE_NAMES } from '../../lb/template-specs.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function between(marker: string): string {
  const start = readme.indexOf(`<!-- ${marker}:start -->\n`);
  const end = readme.indexOf(`<!-- ${marker}:end -->`);
  if (start < 0 || end < start) throw new Error(`README has no ${marker} markers`);
  return readme.slice(start + `<!-- ${marker}:start -->\n`.length, end);
}

describe('README references', () => {
  it('the label reference is the table generated from lb/labels.ts', () => {
    expect(between('labels')).toBe(labelReferenceMarkdown());
  });

  it('the template reference is the table generated from lb/template-specs.ts, one row per file in templates/', () => {
    expect(between('templates')).toBe(templateReferenceMarkdown());
    for (const name of TEMPLATE_NAMES) expect(between('templates')).toContain(`| \`HAPROXY_${name}\``);
    expect(TEMPLATE_NAMES).toHaveLength(53);
  });
});
