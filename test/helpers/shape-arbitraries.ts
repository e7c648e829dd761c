// fast-check arbitraries for JSON-like upstream items that are mostly, but not always, of the right shape, and the
// properties that a hand-written check agrees with its zod schema over them. Pure (assertions only).
import fc from 'fast-check';
import { expect } from 'vitest';

/** An object with each key either absent or set to its arbitrary's value. */
export const some = <T extends Record<string, fc.Arbitrary<unknown>>>(fields: T) => fc.record(fields, { requiredKeys: [] });
/** Values of the wrong kind anywhere a field is read. */
export const wrong = fc.oneof(fc.constant(null), fc.integer(), fc.double(), fc.boolean(), fc.string(), fc.array(fc.anything(), { maxLength: 2 }), fc.object({ maxDepth: 1 }), fc.constant(Number.POSITIVE_INFINITY), fc.constant(Number.NaN));
/** Mostly the right kind, sometimes wrong: so that both sides of every check are reached. */
export const mostly = <T>(right: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: right }, { weight: 1, arbitrary: wrong });
/** Short strings, the empty one among them, and values upstream uses. */
export const str = fc.oneof(fc.constant(''), fc.string({ maxLength: 6 }), fc.constantFrom('tcp', 'udp', 'TASK_RUNNING'));
/** `.nullish()`: the value, null or undefined. */
export const nullish = <T>(right: fc.Arbitrary<T>) => fc.oneof(right, fc.constant(null), fc.constant(undefined));

/** A zod schema as the agreement check uses it. */
interface Schema<D> {
  safeParse(raw: unknown): { readonly success: true; readonly data: D } | { readonly success: false };
}

/**
 * Checks a hand-written check against its zod schema over `runs` values of `arbitrary`: whatever the check accepts,
 * the schema accepts, and `read` (what the caller reads of an item, defaults applied) gives the same from both. It
 * also fails when the check accepted too few values for the comparison to mean anything.
 */
export function expectAgreement<F, D extends F>(arbitrary: fc.Arbitrary<unknown>, check: (raw: unknown) => F | null, schema: Schema<D>, read: (fields: F) => unknown, runs = 5000): void {
  let accepted = 0;
  fc.assert(
    fc.property(arbitrary, (raw) => {
      const fast = check(raw);
      if (fast === null) return;
      accepted++;
      const zod = schema.safeParse(raw);
      expect(zod.success).toBe(true);
      if (zod.success) expect(read(fast)).toEqual(read(zod.data));
    }),
    { numRuns: runs },
  );
  expect(accepted).toBeGreaterThan(runs / 50);
}

/** Whatever the schema accepts among `good` (well-formed shapes), the check takes too: normal input never needs zod. */
export function expectTakesWhatZodTakes<F>(good: fc.Arbitrary<unknown>, check: (raw: unknown) => F | null, schema: Schema<unknown>, runs = 2000): void {
  fc.assert(
    fc.property(good, (raw) => {
      if (schema.safeParse(raw).success) expect(check(raw)).not.toBeNull();
    }),
    { numRuns: runs },
  );
}

/** Each of `cases` is refused by the schema and by the check alike. */
export function expectBothReject<F>(cases: readonly unknown[], check: (raw: unknown) => F | null, schema: Schema<unknown>): void {
  for (const raw of cases) {
    expect(schema.safeParse(raw).success, JSON.stringify(raw)).toBe(false);
    expect(check(raw), JSON.stringify(raw)).toBeNull();
  }
}
