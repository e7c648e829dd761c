// Interner: one string per distinct text within a state (the normalizers share agent ids, Marathon hosts and
// task states this way). Pure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Interner } from '../../state-poller/intern.js';

describe('Interner', () => {
  it('gives back each text unchanged, and keeps one entry per distinct text', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom('TASK_RUNNING', 'agent-1.example', ''), fc.string({ maxLength: 40 })), { maxLength: 60 }), (texts) => {
        const strings = new Interner();
        // Texts built afresh (not literals), as JSON.parse builds them.
        expect(texts.map((t) => strings.of([...t].join('')))).toEqual(texts);
        expect(strings.size).toBe(new Set(texts).size);
      }),
    );
  });
});
