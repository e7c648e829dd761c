// A section's text joined straight from its rendered fragments (textChunk) against splitting them into lines and
// joining those again, as the render did: the same text and the same line count, for any fragment texts; and a
// rendered config's line owners, one per line, naming the backend whose section a line is in.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { textChunk } from '../../lb/render.js';
import { appsOf, COMBINED, generate } from '../helpers/lb-generate.js';

/** The former way: each text split into lines (a trailing newline ends the last one), each line given a newline. */
function viaLines(texts: readonly string[]): { text: string; lines: number } {
  const lines = texts.flatMap((t) => {
    if (t === '') return [];
    const parts = t.split('\n');
    if (parts.at(-1) === '') parts.pop();
    return parts;
  });
  return { text: lines.map((l) => `${l}\n`).join(''), lines: lines.length };
}

describe('textChunk', () => {
  it('gives the text and line count of splitting into lines and joining them', () => {
    const text = fc.string({ unit: fc.constantFrom('a', ' ', '\n', '\r', '\t', '\u2028'), maxLength: 12 });
    fc.assert(
      fc.property(fc.array(text, { maxLength: 6 }), (texts) => {
        const chunk = textChunk(texts, 'app_80');
        expect({ text: chunk.text, lines: chunk.lines }).toEqual(viaLines(texts));
        expect(chunk.owner).toBe('app_80');
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps blank lines and adds a newline only where a text has none at its end', () => {
    expect(textChunk(['a\n\n', '', 'b', '\n'], null)).toEqual({ text: 'a\n\nb\n\n', lines: 4, owner: null });
  });
});

describe('line owners of a rendered config', () => {
  it('one per line, and every line of a backend section owned by that backend', async () => {
    const { config, lineOwners } = await generate(appsOf(...COMBINED));
    const lines = config.split('\n');
    expect(lines.pop()).toBe('');
    expect(lineOwners).toHaveLength(lines.length);
    let section: string | null = null;
    let checked = 0;
    lines.forEach((line, i) => {
      const head = /^backend (\S+)/.exec(line);
      if (head !== null) section = head[1] ?? null;
      else if (!line.startsWith(' ')) section = null;
      if (section !== null) {
        expect(lineOwners[i], `line ${i + 1}: ${line}`).toBe(section);
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(20);
  });
});
