// Golden files of the configs switchyard generates for the recorded inputs (byte for byte, so any change to the
// output shows up in review), each one checked by the real `haproxy -c` (Debian's HAProxy 2.6).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkConfig } from '../../lb/checker.js';
import type { ViewOptions } from '../../lb/view-model.js';
import { appsOf, COMBINED, generate } from '../helpers/lb-generate.js';
import { selfSignedPem } from '../helpers/tls.js';

const FEATURES = 'synthetic/switchyard-label-features.json';
const cases: { name: string; input: string[]; options: Partial<ViewOptions> }[] = [
  { name: 'combined.group-external.health-check', input: COMBINED, options: { healthCheck: true } },
  { name: 'combined.group-external.haproxy-map', input: COMBINED, options: { healthCheck: true, haproxyMap: true } },
  { name: 'combined.group-star.dont-bind-http-https', input: COMBINED, options: { groups: ['*'], bindHttpHttps: false } },
  { name: 'combined.group-external.group-https-by-vhost', input: COMBINED, options: { healthCheck: true, groupHttpsByVhost: true } },
  { name: 'legacy-directives', input: ['synthetic/fake-marathon-apps-legacy-directives.json'], options: {} },
  { name: 'label-features', input: [FEATURES], options: { groups: ['*'] } },
];

let dir = '';
let cert = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'swy-golden-'));
  cert = selfSignedPem(dir);
});

describe('generated configs', () => {
  for (const c of cases) {
    it(`${c.name}: matches its golden file and passes haproxy -c`, async () => {
      const out = await generate(appsOf(...c.input), c.options);
      await expect(out.config).toMatchFileSnapshot(`golden/${c.name}.haproxy.cfg`);
      if (c.options.haproxyMap === true) {
        await expect(out.domainMap).toMatchFileSnapshot(`golden/${c.name}.domain2backend.map`);
        await expect(out.appMap).toMatchFileSnapshot(`golden/${c.name}.app2backend.map`);
      }
      // The golden files use marathon-lb's default paths; point them at files that exist here for the check.
      writeFileSync(join(dir, 'domain2backend.map'), out.domainMap);
      writeFileSync(join(dir, 'app2backend.map'), out.appMap);
      const local = out.config.replaceAll('/etc/ssl/cert.pem', cert).replaceAll('/etc/haproxy/', `${dir}/`);
      const path = join(dir, `${c.name}.cfg`);
      writeFileSync(path, local);
      const verdict = await checkConfig(path);
      expect(verdict).toEqual({ ok: true });
    });
  }
});
