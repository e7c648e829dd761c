// dns/json-text.ts: the pieces join to exactly JSON.stringify(value, null, 2) of the document the lazy parts stand
// for (property-tested), and large documents come in bounded pieces with points to pause at.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LazyObject, LazyValue, jsonText, jsonTextOf } from '../../dns/json-text.js';

/** `value` with some of its objects made lazy (chosen by `pick`), and the plain document it stands for. */
function lazify(value: unknown, pick: () => number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const items = value.map((item) => lazify(item, pick));
    return pick() % 3 === 0 ? new LazyValue(function* () {
      yield;
      return items;
    }) : items;
  }
  const entries = Object.entries(value).map(([key, member]) => [key, lazify(member, pick)] as const);
  switch (pick() % 3) {
    case 0:
      return new LazyObject(() => entries);
    case 1:
      return new LazyValue(function* () {
        yield;
        yield;
        return new LazyObject(() => entries);
      });
    default: {
      const object: Record<string, unknown> = {};
      for (const [key, member] of entries) Object.defineProperty(object, key, { value: member, enumerable: true, writable: true, configurable: true });
      return object;
    }
  }
}

describe('jsonText', () => {
  it('joins to JSON.stringify(value, null, 2) with any part of the tree lazy', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), (value, picks) => {
        let i = 0;
        const lazy = lazify(value, () => picks[i++ % picks.length] ?? 0);
        expect(jsonTextOf(lazy)).toBe(JSON.stringify(value, null, 2));
      }),
      { numRuns: 400 },
    );
  });

  it.each([
    ['an empty lazy object', new LazyObject(() => []), '{}'],
    ['a "__proto__" member, which JSON.parse makes an own property', new LazyObject(() => [['__proto__', 1]]), '{\n  "__proto__": 1\n}'],
    ['members that are undefined, left out as JSON.stringify does', { a: 1, b: undefined, c: new LazyObject(() => [['d', undefined]]) }, '{\n  "a": 1,\n  "c": {}\n}'],
    ['strings with newlines, which are escaped and not indented', new LazyObject(() => [['k\nx', ['a\nb']]]), '{\n  "k\\nx": [\n    "a\\nb"\n  ]\n}'],
    ['undefined in an array, written as null', [new LazyObject(() => []), undefined], '[\n  {},\n  null\n]'],
  ])('writes %s', (_what, value, text) => {
    expect(jsonTextOf(value)).toBe(text);
  });

  it('writes what is not JSON data as JSON.stringify does, in a subtree heavy enough to be walked member by member', () => {
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`m${i}`, i]));
    const heavy = {
      ...many,
      f: () => 1,
      s: Symbol('x'),
      u: undefined,
      d: new Date(0),
      b: new String('boxed'),
      n: new Number(3),
      t: { toJSON: (key: string) => `toJSON got "${key}"` },
      list: [() => 1, Symbol('y'), undefined, new Boolean(false), { toJSON: (key: string) => `item ${key}` }, ...Array.from({ length: 300 }, (_, i) => i)],
    };
    const pieces = [...jsonText(heavy)];
    // Walked, not written by one JSON.stringify call.
    expect(pieces.length).toBeGreaterThan(300);
    expect(pieces.join('')).toBe(JSON.stringify(heavy, null, 2));
  });

  it('writes a lazy value that gives nothing JSON can write as null', () => {
    const nothing = new LazyValue(function* () {
      return undefined;
    });
    expect(jsonTextOf({ a: nothing, b: [nothing] })).toBe('{\n  "a": null,\n  "b": [\n    null\n  ]\n}');
  });

  it('gives a large lazy object in small pieces, with points to pause at', () => {
    const members = Array.from({ length: 10_000 }, (_, i) => [`task-${i}.marathon.mesos.`, [`10.0.${i >> 8}.${i & 255}`]] as const);
    const pieces = [...jsonText({ Records: { As: new LazyObject(() => members) } })];
    const pauses = pieces.filter((piece) => piece === undefined).length;
    expect(pauses).toBeGreaterThanOrEqual(10_000 / 256 - 1);
    expect(Math.max(...pieces.map((piece) => piece?.length ?? 0))).toBeLessThan(200);
    expect(JSON.parse(pieces.join(''))).toEqual({ Records: { As: Object.fromEntries(members) } });
  });

  it('walks a large plain value that a lazy one gives member by member, not in one JSON.stringify call', () => {
    const frameworks = Array.from({ length: 20 }, (_, f) => ({
      name: `fw${f}`,
      tasks: Array.from({ length: 500 }, (_, t) => ({ name: `t${t}`, id: `t${t}.${f}`, records: [{ name: `t${t}.fw${f}.mesos.`, host: '10.0.0.1', rtype: 'A' }] })),
    }));
    let stepsRun = 0;
    const value = {
      frameworks: new LazyValue(function* () {
        for (let i = 0; i < 3; i++) {
          stepsRun++;
          yield;
        }
        return frameworks;
      }),
    };
    const generator = jsonText(value);
    // Nothing is built before the writer reaches the value.
    expect(stepsRun).toBe(0);
    const pieces = [...generator];
    expect(stepsRun).toBe(3);
    expect(Math.max(...pieces.map((piece) => piece?.length ?? 0))).toBeLessThan(1_000);
    expect(pieces.join('')).toBe(JSON.stringify({ frameworks }, null, 2));
  });
});
