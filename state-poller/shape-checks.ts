// The checks zod's schemas make of a JSON value, one per kind, for the hand-written task checks (mesos-fast.ts,
// marathon-fast.ts). Pure.

/** zod's object check: an object that is not null and not an array. */
export function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `.nullish()`: null or absent. */
export const isNullish = (value: unknown): value is null | undefined => value === null || value === undefined;
/** `z.string().optional()`. */
export const optionalString = (value: unknown): boolean => value === undefined || typeof value === 'string';
/** `z.string().nullish()`. */
export const nullishString = (value: unknown): boolean => isNullish(value) || typeof value === 'string';
/** `z.number()`: finite (zod 4 refuses NaN and the infinities). */
export const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
/** `z.number().int().min(0).max(65535)`: `.int()` is a safe integer. */
export const isPort = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= 65535;

/** `z.array(item).nullish()`. */
export function nullishArrayOf(value: unknown, item: (element: unknown) => boolean): boolean {
  if (isNullish(value)) return true;
  if (!Array.isArray(value)) return false;
  for (const element of value) if (!item(element)) return false;
  return true;
}
