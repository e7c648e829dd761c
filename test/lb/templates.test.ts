// Templates: marathon-lb's str.format syntax translated to Handlebars, placeholders checked against each template's
// spec, and a templates folder overriding the defaults (a bad file keeps the previous good version).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplateSet } from '../../lb/template-files.js';
import { translateFormat } from '../../lb/template-syntax.js';
import { compileTemplate } from '../../lb/templates.js';

describe('marathon-lb template syntax', () => {
  it.each([
    ['backend {backend}', 'backend {{backend}}', ['backend']],
    ['if {{ ssl_fc_sni {hostname} }}', 'if { ssl_fc_sni {{hostname}} }', ['hostname']],
    ['literal {{{{ x', 'literal \\{{ x', []],
    ['{a}{b}{a}', '{{a}}{{b}}{{a}}', ['a', 'b']],
  ])('%j → %j', (text, source, placeholders) => {
    expect(translateFormat(text)).toEqual({ ok: true, source, placeholders });
  });

  it.each([
    ['{backend', /unclosed/],
    ['x } y', /single "}"/],
    ['{healthCheck[path]}', /unsupported placeholder/],
    ['{a:>10}', /unsupported placeholder/],
    ['{}', /empty placeholder/],
  ])('refuses %j', (text, reason) => {
    const t = translateFormat(text);
    expect(t.ok).toBe(false);
    expect(t.ok ? '' : t.reason).toMatch(reason);
  });
});

describe('compileTemplate', () => {
  it('renders what marathon-lb would, for a per-app override label', () => {
    const c = compileTemplate('FRONTEND_HEAD', '\nfrontend {backend}\n  bind {bindAddr}:{servicePort}{sslCert}\n  mode {mode}\n', 'marathon-lb');
    expect(c.ok && c.render({ backend: 'a_1', bindAddr: '*', servicePort: 1, sslCert: '', mode: 'http' })).toBe('\nfrontend a_1\n  bind *:1\n  mode http\n');
  });

  it('keeps literal braces of templates marathon-lb does not format', () => {
    const c = compileTemplate('BACKEND_HTTP_OPTIONS', '  http-request add-header X-Forwarded-Proto https if { ssl_fc }\n  x {{y}}\n', 'marathon-lb');
    expect(c.ok && c.render({})).toBe('  http-request add-header X-Forwarded-Proto https if { ssl_fc }\n  x {{y}}\n');
  });

  it('trims server health-check options and prefixes one space, as marathon-lb does', () => {
    const c = compileTemplate('BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS', '  check inter {healthCheckIntervalSeconds}s\n', 'marathon-lb');
    expect(c.ok && c.render({ healthCheckIntervalSeconds: 3 })).toBe(' check inter 3s');
  });

  it.each([
    ['BACKEND_HEAD', '{{nonsense}}', 'hbs', /unknown placeholder "nonsense"/],
    ['BACKEND_HEAD', '{{> partial}}', 'hbs', /partials/],
    ['BACKEND_HEAD', '{{lookup backend 1}}', 'hbs', /helper call/],
    ['BACKEND_HEAD', '{{#if backend}}x', 'hbs', /not a valid Handlebars template/],
    ['NOT_A_TEMPLATE', 'x', 'hbs', /not a marathon-lb template name/],
  ] as const)('refuses %s %j', (name, text, syntax, reason) => {
    const c = compileTemplate(name, text, syntax);
    expect(c.ok).toBe(false);
    expect(c.ok ? '' : c.reason).toMatch(reason);
  });
});

describe('loadTemplateSet', () => {
  it('overrides defaults from a folder in either syntax, reports bad and stray files, and keeps the previous good version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-tpl-'));
    writeFileSync(join(dir, 'HAPROXY_BACKEND_HEAD'), '\nbackend {backend}\n  balance {balance}\n  mode {mode}\n  # marathon-lb syntax\n');
    writeFileSync(join(dir, 'HAPROXY_FRONTEND_BACKEND_GLUE.hbs'), '  default_backend {{backend}}\n');
    writeFileSync(join(dir, 'README.txt'), 'notes');
    const first = await loadTemplateSet(dir);
    expect(first.problems.map((p) => p.reason)).toEqual([expect.stringMatching(/not a template name/)]);
    expect(first.overridden).toEqual(['BACKEND_HEAD', 'FRONTEND_BACKEND_GLUE']);
    expect(first.set.get('BACKEND_HEAD')?.({ backend: 'b', balance: 'roundrobin', mode: 'tcp' })).toContain('# marathon-lb syntax');
    expect(first.set.get('FRONTEND_BACKEND_GLUE')?.({ backend: 'b' })).toBe('  default_backend b\n');

    writeFileSync(join(dir, 'HAPROXY_BACKEND_HEAD'), '\nbackend {backend} {oops}\n');
    const second = await loadTemplateSet(dir, first.set);
    expect(second.problems.map((p) => p.reason)).toContainEqual(expect.stringMatching(/unknown placeholder "oops".*previous version is kept/));
    expect(second.set.get('BACKEND_HEAD')?.({ backend: 'b', balance: 'x', mode: 'tcp' })).toContain('# marathon-lb syntax');
    const fresh = await loadTemplateSet(dir);
    expect(fresh.set.get('BACKEND_HEAD')?.({ backend: 'b', balance: 'x', mode: 'tcp' })).toBe('\nbackend b\n  balance x\n  mode tcp\n');
  });
});
