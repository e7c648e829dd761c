// aliveList: a Marathon task's health results as alive flags, one shared frozen list for each short pattern. Pure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aliveList } from '../../state-poller/marathon-normalize.js';

const result = fc.record({ alive: fc.constantFrom(true, false, null, undefined) }, { requiredKeys: [] });

describe('aliveList', () => {
  it('says for each result, in order, whether it is alive', () => {
    fc.assert(
      fc.property(fc.array(result, { maxLength: 6 }), (results) => {
        expect(aliveList(results)).toEqual(results.map((r) => r.alive === true));
      }),
    );
  });

  it('gives the same frozen list for the same short pattern, and a list of its own past three', () => {
    fc.assert(
      fc.property(fc.array(result, { maxLength: 3 }), (results) => {
        const again = results.map((r) => ({ alive: r.alive === true }));
        expect(aliveList(results)).toBe(aliveList(again));
        expect(Object.isFrozen(aliveList(results))).toBe(true);
      }),
    );
    const long = [{ alive: true }, { alive: true }, { alive: false }, { alive: true }];
    expect(aliveList(long)).not.toBe(aliveList(long));
    expect(aliveList([{ alive: true }])).toBe(aliveList([{ alive: true }]));
  });
});
