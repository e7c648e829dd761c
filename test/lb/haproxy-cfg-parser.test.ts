// The HAProxy config parser used to compare generated configs with marathon-lb's golden ones by meaning.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findSection, parseHaproxyConfig, routingOf, tokenize, type HaproxyConfig } from '../helpers/haproxy-cfg.js';

const generated = new URL('../fixtures/marathon-lb/generated/', import.meta.url);
const read = (file: string): string => readFileSync(new URL(file, generated), 'utf8');
const cfgFiles = readdirSync(generated)
  .filter((f) => f.endsWith('.cfg'))
  .sort();

const HEALTH_CHECK = 'combined.group-external.health-check.haproxy.cfg';
const MAP = 'combined.group-external.haproxy-map.haproxy.cfg';

/** Deterministic shuffle (mulberry32), so a failure can be reproduced from its seed. */
function shuffle<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Rewrites the text: backend sections moved among themselves, server lines shuffled inside each backend. */
function shuffleBackendsAndServers(text: string, seed: number): string {
  const blocks: string[][] = [];
  for (const line of text.split('\n')) {
    if (/^\S/.test(line) || blocks.length === 0) blocks.push([line]);
    else blocks.at(-1)?.push(line);
  }
  const isBackend = (block: string[]): boolean => (block[0] ?? '').startsWith('backend ');
  const shuffledBackends = shuffle(blocks.filter(isBackend), seed).map((block, n) => {
    const [header = '', ...body] = block;
    const servers = shuffle(
      body.filter((l) => l.trim().startsWith('server ')),
      seed + n + 1,
    );
    return [header, ...body.map((l) => (l.trim().startsWith('server ') ? (servers.shift() ?? l) : l))];
  });
  return blocks.map((block) => (isBackend(block) ? (shuffledBackends.shift() ?? block) : block)).flat().join('\n');
}

describe('tokenize / parseHaproxyConfig', () => {
  it('drops comments, collapses whitespace, and keeps quoted and escaped words whole', () => {
    expect(tokenize('  option  httpchk\tGET /ping   # trailing comment')).toEqual(['option', 'httpchk', 'GET', '/ping']);
    expect(tokenize('# whole-line comment')).toEqual([]);
    expect(tokenize('http-request auth realm "my realm" if x')).toEqual(['http-request', 'auth', 'realm', '"my realm"', 'if', 'x']);
    expect(tokenize('rspadd  Strict-Transport-Security:\\ max-age=1 a#b')).toEqual([
      'rspadd',
      'Strict-Transport-Security:\\ max-age=1',
      'a#b',
    ]);
  });

  it('splits sections and rejects directives before the first section', () => {
    const config = parseHaproxyConfig('global\n  maxconn 1 # c\n\n# note\nbackend b\n  server s 1.2.3.4:5 id 7  check\n');
    expect(config.sections).toEqual([
      { kind: 'global', name: '', lines: ['maxconn 1'] },
      { kind: 'backend', name: 'b', lines: ['server s 1.2.3.4:5 id 7 check'] },
    ]);
    expect(() => parseHaproxyConfig('maxconn 1\nglobal\n')).toThrow(/outside any section/);
  });

  it('expands conditions: or, unless, negated multi-definition ACLs', () => {
    const frontend = routingOf(
      parseHaproxyConfig(
        [
          'frontend f',
          '  acl h hdr(host) -i b.test',
          '  acl h hdr(host) -i a.test',
          '  acl p path_beg /x',
          '  use_backend one if h p or { ssl_fc_sni c.test }',
          '  use_backend two unless h',
          '  use_backend three if !h TRUE',
          '  default_backend four',
        ].join('\n'),
      ),
    ).frontends['f'];
    expect(frontend?.acls).toEqual({ h: ['hdr(host) -i a.test', 'hdr(host) -i b.test'], p: ['path_beg /x'] });
    expect(frontend?.useBackend).toEqual([
      {
        backend: 'one',
        when: [['hdr(host) -i a.test', 'path_beg /x'], ['hdr(host) -i b.test', 'path_beg /x'], ['ssl_fc_sni c.test']],
      },
      { backend: 'two', when: [['!hdr(host) -i a.test', '!hdr(host) -i b.test']] },
      { backend: 'three', when: [['!hdr(host) -i a.test', '!hdr(host) -i b.test', 'TRUE']] },
    ]);
    expect(frontend?.defaultBackend).toBe('four');
  });
});

describe.each(cfgFiles)('%s', (file) => {
  const config = parseHaproxyConfig(read(file));
  const routing = routingOf(config);

  it('parses into sections starting with global and defaults', () => {
    expect(config.sections.map((s) => s.kind).slice(0, 2)).toEqual(['global', 'defaults']);
    expect(Object.keys(routing.backends).length).toBeGreaterThan(0);
    for (const section of config.sections) for (const line of section.lines) expect(line).not.toMatch(/\s\s|^\s|\s$/);
  });

  it('routes only to backends that exist, and every backend has a mode and servers', () => {
    for (const frontend of Object.values(routing.frontends)) {
      for (const rule of frontend.useBackend) if (rule.map === undefined) expect(routing.backends).toHaveProperty([rule.backend]);
    }
    for (const backend of Object.values(routing.backends)) {
      expect(backend.mode).toMatch(/^(http|tcp)$/);
      expect(backend.servers.length).toBeGreaterThan(0);
    }
  });
});

describe(HEALTH_CHECK, () => {
  const routing = routingOf(parseHaproxyConfig(read(HEALTH_CHECK)));
  const http = routing.frontends['marathon_http_in'];
  const https = routing.frontends['marathon_https_in'];

  it('has the expected frontends and backends', () => {
    expect(Object.keys(routing.frontends).sort()).toEqual([
      'api_v1_10020',
      'ippt_app_10099',
      'marathon_http_appid_in',
      'marathon_http_in',
      'marathon_https_in',
      'nginx_10000',
      'pywebserver_10101',
      'tcp_redis_16379',
      'web_frontend_10010',
    ]);
    expect(Object.keys(routing.backends).sort()).toEqual([
      'api_v1_10020',
      'ippt_app_10099',
      'nginx_10000',
      'pywebserver_10101',
      'tcp_redis_16379',
      'web_frontend_10010',
    ]);
    expect(Object.keys(routing.listens)).toEqual(['stats']);
    expect(routing.listens['stats']?.binds).toEqual([{ address: '0.0.0.0:9090', options: '' }]);
  });

  it('marathon_http_in: binds *:80 and routes vhosts (with path) in order', () => {
    expect(http?.binds).toEqual([{ address: '*:80', options: '' }]);
    expect(http?.mode).toBe('http');
    expect(http?.acls['host_www_example_test_web_frontend']).toEqual(['hdr(host) -i example.test', 'hdr(host) -i www.example.test']);
    expect(http?.useBackend).toEqual([
      { backend: 'api_v1_10020', when: [['hdr(host) -i api.example.test', 'path_beg /v1']] },
      { backend: 'ippt_app_10099', when: [['hdr(host) -i ippt.example.test']] },
      { backend: 'pywebserver_10101', when: [['hdr(host) -i myvhost.com']] },
    ]);
    expect(http?.redirects).toEqual([
      {
        redirect: 'scheme https code 301',
        when: [
          ['!ssl_fc', 'hdr(host) -i example.test'],
          ['!ssl_fc', 'hdr(host) -i www.example.test'],
        ],
      },
    ]);
  });

  it('marathon_https_in: binds *:443 with the certificate and routes by SNI', () => {
    expect(https?.binds).toEqual([{ address: '*:443', options: 'ssl crt /etc/ssl/cert.pem' }]);
    expect(https?.useBackend).toEqual([
      { backend: 'api_v1_10020', when: [['path_beg /v1', 'ssl_fc_sni api.example.test']] },
      { backend: 'ippt_app_10099', when: [['ssl_fc_sni ippt.example.test']] },
      { backend: 'pywebserver_10101', when: [['ssl_fc_sni myvhost.com']] },
      { backend: 'web_frontend_10010', when: [['ssl_fc_sni www.example.test']] },
      { backend: 'web_frontend_10010', when: [['ssl_fc_sni example.test']] },
    ]);
  });

  it('per-app frontends bind the service port and always use their backend', () => {
    expect(routing.frontends['tcp_redis_16379']).toMatchObject({
      binds: [{ address: '127.0.0.1:16379', options: '' }],
      mode: 'tcp',
      useBackend: [{ backend: 'tcp_redis_16379', when: [[]] }],
    });
    expect(routing.frontends['marathon_http_appid_in']?.useBackend[0]).toEqual({
      backend: 'api_v1_10020',
      when: [['hdr(x-marathon-app-id) -i /api/v1']],
    });
  });

  it('web_frontend_10010: leastconn, sticky cookie, HTTP checks with per-server cookies', () => {
    const web = routing.backends['web_frontend_10010'];
    expect(web?.balance).toBe('leastconn');
    expect(web?.mode).toBe('http');
    expect(web?.cookie).toBe('mesosphere_server_id insert indirect nocache');
    expect(web?.cookie).toMatch(/ insert /);
    expect(web?.httpchk).toBe('GET /health');
    expect(web?.timeoutCheck).toBe('3s');
    expect(web?.servers).toEqual([
      { name: '10_1_0_11_31001', address: '10.1.0.11:31001', id: 29298, options: 'check cookie 4b1e34a24d check inter 5s fall 3' },
      { name: '10_1_0_12_31003', address: '10.1.0.12:31003', id: 16529, options: 'check cookie 97dfa3a808 check inter 5s fall 3' },
    ]);
    expect(web?.serverAddresses).toEqual(['10.1.0.11:31001', '10.1.0.12:31003']);
    expect(web?.httpRequest).toEqual([
      { action: 'set-header X-Forwarded-Port %[dst_port]', when: [[]] },
      { action: 'add-header X-Forwarded-Proto https', when: [['ssl_fc']] },
    ]);
    expect(web?.other).toEqual(['option forwardfor']);
  });

  it('nginx_10000: one disabled server of four', () => {
    const nginx = routing.backends['nginx_10000'];
    expect(nginx?.servers).toHaveLength(4);
    expect(nginx?.servers.filter((s) => s.options.split(' ').includes('disabled'))).toEqual([
      { name: '10_0_6_25_31184', address: '10.0.6.25:31184', id: 27565, options: 'check inter 3s fall 11 disabled' },
    ]);
    expect(nginx?.httpchk).toBe('GET /');
    expect(nginx?.timeoutCheck).toBe('15s');
  });

  it('tcp_redis_16379: tcp mode, network ACL accept then reject', () => {
    const redis = routing.backends['tcp_redis_16379'];
    expect(redis?.mode).toBe('tcp');
    expect(redis?.tcpRequest).toEqual([
      { action: 'content accept', when: [['src 127.0.0.0/8']] },
      { action: 'content reject', when: [[]] },
    ]);
    expect(redis?.httpchk).toBeNull();
    expect(redis?.servers.map((s) => s.options)).toEqual(['check inter 4s fall 6']);
  });

  it('api_v1_10020: allows two networks, then denies', () => {
    expect(routing.backends['api_v1_10020']?.httpRequest.slice(2)).toEqual([
      { action: 'allow', when: [['src 10.0.0.0/8'], ['src 192.168.0.0/16']] },
      { action: 'deny', when: [[]] },
    ]);
  });
});

describe(MAP, () => {
  const routing = routingOf(parseHaproxyConfig(read(MAP)));

  it('parses the map(...) use_backend lines after the static ones', () => {
    expect(routing.frontends['marathon_http_in']?.useBackend).toEqual([
      { backend: 'api_v1_10020', when: [['hdr(host) -i api.example.test', 'path_beg /v1']] },
      {
        backend: '%[req.hdr(host),lower,regsub(:.*$,,),map(/etc/haproxy/domain2backend.map)]',
        when: [[]],
        map: { converter: 'map', key: 'req.hdr(host),lower,regsub(:.*$,,)', file: '/etc/haproxy/domain2backend.map', default: null },
      },
    ]);
    expect(routing.frontends['marathon_http_appid_in']?.useBackend.map((r) => r.map)).toEqual([
      { converter: 'map', key: 'req.hdr(x-marathon-app-id),lower', file: '/etc/haproxy/app2backend.map', default: null },
    ]);
    expect(routing.frontends['marathon_https_in']?.useBackend.map((r) => r.map?.key ?? r.backend)).toEqual([
      'api_v1_10020',
      'ssl_fc_sni,lower',
    ]);
  });

  it('the map files only name backends the config defines', () => {
    for (const suffix of ['domain2backend.map', 'app2backend.map']) {
      const entries = read(MAP.replace('haproxy.cfg', suffix)).split('\n').filter(Boolean);
      expect(entries.length).toBeGreaterThan(0);
      for (const entry of entries) expect(routing.backends).toHaveProperty([entry.split(' ')[1] ?? '']);
    }
  });
});

describe('legacy-directives.rejected-by-haproxy-2.6.haproxy.cfg', () => {
  const routing = routingOf(parseHaproxyConfig(read('legacy-directives.rejected-by-haproxy-2.6.haproxy.cfg')));

  it('resolves auth rules to their userlist and keeps legacy directives in order', () => {
    expect(routing.userlists).toEqual({
      user_legacy_proxypass_10061: ['user admin password $5$saltsalt$0123456789abcdefghijklmnopqrstuvwxyzABCDE'],
    });
    expect(routing.frontends['marathon_http_in']?.auth).toEqual([
      {
        realm: 'myrealm',
        userlists: ['user_legacy_proxypass_10061'],
        when: [['!http_auth(user_legacy_proxypass_10061)', 'hdr(host) -i legacy.example.test']],
      },
    ]);
    expect(routing.frontends['marathon_https_in']?.auth[0]?.when).toEqual([
      ['!http_auth(user_legacy_proxypass_10061)', 'ssl_fc_sni legacy.example.test'],
    ]);
    expect(routing.backends['legacy_proxypass_10061']?.other).toEqual([
      'rspadd Strict-Transport-Security:\\ max-age=15768000',
      'option forwardfor',
      'reqirep "^([^ :]*)\\ /legacy/?(.*)" "\\1\\ /\\2"',
    ]);
  });
});

describe('comparing routing views', () => {
  const text = read(HEALTH_CHECK);
  const routing = routingOf(parseHaproxyConfig(text));
  const changed = (from: string, to: string): HaproxyConfig => {
    expect(text).toContain(from);
    return parseHaproxyConfig(text.replace(from, to));
  };

  it.each([1, 2, 3, 42])('is unchanged by shuffling backend sections and server lines (seed %i)', (seed) => {
    const shuffled = shuffleBackendsAndServers(text, seed);
    expect(shuffled).not.toBe(text);
    const config = parseHaproxyConfig(shuffled);
    expect(config.sections.map((s) => `${s.kind} ${s.name}`)).not.toEqual(parseHaproxyConfig(text).sections.map((s) => `${s.kind} ${s.name}`));
    // Server lines per backend (backends in name order) must also have moved, or the test proves less than it says.
    const serverLines = (c: HaproxyConfig): string[] =>
      c.sections
        .filter((s) => s.kind === 'backend')
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .flatMap((s) => s.lines.filter((l) => l.startsWith('server ')));
    expect(serverLines(config)).not.toEqual(serverLines(parseHaproxyConfig(text)));
    expect(routingOf(config)).toEqual(routing);
  });

  it('is unchanged by reordering definitions of one ACL name or by extra whitespace and comments', () => {
    const swapped = text.replace(
      '  acl host_www_example_test_web_frontend hdr(host) -i www.example.test\n  acl host_www_example_test_web_frontend hdr(host) -i example.test\n',
      '  acl host_www_example_test_web_frontend hdr(host) -i example.test   # apex\n  acl host_www_example_test_web_frontend   hdr(host) -i www.example.test\n',
    );
    expect(swapped).not.toBe(text);
    expect(routingOf(parseHaproxyConfig(swapped))).toEqual(routing);
  });

  it('differs when one server port changes', () => {
    expect(routingOf(changed('10.1.0.21:31100', '10.1.0.21:31199'))).not.toEqual(routing);
  });

  it('differs when one ACL host changes', () => {
    expect(routingOf(changed('hdr(host) -i api.example.test', 'hdr(host) -i api2.example.test'))).not.toEqual(routing);
  });

  it('differs when two use_backend rules swap, since the first match wins', () => {
    const a = '  use_backend ippt_app_10099 if { ssl_fc_sni ippt.example.test }\n';
    const b = '  use_backend pywebserver_10101 if { ssl_fc_sni myvhost.com }\n';
    expect(routingOf(changed(a + b, b + a))).not.toEqual(routing);
  });

  it('differs when a check setting or the balance changes', () => {
    expect(routingOf(changed('timeout check 15s', 'timeout check 16s'))).not.toEqual(routing);
    expect(routingOf(changed('balance leastconn', 'balance roundrobin'))).not.toEqual(routing);
  });
});

describe('findSection', () => {
  it('finds sections by kind and name', () => {
    const config = parseHaproxyConfig(read(HEALTH_CHECK));
    expect(findSection(config, 'backend', 'nginx_10000')?.lines).toContain('option httpchk GET /');
    expect(findSection(config, 'global')?.lines[0]).toBe('log 127.0.0.1:5140 local0');
    expect(findSection(config, 'frontend', 'nope')).toBeUndefined();
  });
});
