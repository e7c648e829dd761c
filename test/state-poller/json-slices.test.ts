// parseJsonSteps (state-poller/json-slices.ts) against JSON.parse itself: the same value for any JSON, in any
// layout, walked in pieces as small as one character; JSON.parse's own error for anything that is not JSON.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonSteps } from '../../state-poller/json-slices.js';
import { runToEnd } from '../../state-poller/slices.js';

/** Runs the steps to the end; also returns how many pauses there were. */
function run(text: string, pieceChars?: number): { value: unknown; pauses: number } {
  const steps = parseJsonSteps(text, pieceChars);
  let pauses = 0;
  for (;;) {
    const step = steps.next();
    if (step.done === true) return { value: step.value, pauses };
    pauses++;
  }
}

/** What JSON.parse throws for `text`, or null. */
function jsonError(text: string): string | null {
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('parseJsonSteps', () => {
  it('gives what JSON.parse gives for any JSON value, compact or indented, in pieces of any size', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 0, 1, 2, '\t'), fc.integer({ min: 1, max: 64 }), (value, indent, pieceChars) => {
        const text = JSON.stringify(value, null, indent);
        const { value: parsed } = run(text, pieceChars);
        expect(parsed).toStrictEqual(JSON.parse(text));
        // Key order too (toStrictEqual does not look at it).
        expect(JSON.stringify(parsed)).toBe(JSON.stringify(JSON.parse(text)));
      }),
      { numRuns: 500 },
    );
  });

  it('reads the UTF-8 bytes as Buffer#toString decodes them: any code point, in pieces of any size', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), fc.constantFrom(undefined, 2), fc.integer({ min: 1, max: 64 }), (value, indent, pieceBytes) => {
        const text = JSON.stringify(value, null, indent);
        const bytes = Buffer.from(text, 'utf8');
        const steps = parseJsonSteps(bytes, pieceBytes);
        let step = steps.next();
        while (step.done !== true) step = steps.next();
        expect(JSON.stringify(step.value)).toBe(JSON.stringify(JSON.parse(bytes.toString('utf8'))));
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['a truncated sequence before a quote', [0xe2, 0x82]],
    ['a lone continuation byte', [0x80]],
    ['an overlong slash', [0xc0, 0xaf]],
    ['a surrogate encoded in UTF-8', [0xed, 0xa0, 0x80]],
  ])('decodes invalid UTF-8 in a string (%s) as Buffer#toString does, in a run or walked', (_what, bad) => {
    const item = (i: number): Buffer => Buffer.concat([Buffer.from(`{"id":"app-${i}-`), Buffer.from(bad), Buffer.from('","n":1}')]);
    const bytes = Buffer.concat([Buffer.from('{"apps":['), ...Array.from({ length: 20 }, (_, i) => Buffer.concat([i === 0 ? Buffer.alloc(0) : Buffer.from(','), item(i)])), Buffer.from(']}')]);
    for (const pieceBytes of [1, 7, 64, 1 << 16]) {
      const steps = parseJsonSteps(bytes, pieceBytes);
      let step = steps.next();
      while (step.done !== true) step = steps.next();
      expect(step.value).toStrictEqual(JSON.parse(bytes.toString('utf8')));
    }
  });

  it('tells of every item of each array it walks, with the text it was parsed from', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 12 }), fc.constantFrom(undefined, 0, 2), fc.integer({ min: 1, max: 64 }), (items, indent, pieceChars) => {
        const text = JSON.stringify({ apps: items }, null, indent);
        const told = new Map<unknown, string>();
        const bytes = Buffer.from(text, 'utf8');
        const steps = parseJsonSteps(bytes, pieceChars, (_path, item, start, end) => {
          told.set(item, bytes.subarray(start, end).toString('utf8'));
          return item;
        });
        let step = steps.next();
        while (step.done !== true) step = steps.next();
        const apps = (step.value as { apps: unknown[] }).apps;
        expect(apps).toStrictEqual(JSON.parse(text).apps);
        // The apps array is walked when its own text is longer than a piece: then every app that is an object or
        // array is told, as itself, with exactly its own text.
        const arrayStart = text.indexOf('[', text.indexOf('"apps"'));
        const walked = text.lastIndexOf(']') + 1 - arrayStart > pieceChars;
        for (const app of apps) {
          if (typeof app !== 'object' || app === null) continue;
          expect(told.has(app), JSON.stringify(app)).toBe(walked);
          if (told.has(app)) expect(JSON.parse(told.get(app) ?? '')).toStrictEqual(app);
        }
        for (const [item, source] of told) {
          expect(JSON.parse(source)).toStrictEqual(item);
          // Exactly the item's own text: no space or comma around it (compact text is what JSON.stringify gives).
          expect(source.trim()).toBe(source);
          if (indent === undefined || indent === 0) expect(source).toBe(JSON.stringify(item));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('tells each walked item the path to its array, and keeps what the hook returns in the item\'s place', () => {
    const doc = { frameworks: [{ name: 'a', tasks: [{ id: 1 }, { id: 2 }] }, { tasks: [[3, 4], 5] }], tasks: [{ id: 6 }], x: { y: [7, { z: [8] }] } };
    const text = JSON.stringify(doc);
    // One character: every value longer than that is walked, so every array item is told.
    const paths = new Map<string, number>();
    const value = runToEnd(
      parseJsonSteps(Buffer.from(text, 'utf8'), 1, (path, item) => {
        paths.set(path, (paths.get(path) ?? 0) + 1);
        return path === 'frameworks[].tasks' ? { was: item } : item;
      }),
    );
    expect(value).toStrictEqual({
      frameworks: [{ name: 'a', tasks: [{ was: { id: 1 } }, { was: { id: 2 } }] }, { tasks: [{ was: [3, 4] }, { was: 5 }] }],
      tasks: [{ id: 6 }],
      x: { y: [7, { z: [8] }] },
    });
    expect(Object.fromEntries(paths)).toStrictEqual({ frameworks: 2, 'frameworks[].tasks': 4, 'frameworks[].tasks[]': 2, tasks: 1, 'x.y': 2, 'x.y[].z': 1 });
  });

  it('keeps "__proto__" an own property, as JSON.parse does, whether in a run or on its own', () => {
    for (const text of ['{"a":1,"__proto__":{"x":1},"b":2}', '{"__proto__":[1,2,3,4,5,6,7,8,9,10],"z":[{"__proto__":1}]}']) {
      for (const pieceChars of [1, 4, 1000]) {
        const { value } = run(text, pieceChars);
        expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
        expect(Object.keys(value as object)).toEqual(Object.keys(JSON.parse(text) as object));
        expect(JSON.stringify(value)).toBe(JSON.stringify(JSON.parse(text)));
      }
    }
  });

  it('keeps the last of duplicate keys where the first stood, as JSON.parse does', () => {
    const text = '{"a":[1,2,3,4,5],"b":2,"a":{"c":[6,7,8,9]},"2":0,"1":1}';
    for (const pieceChars of [1, 3, 8, 1000]) expect(JSON.stringify(run(text, pieceChars).value)).toBe(JSON.stringify(JSON.parse(text)));
  });

  it('throws JSON.parse\'s own SyntaxError for text that is not JSON', () => {
    const broken = ['[1,2,]', '[1 2]', '{"a" 1}', '{"a":1,}', '{a:1}', '[1,[2,3]', '[[1],[2]] x', '["a\\"]', '{"a":[1,2}', '[,1]', '[1,2]]', '{"a":1 "b":2}', ''];
    for (const text of broken) {
      for (const pieceChars of [1, 2, 1000]) {
        expect(() => run(text, pieceChars), text).toThrow(SyntaxError);
        expect(() => run(text, pieceChars)).toThrow(jsonError(text) ?? 'not an error');
      }
    }
  });

  it('agrees with JSON.parse on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json().map((t) => t.slice(0, Math.max(0, t.length - 1)))), fc.integer({ min: 1, max: 16 }), (text, pieceChars) => {
        const expected = jsonError(text);
        if (expected === null) expect(run(text, pieceChars).value).toStrictEqual(JSON.parse(text));
        else expect(() => run(text, pieceChars)).toThrow(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with JSON.parse on JSON with one character deleted, doubled or replaced', () => {
    const mutated = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom('delete', 'double', ',', ']', '}', '"', ':', ' ', '\\'))
      .map(([text, n, how]) => {
        const i = text.length === 0 ? 0 : n % text.length;
        if (how === 'delete') return text.slice(0, i) + text.slice(i + 1);
        if (how === 'double') return text.slice(0, i + 1) + text.slice(i);
        return text.slice(0, i) + how + text.slice(i + 1);
      });
    fc.assert(
      fc.property(mutated, fc.integer({ min: 1, max: 16 }), (text, pieceChars) => {
        const expected = jsonError(text);
        if (expected === null) expect(JSON.stringify(run(text, pieceChars).value)).toBe(JSON.stringify(JSON.parse(text)));
        else expect(() => run(text, pieceChars)).toThrow(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('parses a recorded Mesos state as JSON.parse does, pausing along the way', () => {
    const text = readFileSync(new URL('../fixtures/mesos-dns/generated/served-master-state.json', import.meta.url), 'utf8');
    const { value, pauses } = run(text, 256);
    expect(value).toStrictEqual(JSON.parse(text));
    expect(pauses).toBeGreaterThan(10);
  });
});
