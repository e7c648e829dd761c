// Building blocks of the configuration schemas (config-schema.ts, config-schema-lb.ts): field types with their messages.
// Pure, no I/O.
import { z } from 'zod';

/** Deeply read-only view of a plain-data type. */
export type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

/** Error option giving `must be <description>`, plus what was found when the JSON type is wrong. */
export function must(description: string): { error: (issue: { code?: string; input?: unknown }) => string } {
  return {
    error: (issue) =>
      issue.code === 'invalid_type' ? `must be ${description}, got ${describeValue(issue.input)}` : `must be ${description}`,
  };
}

export function integer(min: number, max: number, description = `an integer from ${min} to ${max}`) {
  const m = must(description);
  return z.int(m).min(min, m).max(max, m);
}

export const UINT32_MAX = 4_294_967_295;
/** Largest number of seconds a Node.js timer can wait (2^31-1 ms). */
export const MAX_TIMER_SECONDS = 2_147_483;
/** Largest number of milliseconds a Node.js timer can wait. */
export const MAX_TIMER_MS = 2_147_483_647;

// 0 asks the system for a free port (tests, and operators who read the bound port from the log).
export const port = () => integer(0, 65535, 'an integer port from 0 to 65535');
export const seconds = () => integer(1, MAX_TIMER_SECONDS, `a whole number of seconds > 0 (at most ${MAX_TIMER_SECONDS})`);
export const bool = () => z.boolean(must('true or false'));
export const str = () => z.string(must('a string'));
export const nonEmpty = () => z.string(must('a non-empty string')).min(1, must('a non-empty string'));

/** No whitespace and no control characters: safe to place as one word on a line of the HAProxy config. */
export const ONE_WORD = /^[^\s\p{Cc}]+$/u;

/** A non-empty string that is one word (see ONE_WORD); `what` names it in the message. */
export const word = (what: string) => {
  const m = must(`${what} without spaces or control characters`);
  return z.string(m).regex(ONE_WORD, m);
};

export function uniqueItems<T>(key: (item: T) => string, what: string) {
  return (items: readonly T[], ctx: z.RefinementCtx): void => {
    const first = new Map<string, number>();
    items.forEach((item, index) => {
      const k = key(item);
      const earlier = first.get(k);
      if (earlier === undefined) first.set(k, index);
      else ctx.addIssue({ code: 'custom', path: [index], message: `duplicate ${what}: same as [${earlier}]` });
    });
  };
}
