// Schemas for the subset of Marathon's GET /v2/apps?embed=apps.tasks that switchyard reads (reference/marathon-lb.md
// §4.2–4.3). Pure. Checked in layers: the document, then each app, then each task, so one bad app is skipped alone.
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);

export const marathonAppsSchema = z.looseObject({ apps: z.array(z.unknown()) });

const portMappingSchema = z.looseObject({ servicePort: port.nullish(), containerPort: port.nullish() });

const healthCheckSchema = z.looseObject({
  protocol: z.string().optional().default('HTTP'),
  port: port.nullish(),
  portIndex: z.number().int().min(0).nullish(),
  path: z.string().nullish(),
  // Marathon always fills these; defaults are Marathon's own, for hand-written inputs.
  intervalSeconds: z.number().min(0).optional().default(60),
  timeoutSeconds: z.number().min(0).optional().default(20),
  gracePeriodSeconds: z.number().min(0).optional().default(300),
  maxConsecutiveFailures: z.number().int().min(0).optional().default(3),
});

export const marathonAppSchema = z.looseObject({
  id: z.string().startsWith('/', 'app ids start with "/"'),
  instances: z.number().int().min(0).optional().default(0),
  // marathon-lb fails on an app without labels; an absent or null object simply means no labels here.
  labels: z.record(z.string(), z.string()).nullish(),
  portDefinitions: z.array(z.looseObject({ port: port.nullish() })).nullish(),
  ports: z.array(port).nullish(),
  container: z
    .looseObject({
      docker: z
        .looseObject({ network: z.string().nullish(), portMappings: z.array(portMappingSchema).nullish() })
        .nullish(),
      portMappings: z.array(portMappingSchema).nullish(),
    })
    .nullish(),
  networks: z.array(z.looseObject({ mode: z.string().nullish() })).nullish(),
  ipAddress: z.looseObject({ discovery: z.looseObject({ ports: z.array(z.looseObject({ number: port })).nullish() }).nullish() }).nullish(),
  healthChecks: z.array(healthCheckSchema).nullish(),
  tasks: z.array(z.unknown()).nullish(),
  versionInfo: z.looseObject({ lastScalingAt: z.string().nullish() }).nullish(),
});

export const marathonTaskSchema = z.looseObject({
  id: z.string().min(1),
  host: z.string(),
  state: z.string().nullish(),
  ports: z.array(port).nullish(),
  ipAddresses: z.array(z.looseObject({ ipAddress: z.string().nullish() })).nullish(),
  healthCheckResults: z.array(z.looseObject({ alive: z.boolean().nullish() })).nullish(),
});

export type MarathonAppDoc = z.infer<typeof marathonAppSchema>;
