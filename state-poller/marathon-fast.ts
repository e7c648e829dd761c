// A hand-written check of a Marathon task that accepts only what marathon-types.ts's marathonTaskSchema accepts,
// and defers to zod (by returning null) for everything else. Pure. zod's task checks were 40% of normalizing 10k apps.
import { isNullish, isObject, isPort, nullishArrayOf, nullishString } from './shape-checks.js';

/** The fields of a task that marathon-normalize.ts reads (zod's output is one of these too: see mesos-fast.ts). */
export interface MarathonTaskFields {
  readonly id: string;
  readonly host: string;
  readonly state?: string | null | undefined;
  readonly ports?: readonly number[] | null | undefined;
  readonly ipAddresses?: readonly { readonly ipAddress?: string | null | undefined }[] | null | undefined;
  readonly healthCheckResults?: readonly { readonly alive?: boolean | null | undefined }[] | null | undefined;
}

const ipAddressOk = (entry: unknown): boolean => isObject(entry) && nullishString(entry['ipAddress']);
const resultOk = (entry: unknown): boolean => isObject(entry) && (isNullish(entry['alive']) || typeof entry['alive'] === 'boolean');

/** `raw` as a task's fields when marathonTaskSchema would accept it; null to let zod decide (and explain). */
export function marathonTaskFields(raw: unknown): MarathonTaskFields | null {
  if (!isObject(raw)) return null;
  const id = raw['id'];
  if (typeof id !== 'string' || id.length < 1 || typeof raw['host'] !== 'string' || !nullishString(raw['state'])) return null;
  if (!nullishArrayOf(raw['ports'], isPort) || !nullishArrayOf(raw['ipAddresses'], ipAddressOk)) return null;
  if (!nullishArrayOf(raw['healthCheckResults'], resultOk)) return null;
  return raw as unknown as MarathonTaskFields;
}
