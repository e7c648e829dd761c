// Tables for lb/labels.ts: every label's parser on good, bad and injection values; readLabels on the marathon-lb fixtures.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LABEL_LIST, LABELS, TEMPLATE_OVERRIDE_NAMES, type LabelName } from '../../lb/labels.js';
import { labelReferenceMarkdown, portGroups, readLabels } from '../../lb/label-reader.js';

import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../fixtures/marathon-lb', import.meta.url));

describe('label parsers', () => {
  const good: [LabelName, string, unknown][] = [
    ['GROUP', 'external', ['external']],
    ['GROUP', 'external,internal', ['external', 'internal']],
    ['GROUP', '*', ['*']],
    ['DEPLOYMENT_GROUP', 'nginx', 'nginx'],
    ['DEPLOYMENT_GROUP', 'team/nginx', 'team/nginx'],
    ['DEPLOYMENT_ALT_PORT', '10001', 10001],
    ['DEPLOYMENT_COLOUR', 'blue', 'blue'],
    ['DEPLOYMENT_COLOUR', 'green', 'green'],
    ['DEPLOYMENT_STARTED_AT', '2016-02-01T14:13:42.499089', { raw: '2016-02-01T14:13:42.499089', epochMs: Date.UTC(2016, 1, 1, 14, 13, 42, 499) }],
    ['DEPLOYMENT_STARTED_AT', '2016-02-01T14:13:42+01:00', { raw: '2016-02-01T14:13:42+01:00', epochMs: Date.UTC(2016, 1, 1, 13, 13, 42) }],
    ['DEPLOYMENT_TARGET_INSTANCES', '20', 20],
    ['DEPLOYMENT_NEW_INSTANCES', '0', 0],
    ['APP_ID', 'nginx', 'nginx'],
    ['APP_ID', '/web/frontend', '/web/frontend'],
    ['VHOST', 'www.example.test,example.test', ['www.example.test', 'example.test']],
    ['VHOST', 'Marathon.Mesosphere.COM,marathon', ['marathon.mesosphere.com', 'marathon']],
    ['VHOST', '*.example.test', ['*.example.test']],
    ['PATH', '/v1', '/v1'],
    ['PATH', '-i /multiple /paths', '-i /multiple /paths'],
    ['PATH', '/v2/api/derp', '/v2/api/derp'],
    ['PORT', '10000', 10000],
    ['PORT', '1', 1],
    ['PORT', '65535', 65535],
    ['MODE', 'http', 'http'],
    ['MODE', 'TCP', 'tcp'],
    ['BALANCE', 'roundrobin', 'roundrobin'],
    ['BALANCE', 'leastconn', 'leastconn'],
    ['BALANCE', 'static-rr', 'static-rr'],
    ['BALANCE', 'hdr(host)', 'hdr(host)'],
    ['BALANCE', 'random(2)', 'random(2)'],
    ['BALANCE', 'url_param userid', 'url_param userid'],
    ['BALANCE', 'uri', 'uri'],
    ['STICKY', 'true', true],
    ['STICKY', 'Yes', true],
    ['STICKY', 'T', true],
    ['STICKY', 'false', false],
    ['REDIRECT_TO_HTTPS', 'y', true],
    ['REDIRECT_TO_HTTPS', 'FALSE', false],
    ['USE_HSTS', 'no', false],
    ['ENABLED', 'true', true],
    ['SSL_CERT', '/etc/ssl/cert.pem', '/etc/ssl/cert.pem'],
    ['BIND_ADDR', '*', '*'],
    ['BIND_ADDR', '10.0.0.42', '10.0.0.42'],
    ['BIND_ADDR', '::1', '::1'],
    ['BIND_OPTIONS', 'ciphers AES128+EECDH:AES128+EDH force-tlsv12 no-sslv3 no-tlsv10', 'ciphers AES128+EECDH:AES128+EDH force-tlsv12 no-sslv3 no-tlsv10'],
    ['BACKEND_WEIGHT', '5', 5],
    ['BACKEND_WEIGHT', '-3', -3],
    ['AUTH', 'realm:username:$5$saltsalt$0123456789abcdefABC./', { realm: 'realm', user: 'username', passwordHash: '$5$saltsalt$0123456789abcdefABC./' }],
    ['HTTP_BACKEND_PROXYPASS_PATH', '/path/to/redirect', '/path/to/redirect'],
    ['HTTP_BACKEND_REVPROXY_PATH', '/my/content', '/my/content'],
    ['HTTP_BACKEND_REDIR', '/app/', '/app/'],
    ['BACKEND_NETWORK_ALLOWED_ACL', '10.1.40.0/24 10.1.55.43', ['10.1.40.0/24', '10.1.55.43']],
    ['BACKEND_NETWORK_ALLOWED_ACL', 'fd00::/8', ['fd00::/8']],
    ['BACKEND_HEALTHCHECK_PORT_INDEX', '1', 1],
  ];
  it.each(good)('%s accepts %j', (name, raw, value) => {
    expect(LABELS[name].parse(raw)).toEqual({ ok: true, value });
  });

  const bad: [LabelName, string, RegExp][] = [
    ['GROUP', 'a, b', /not a valid name/],
    ['GROUP', 'a,,b', /empty group/],
    ['DEPLOYMENT_GROUP', 'ngi nx', /not a valid/],
    ['DEPLOYMENT_ALT_PORT', '0', /out of range/],
    ['DEPLOYMENT_COLOUR', 'bl ue', /not a valid deployment colour/],
    ['DEPLOYMENT_STARTED_AT', 'yesterday', /ISO-8601/],
    ['DEPLOYMENT_STARTED_AT', '2016-13-01T00:00:00', /valid date/],
    ['DEPLOYMENT_TARGET_INSTANCES', '-1', /out of range/],
    ['DEPLOYMENT_TARGET_INSTANCES', '1.5', /not an integer/],
    ['VHOST', 'a.com b.com', /not a hostname/],
    ['VHOST', 'a.com,', /empty hostname/],
    ['VHOST', 'a..com', /not a hostname/],
    ['VHOST', 'foo.*.com', /not a hostname/],
    ['VHOST', 'a.com"', /not a hostname/],
    ['PATH', 'v1', /neither a path_beg flag/],
    ['PATH', '/a  /b', /repeated spaces/],
    ['PATH', '-i', /no path/],
    ['PATH', '-m reg /x', /neither a path_beg flag/],
    ['PATH', '/a\\b', /safe path/],
    ['PORT', '0', /out of range/],
    ['PORT', '65536', /out of range/],
    ['PORT', '80a', /not a port number/],
    ['PORT', ' 80', /not a port number/],
    ['MODE', 'udp', /not a mode/],
    ['MODE', 'health', /not a mode/],
    ['BALANCE', 'roundrobin leastconn', /not an HAProxy balance algorithm/],
    ['BALANCE', 'weighted', /not an HAProxy balance algorithm/],
    ['BALANCE', 'hdr(a b)', /not an HAProxy balance algorithm/],
    ['BALANCE', 'url_param', /not an HAProxy balance algorithm/],
    ['BALANCE', 'roundrobin\tx', /control character/],
    ['STICKY', '1', /not a boolean/],
    ['STICKY', 'truee', /not a boolean/],
    ['REDIRECT_TO_HTTPS', 'on', /not a boolean/],
    ['USE_HSTS', ' true', /not a boolean/],
    ['ENABLED', 'enabled', /not a boolean/],
    ['SSL_CERT', '/etc/ssl/a.pem crt /b.pem', /single certificate path/],
    ['SSL_CERT', '/a.pem,/b.pem', /single certificate path/],
    ['BIND_ADDR', 'localhost', /not '\*' or an IP/],
    ['BIND_ADDR', '10.0.0.256', /not '\*' or an IP/],
    ['BIND_OPTIONS', 'ssl crt "/x"', /not allowed in bind options/],
    ['BIND_OPTIONS', '   ', /blank/],
    ['BACKEND_WEIGHT', 'heavy', /not an integer/],
    ['BACKEND_WEIGHT', '99999999', /out of range/],
    ['AUTH', 'realm:user', /3 parts/],
    ['AUTH', 'realm:user:pass:extra', /3 parts/],
    ['AUTH', 'my realm:user:hash', /realm/],
    ['AUTH', 'realm::hash', /user/],
    ['HTTP_BACKEND_PROXYPASS_PATH', 'relative', /safe absolute path/],
    ['HTTP_BACKEND_REVPROXY_PATH', '/a b', /safe absolute path/],
    ['HTTP_BACKEND_REDIR', '/x(y)', /safe absolute path/],
    ['BACKEND_NETWORK_ALLOWED_ACL', '10.0.0.0/33', /not an IP address or CIDR/],
    ['BACKEND_NETWORK_ALLOWED_ACL', '10.0.0.0/8,192.168.0.0/16', /not an IP address or CIDR/],
    ['BACKEND_NETWORK_ALLOWED_ACL', 'any', /not an IP address or CIDR/],
    ['BACKEND_HEALTHCHECK_PORT_INDEX', '-1', /out of range/],
  ];
  it.each(bad)('%s rejects %j', (name, raw, reason) => {
    const r = LABELS[name].parse(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  const injections = ['a.com\n  bind :1', 'x # comment', '{', '/a}', 'a\r\nb', '', 'true\n', '/v1 #'];
  const everyLabel = Object.keys(LABELS) as LabelName[];
  it.each(everyLabel.flatMap((name) => injections.map((raw) => [name, raw] as const)))('%s rejects injection %j', (name, raw) => {
    expect(LABELS[name].parse(raw).ok).toBe(false);
  });

  it('names each spec after its key', () => {
    for (const [key, s] of Object.entries(LABELS)) expect(s.name).toBe(key);
  });
});

describe('readLabels', () => {
  it('splits app-level and per-port labels, with defaults left to the table', () => {
    const r = readLabels(
      {
        HAPROXY_GROUP: 'external',
        HAPROXY_1_GROUP: 'internal',
        HAPROXY_0_VHOST: 'a.example.test',
        HAPROXY_1_MODE: 'tcp',
        HAPROXY_DEPLOYMENT_GROUP: 'nginx',
        DCOS_PACKAGE_NAME: 'ignored',
      },
      2,
    );
    expect(r.rejected).toBe(false);
    expect(r.problems).toEqual([]);
    expect(r.app).toEqual({ GROUP: ['external'], DEPLOYMENT_GROUP: 'nginx' });
    expect(r.ports.map((p) => p.index)).toEqual([0, 1]);
    expect(r.ports[0]?.values).toEqual({ VHOST: ['a.example.test'] });
    expect(r.ports[1]?.values).toEqual({ GROUP: ['internal'], MODE: 'tcp' });
    expect(portGroups(r, 0)).toEqual(['external']);
    expect(portGroups(r, 1)).toEqual(['internal']);
    expect(portGroups(readLabels({}, 1), 0)).toEqual([]);
    expect(LABELS.BALANCE.default).toBe('roundrobin');
    expect(LABELS.BIND_ADDR.default).toBe('*');
  });

  const problemCases: [string, Record<string, string>, number, { label: string; kind: string; severity: string }[]][] = [
    ['invalid per-port value rejects', { HAPROXY_0_VHOST: 'a.com\n  bind :1' }, 1, [{ label: 'HAPROXY_0_VHOST', kind: 'invalid', severity: 'reject' }]],
    ['invalid app value rejects', { HAPROXY_GROUP: 'x # comment' }, 1, [{ label: 'HAPROXY_GROUP', kind: 'invalid', severity: 'reject' }]],
    ['unknown label warns', { HAPROXY_0_FOO: 'bar' }, 1, [{ label: 'HAPROXY_0_FOO', kind: 'unknown', severity: 'warning' }]],
    ['unknown app label warns', { HAPROXY_FOO: 'bar' }, 1, [{ label: 'HAPROXY_FOO', kind: 'unknown', severity: 'warning' }]],
    ['per-port label in app form is unknown', { HAPROXY_VHOST: 'a.com' }, 1, [{ label: 'HAPROXY_VHOST', kind: 'unknown', severity: 'warning' }]],
    ['app label in per-port form is unknown', { HAPROXY_0_DEPLOYMENT_GROUP: 'x' }, 1, [{ label: 'HAPROXY_0_DEPLOYMENT_GROUP', kind: 'unknown', severity: 'warning' }]],
    ['template in app form is unknown', { HAPROXY_FRONTEND_HEAD: 'x' }, 1, [{ label: 'HAPROXY_FRONTEND_HEAD', kind: 'unknown', severity: 'warning' }]],
    ['leading-zero index is unknown', { HAPROXY_01_VHOST: 'a.com' }, 2, [{ label: 'HAPROXY_01_VHOST', kind: 'unknown', severity: 'warning' }]],
    ['index beyond the ports warns', { HAPROXY_1_VHOST: 'a.com' }, 1, [{ label: 'HAPROXY_1_VHOST', kind: 'index-out-of-range', severity: 'warning' }]],
    ['any index warns without ports', { HAPROXY_0_MODE: 'http' }, 0, [{ label: 'HAPROXY_0_MODE', kind: 'index-out-of-range', severity: 'warning' }]],
  ];
  it.each(problemCases)('%s', (_title, labels, portCount, expected) => {
    const r = readLabels(labels, portCount);
    expect(r.problems.map(({ label, kind, severity }) => ({ label, kind, severity }))).toEqual(expected);
    expect(r.rejected).toBe(expected.some((p) => p.severity === 'reject'));
    for (const p of r.problems) expect(p.reason).toContain(p.label);
  });

  it('returns per-port template overrides as raw text with CRLF normalised', () => {
    const r = readLabels({ HAPROXY_1_BACKEND_SERVER_OPTIONS: '  server {serverName}\r\n', HAPROXY_0_HTTP_BACKEND_REDIR: '/app' }, 2);
    expect(r.problems).toEqual([]);
    expect(r.ports[1]?.templates).toEqual({ BACKEND_SERVER_OPTIONS: '  server {serverName}\n' });
    expect(r.ports[0]?.templates).toEqual({});
    expect(r.ports[0]?.values).toEqual({ HTTP_BACKEND_REDIR: '/app' });
  });

  it('knows the 39 usable template override labels', () => {
    expect(TEMPLATE_OVERRIDE_NAMES).toHaveLength(39);
    expect(new Set(TEMPLATE_OVERRIDE_NAMES).size).toBe(39);
    expect(TEMPLATE_OVERRIDE_NAMES).not.toContain('HTTP_BACKEND_REDIR');
  });

  interface FixtureApp {
    id: string;
    labels?: Record<string, string>;
    ports?: unknown[] | null;
    portDefinitions?: unknown[] | null;
    ipAddress?: { discovery?: { ports?: unknown[] } } | null;
    container?: { portMappings?: unknown[] | null; docker?: { portMappings?: unknown[] | null } } | null;
  }
  const portCountOf = (a: FixtureApp): number =>
    Math.max(
      a.portDefinitions?.length ?? 0,
      a.ports?.length ?? 0,
      a.container?.portMappings?.length ?? 0,
      a.container?.docker?.portMappings?.length ?? 0,
      a.ipAddress?.discovery?.ports?.length ?? 0,
    );
  const appsOf = (file: string): [string, FixtureApp][] =>
    (JSON.parse(readFileSync(`${FIXTURES}/${file}`, 'utf8')) as { apps: FixtureApp[] }).apps.map((a) => [`${file} ${a.id}`, a]);

  // None of these fixture apps is described as bad in fixtures/marathon-lb/README.md (the legacy-directives apps are
  // valid labels that old HAProxy directives make HAProxy reject, which is not a label problem).
  it.each([
    ...appsOf('synthetic/fake-marathon-apps.json'),
    ...appsOf('upstream/tests/zdd_apps.json'),
    ...appsOf('synthetic/fake-marathon-apps-legacy-directives.json'),
  ])('%s reads without problems', (_title, app) => {
    const r = readLabels(app.labels ?? {}, portCountOf(app));
    expect(r.problems).toEqual([]);
    expect(r.rejected).toBe(false);
  });

  it('reads the fixture values marathon-lb would', () => {
    const [, green] = appsOf('upstream/tests/zdd_apps.json')[0] ?? [];
    const r = readLabels(green?.labels ?? {}, 1);
    expect(r.app.DEPLOYMENT_GROUP).toBe('nginx');
    expect(r.app.DEPLOYMENT_TARGET_INSTANCES).toBe(20);
    expect(r.app.DEPLOYMENT_ALT_PORT).toBe(10001);
    expect(r.ports[0]?.values.PORT).toBe(10000);
    const [, web] = appsOf('synthetic/fake-marathon-apps.json')[0] ?? [];
    const w = readLabels(web?.labels ?? {}, 2);
    expect(w.ports[0]?.values).toMatchObject({ VHOST: ['www.example.test', 'example.test'], REDIRECT_TO_HTTPS: true, STICKY: true, BALANCE: 'leastconn' });
    expect(portGroups(w, 1)).toEqual(['internal']);
  });
});

describe('labelReferenceMarkdown', () => {
  const md = labelReferenceMarkdown();
  it.each(LABEL_LIST.map((s) => [s.name, s] as const))('lists %s', (name, s) => {
    if (s.scope !== 'port') expect(md).toContain(`\`HAPROXY_${name}\``);
    if (s.scope !== 'app') expect(md).toContain(`\`HAPROXY_{n}_${name}\``);
  });
  it('is a table with one row per label plus templates', () => {
    const rows = md.trimEnd().split('\n');
    expect(rows[0]).toBe('| Label | Scope | Default | Description |');
    expect(rows).toHaveLength(2 + LABEL_LIST.length + 1);
    expect(md).toContain('HAPROXY_{n}_<TEMPLATE>');
    for (const t of TEMPLATE_OVERRIDE_NAMES) expect(md).toContain(`\`${t}\``);
    for (const s of LABEL_LIST) expect(s.description.length).toBeGreaterThan(10);
  });
});
