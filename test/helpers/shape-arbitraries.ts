// fast-check arbitraries for JSON-like upstream items that are mostly, but not always, of the right shape: for the
// property tests of the hand-written checks against zod's schemas. Pure.
import fc from 'fast-check';

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

