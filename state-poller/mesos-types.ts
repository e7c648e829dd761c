// Schemas for the subset of a Mesos master's GET /master/state that switchyard reads (reference/mesos-dns.md §2.2).
// Pure. The document is checked in layers so that one malformed task or framework is skipped, not the whole state.
import { z } from 'zod';

/** The top level: only `leader` is required; lists are validated item by item later. */
export const mesosStateSchema = z.looseObject({
  leader: z.string().min(1, 'the state names no leader'),
  slaves: z.array(z.unknown()).optional().default([]),
  frameworks: z.array(z.unknown()).optional().default([]),
});

export const mesosAgentSchema = z.looseObject({
  id: z.string().min(1),
  pid: z.string().min(1),
  hostname: z.string().optional(),
});

export const mesosFrameworkSchema = z.looseObject({
  name: z.string(),
  // mesos-dns fails the whole refresh on `"pid": null`; here null simply means "no pid".
  pid: z.string().nullish(),
  hostname: z.string().nullish(),
  tasks: z.array(z.unknown()).optional().default([]),
});

const labelSchema = z.looseObject({ key: z.string(), value: z.string().optional().default('') });

const networkInfoSchema = z.looseObject({
  ip_addresses: z.array(z.looseObject({ ip_address: z.string().optional() })).nullish(),
  ip_address: z.string().nullish(),
});

export const mesosStatusSchema = z.looseObject({
  state: z.string(),
  timestamp: z.number(),
  labels: z.array(labelSchema).nullish(),
  container_status: z.looseObject({ network_infos: z.array(networkInfoSchema).nullish() }).nullish(),
});

const discoveryPortSchema = z.looseObject({
  number: z.number().int().min(0).max(65535),
  protocol: z.string().optional().default(''),
  name: z.string().optional().default(''),
});

export const mesosTaskSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  slave_id: z.string(),
  state: z.string(),
  resources: z.looseObject({ ports: z.string().nullish() }).nullish(),
  discovery: z
    .looseObject({
      name: z.string().optional().default(''),
      ports: z.looseObject({ ports: z.array(discoveryPortSchema).nullish() }).nullish(),
    })
    .nullish(),
  statuses: z.array(z.unknown()).nullish(),
});

export type MesosStateDoc = z.infer<typeof mesosStateSchema>;
export type MesosAgentDoc = z.infer<typeof mesosAgentSchema>;
export type MesosFrameworkDoc = z.infer<typeof mesosFrameworkSchema>;
export type MesosTaskDoc = z.infer<typeof mesosTaskSchema>;
export type MesosStatusDoc = z.infer<typeof mesosStatusSchema>;

/** One-line summary of a zod failure: "path: message; path: message". */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}
