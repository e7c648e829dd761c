// NameIndex: a name's number by its bytes (the fast path) or by its text (lookup, once the answer table holds the
// only copy of the names), and the text back from the number. Pure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NameIndex } from '../../dns/name-index.js';

const asciiName = fc.string({ unit: fc.constantFrom('a', 'b', '-', '_', '.', '0', 'Z', '\u007f'), minLength: 0, maxLength: 40 });

describe('NameIndex', () => {
  it('finds every name it holds by its text, gives the text back, and finds nothing else', () => {
    fc.assert(
      fc.property(fc.uniqueArray(asciiName, { maxLength: 60 }), fc.array(asciiName, { maxLength: 20 }), fc.nat(8), (names, others, keyBytes) => {
        // Room for the names' keys too small on purpose at times: they grow.
        const index = new NameIndex(names.length, keyBytes);
        const kept: string[] = [];
        for (const name of names) if (index.add(name, kept.length)) kept.push(name);
        expect(kept).toEqual(names);
        expect(index.size).toBe(names.length);
        names.forEach((name, i) => {
          expect(index.lookup(name)).toBe(i);
          expect(index.nameOf(i)).toBe(name);
        });
        for (const other of others) expect(index.lookup(other)).toBe(names.indexOf(other));
      }),
    );
  });

  it('leaves out what it cannot hold, and never finds it', () => {
    const index = new NameIndex(4);
    const long = `${'a'.repeat(253)}.b.`;
    expect(index.add('café.mesos.', 0)).toBe(false);
    expect(index.add(long, 0)).toBe(false);
    expect(index.add('cafe.mesos.', 0)).toBe(true);
    expect(index.size).toBe(1);
    expect(index.lookup('café.mesos.')).toBe(-1);
    expect(index.lookup(long)).toBe(-1);
    expect(index.lookup('cafe.mesos.')).toBe(0);
    // Bytes, not letters: the table's names are lower case already, and a question is lowered before it is looked up.
    expect(index.lookup('CAFE.mesos.')).toBe(-1);
  });
});
