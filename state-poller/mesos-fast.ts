// Hand-written checks of a Mesos task and task status that accept only what mesos-types.ts's schemas accept, and
// defer to zod (by returning null) for everything else. Pure. zod's checks were 60–70% of normalizing 100k tasks.
import { isFiniteNumber, isNullish, isObject, isPort, nullishArrayOf, nullishString, optionalString } from './shape-checks.js';

/**
 * The fields of a task that mesos-task.ts reads. Defaults are left to the reader (`?? ''`), so that a raw task that
 * passes the checks can be read as it is, without a copy. zod's output (defaults applied) is one of these too, and
 * mesos-task.ts reads both through this type, so a schema whose output no longer fits it does not compile; a schema
 * made stricter still compiles, and the property tests against the schemas catch that.
 */
export interface TaskFields {
  readonly id: string;
  readonly name: string;
  readonly slave_id: string;
  readonly state: string;
  readonly resources?: { readonly ports?: string | null | undefined } | null | undefined;
  readonly discovery?:
    | {
        readonly name?: string | undefined;
        readonly ports?: { readonly ports?: readonly DiscoveryPortFields[] | null | undefined } | null | undefined;
      }
    | null
    | undefined;
  readonly statuses?: readonly unknown[] | null | undefined;
}

export interface DiscoveryPortFields {
  readonly number: number;
  readonly protocol?: string | undefined;
  readonly name?: string | undefined;
}

/** The fields of a task status that mesos-task.ts reads; defaults (a label's value) are left to the reader. */
export interface StatusFields {
  readonly state: string;
  readonly timestamp: number;
  readonly labels?: readonly { readonly key: string; readonly value?: string | undefined }[] | null | undefined;
  readonly container_status?:
    | {
        readonly network_infos?:
          | readonly {
              readonly ip_addresses?: readonly { readonly ip_address?: string | undefined }[] | null | undefined;
              readonly ip_address?: string | null | undefined;
            }[]
          | null
          | undefined;
      }
    | null
    | undefined;
}

function discoveryPortOk(port: unknown): boolean {
  return isObject(port) && isPort(port['number']) && optionalString(port['protocol']) && optionalString(port['name']);
}

function discoveryOk(discovery: unknown): boolean {
  if (isNullish(discovery)) return true;
  if (!isObject(discovery) || !optionalString(discovery['name'])) return false;
  const ports = discovery['ports'];
  return isNullish(ports) || (isObject(ports) && nullishArrayOf(ports['ports'], discoveryPortOk));
}

/** `raw` as a task's fields when mesosTaskSchema would accept it; null to let zod decide (and explain). */
export function taskFields(raw: unknown): TaskFields | null {
  if (!isObject(raw)) return null;
  const id = raw['id'];
  if (typeof id !== 'string' || id.length < 1) return null;
  if (typeof raw['name'] !== 'string' || typeof raw['slave_id'] !== 'string' || typeof raw['state'] !== 'string') return null;
  const resources = raw['resources'];
  if (!isNullish(resources) && !(isObject(resources) && nullishString(resources['ports']))) return null;
  if (!discoveryOk(raw['discovery'])) return null;
  const statuses = raw['statuses'];
  if (!isNullish(statuses) && !Array.isArray(statuses)) return null;
  return raw as unknown as TaskFields;
}

const labelOk = (label: unknown): boolean => isObject(label) && typeof label['key'] === 'string' && optionalString(label['value']);
const addressOk = (address: unknown): boolean => isObject(address) && optionalString(address['ip_address']);
const networkInfoOk = (info: unknown): boolean => isObject(info) && nullishString(info['ip_address']) && nullishArrayOf(info['ip_addresses'], addressOk);

function networkInfosOk(containerStatus: unknown): boolean {
  return isNullish(containerStatus) || (isObject(containerStatus) && nullishArrayOf(containerStatus['network_infos'], networkInfoOk));
}

/** `raw` as a status's fields when mesosStatusSchema would accept it; null to let zod decide. */
export function statusFields(raw: unknown): StatusFields | null {
  if (!isObject(raw) || typeof raw['state'] !== 'string' || !isFiniteNumber(raw['timestamp'])) return null;
  if (!nullishArrayOf(raw['labels'], labelOk) || !networkInfosOk(raw['container_status'])) return null;
  return raw as unknown as StatusFields;
}
