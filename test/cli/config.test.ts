// Tests for the configuration loader (cli/config.ts, cli/config-schema.ts). Uses fixtures and temp files under os.tmpdir().
// The load-balancer keys (marathon*, lb) are tested in config-lb.test.ts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig, redactConfig, type Config } from '../../cli/config.js';
import { SwitchyardError } from '../../state-poller/errors.js';
import { pathsOf, problemsOf } from '../helpers/config-problems.js';

const fixtures = fileURLToPath(new URL('../fixtures/mesos-dns/', import.meta.url));
const sample = join(fixtures, 'upstream', 'config.json.sample');
const generatedDir = join(fixtures, 'generated');
const generated = readdirSync(generatedDir).filter((name) => statSync(join(generatedDir, name)).isDirectory());

const MASTER = { masters: ['127.0.0.1:5050'] };

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'switchyard-config-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('fixtures', () => {
  it('loads the upstream mesos-dns sample, warning about ns and zk', async () => {
    const { config, warnings } = await loadConfigFile(sample);
    expect(config.port).toBe(8053);
    expect(config.masters).toEqual(['127.0.0.1:5050']);
    expect(config.zk).toBe('zk://127.0.0.1:2181/mesos');
    expect(config.IPSources).toEqual(['mesos', 'host']);
    expect(config.resolvers).toEqual(['8.8.8.8']);
    expect(config.SOAMname).toBe('ns1.mesos.');
    expect(config.SOARname).toBe('root.ns1.mesos.');
    expect(warnings).toHaveLength(2);
    expect(warnings).toContainEqual(expect.stringMatching(/^.*config\.json\.sample: ns: /));
    expect(warnings).toContainEqual(`${sample}: zk: zk is not supported yet; polling masters`);
  });

  it('has the six generated configs', () => {
    expect(generated).toHaveLength(6);
  });

  it.each(generated)('loads generated/%s/config.json without warnings', async (name) => {
    const { config, warnings } = await loadConfigFile(join(generatedDir, name, 'config.json'));
    expect(warnings).toEqual([]);
    expect(config.masters).toEqual(['127.0.0.1:15050']);
    expect(config.port).toBe(18053);
    expect(config.httpport).toBe(18123);
    expect(config.externalon).toBe(false);
    expect(config.IPSources.length).toBeGreaterThan(0);
    expect(config.EnforceRFC952).toBe(name !== 'default-rfc1123');
  });
});

describe('defaults', () => {
  it('match mesos-dns coded defaults (§1.9), except resolvers = [] and switchyard keys', () => {
    const { config, warnings } = parseConfig(MASTER, 'test.json');
    expect(warnings).toEqual([]);
    expect(config).toEqual({
      zk: '',
      zkDetectionTimeout: 30,
      masters: ['127.0.0.1:5050'],
      refreshSeconds: 60,
      stateTimeoutSeconds: 300,
      ttl: 60,
      srvRecordDefaultWeight: 1,
      domain: 'mesos',
      port: 53,
      listener: '0.0.0.0',
      HTTPListener: '0.0.0.0',
      httpport: 8123,
      dnson: true,
      httpon: true,
      externalon: true,
      resolvers: [],
      zoneResolvers: {},
      timeout: 5,
      recurseon: true,
      SOAMname: 'ns1.mesos.',
      SOARname: 'root.ns1.mesos.',
      SOARefresh: 60,
      SOARetry: 600,
      SOAExpire: 86400,
      SOAMinttl: 60,
      IPSources: ['netinfo', 'mesos', 'host'],
      EnforceRFC952: false,
      SetTruncateBit: true,
      EnumerationOn: true,
      MesosHTTPSOn: false,
      CACertFile: '',
      CertFile: '',
      KeyFile: '',
      mesosAuthentication: '',
      mesosCredentials: { principal: '', secret: '' },
      IAMConfigFile: '',
      stateFile: null,
      legacyDiscoveryNames: true,
      logLevel: 'info',
      readyMaxAgeMultiple: 3,
      marathon: [],
      marathonFile: null,
      marathonCredentials: { principal: '', secret: '' },
      marathonTimeoutSeconds: 46,
      // Every lb default is checked in config-lb.test.ts.
      lb: expect.objectContaining({ groups: ['external'], configFile: '/etc/haproxy/haproxy.cfg' }),
    });
  });

  it('accepts stateFile instead of masters', () => {
    const { config } = parseConfig({ stateFile: '/tmp/state.json' }, 'test.json');
    expect(config.stateFile).toBe('/tmp/state.json');
    expect(config.masters).toEqual([]);
  });
});

describe('normalisation', () => {
  it('lower-cases domain and makes SOA names absolute', () => {
    const { config } = parseConfig(
      { ...MASTER, domain: 'Mesos.Example', SOAMname: 'ns1.mesos.example.', SOARname: 'hostmaster@example.com' },
      'test.json',
    );
    expect(config.domain).toBe('mesos.example');
    expect(config.SOAMname).toBe('ns1.mesos.example.');
    expect(config.SOARname).toBe('hostmaster.example.com.');
  });

  it('keeps masters as given', () => {
    const masters = ['Master-1.Example:5050', '[::1]:5050', '127.0.0.2:5050'];
    expect(parseConfig({ masters }, 'test.json').config.masters).toEqual(masters);
  });
});

describe('key matching', () => {
  it.each([
    ['refreshSeconds', 'refreshSeconds'],
    ['RefreshSeconds', 'refreshSeconds'],
    ['refreshseconds', 'refreshSeconds'],
    ['HttpPort', 'httpport'],
    ['HTTPPORT', 'httpport'],
    ['Port', 'port'],
    ['ipsources', 'IPSources'],
  ] as const)('maps %s to %s', (given, canonical) => {
    const value = canonical === 'IPSources' ? ['host'] : 1234;
    const { config } = parseConfig({ ...MASTER, [given]: value }, 'test.json');
    expect(config[canonical]).toEqual(value);
    if (given !== canonical) expect(Object.keys(config)).not.toContain(given);
  });

  it('maps DnsOn, HttpOn and nested mesosCredentials keys', () => {
    const { config } = parseConfig(
      {
        ...MASTER,
        DnsOn: false,
        HttpOn: true,
        MesosAuthentication: 'basic',
        MesosCredentials: { Principal: 'switchyard', SECRET: 's3cret' },
      },
      'test.json',
    );
    expect(config.dnson).toBe(false);
    expect(config.httpon).toBe(true);
    expect(config.mesosCredentials).toEqual({ principal: 'switchyard', secret: 's3cret' });
  });

  it('reports the same key given twice with different case', () => {
    const problems = problemsOf({ ...MASTER, refreshSeconds: 10, RefreshSeconds: 20 });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('RefreshSeconds');
    expect(problems[0]?.message).toMatch(/same key "refreshSeconds"/);
    expect(pathsOf({ ...MASTER, mesosCredentials: { principal: 'a', Principal: 'b' } })).toEqual([
      'mesosCredentials.Principal',
    ]);
  });

  it('reports unknown keys, suggesting a near spelling', () => {
    const problems = problemsOf({ ...MASTER, refreshSecs: 10, totallyUnknown: true, mesosCredentials: { user: 'x' } });
    expect(problems.map((p) => p.path)).toEqual(['refreshSecs', 'totallyUnknown', 'mesosCredentials.user']);
    expect(problems[0]?.message).toBe('unknown key (did you mean "refreshSeconds"?)');
    expect(problems[1]?.message).toBe('unknown key');
  });

  it('warns about (and ignores) ns and email', () => {
    const { config, warnings } = parseConfig({ ...MASTER, ns: 'ns1', email: 'root.ns1.mesos' }, 'x.json');
    expect(warnings).toEqual([
      'x.json: ns: ignored (mesos-dns ignores this key too)',
      'x.json: email: ignored (mesos-dns ignores this key too)',
    ]);
    expect(Object.keys(config)).not.toContain('ns');
  });
});

describe('validation', () => {
  it('reports every problem at once, one line each as source: path: message', () => {
    const raw = {
      masters: ['127.0.0.1:5050', 'not a master', '127.0.0.1:5050'],
      port: '53',
      httpport: 70000,
      refreshSeconds: 0,
      ttl: -1,
      IPSources: ['host', 'bogus', 'host'],
      dnson: false,
      httpon: false,
      mesosAuthentication: 'kerberos',
      CertFile: '/etc/cert.pem',
      Unknown: 1,
    };
    let caught: unknown;
    try {
      parseConfig(raw, 'bad.json');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect(caught).toBeInstanceOf(SwitchyardError);
    const error = caught as ConfigError;
    expect(error.code).toBe('SWY_CONFIG_INVALID');
    const paths = error.problems.map((p) => p.path);
    for (const path of [
      'Unknown',
      'masters[1]',
      'masters[2]',
      'port',
      'httpport',
      'refreshSeconds',
      'ttl',
      'IPSources[1]',
      'mesosAuthentication',
      'dnson',
      'KeyFile',
    ]) {
      expect(paths).toContain(path);
    }
    const lines = error.message.split('\n');
    expect(lines).toHaveLength(error.problems.length);
    expect(lines).toContain('bad.json: port: must be an integer port from 0 to 65535, got string "53"');
    for (const line of lines) expect(line).toMatch(/^bad\.json: \S+: .+/);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['not-a-number port', { ...MASTER, port: 'fifty-three' }, ['port']],
    ['fractional port', { ...MASTER, port: 53.5 }, ['port']],
    ['masters not a list', { masters: '127.0.0.1:5050' }, ['masters']],
    ['master without port', { masters: ['127.0.0.1'] }, ['masters[0]']],
    ['bare IPv6 master', { masters: ['::1:5050'] }, ['masters[0]']],
    ['bad IPv4 master', { masters: ['999.1.1.1:5050'] }, ['masters[0]']],
    ['master port out of range', { masters: ['a.example:65536'] }, ['masters[0]']],
    ['duplicate masters', { masters: ['m1:5050', 'M1:5050', '[::1]:5050', '[0:0::1]:5050'] }, ['masters[1]', 'masters[3]']],
    ['nothing to serve', {}, ['']],
    ['empty masters', { masters: [] }, ['']],
    ['zk only', { zk: 'zk://127.0.0.1:2181/mesos' }, ['zk']],
    ['zk bad scheme', { ...MASTER, zk: 'http://127.0.0.1:2181/mesos' }, ['zk']],
    ['empty stateFile', { stateFile: '' }, ['stateFile']],
    ['stateTimeoutSeconds 0', { ...MASTER, stateTimeoutSeconds: 0 }, ['stateTimeoutSeconds']],
    ['timeout negative', { ...MASTER, timeout: -5 }, ['timeout']],
    ['ttl negative', { ...MASTER, ttl: -1 }, ['ttl']],
    ['both services off', { ...MASTER, dnson: false, httpon: false }, ['dnson']],
    ['bad domain', { ...MASTER, domain: 'bad_domain!' }, ['domain']],
    ['bad resolvers', { ...MASTER, resolvers: ['127.0.0.53', 'dns.google', '[::1]', '127.0.0.1:0'] }, ['resolvers[1]', 'resolvers[2]', 'resolvers[3]']],
    ['resolver not a string', { ...MASTER, resolvers: [53] }, ['resolvers[0]']],
    ['zone equals domain', { ...MASTER, zoneResolvers: { mesos: ['127.0.0.53'] } }, ['zoneResolvers.mesos']],
    ['zone under domain', { ...MASTER, zoneResolvers: { 'a.mesos': ['127.0.0.53'] } }, ['zoneResolvers["a.mesos"]']],
    ['zone above domain', { ...MASTER, domain: 'dc1.example', zoneResolvers: { example: ['127.0.0.53'] } }, ['zoneResolvers.example']],
    [
      'zones overlap each other',
      { ...MASTER, zoneResolvers: { 'corp.example': ['127.0.0.53'], 'a.corp.example': ['127.0.0.54'] } },
      ['zoneResolvers["a.corp.example"]'],
    ],
    ['zone resolver invalid', { ...MASTER, zoneResolvers: { consul: ['127.0.0.53', 'nope'] } }, ['zoneResolvers.consul[1]']],
    ['zone with no resolvers', { ...MASTER, zoneResolvers: { consul: [] } }, ['zoneResolvers.consul']],
    ['empty IPSources', { ...MASTER, IPSources: [] }, ['IPSources']],
    ['duplicate IPSources', { ...MASTER, IPSources: ['host', 'mesos', 'host'] }, ['IPSources[2]']],
    ['unknown IPSource', { ...MASTER, IPSources: ['netinfo', 'dockerr'] }, ['IPSources[1]']],
    ['bad mesosAuthentication', { ...MASTER, mesosAuthentication: 'Basic' }, ['mesosAuthentication']],
    ['basic without principal', { ...MASTER, mesosAuthentication: 'basic' }, ['mesosCredentials.principal']],
    ['iam without IAMConfigFile', { ...MASTER, mesosAuthentication: 'iam' }, ['IAMConfigFile']],
    ['credentials wrong type', { ...MASTER, mesosCredentials: 'user:pass' }, ['mesosCredentials']],
    ['secret wrong type', { ...MASTER, mesosCredentials: { principal: 'p', secret: 1 } }, ['mesosCredentials.secret']],
    ['CertFile without KeyFile', { ...MASTER, CertFile: '/c.pem' }, ['KeyFile']],
    ['KeyFile without CertFile', { ...MASTER, KeyFile: '/k.pem' }, ['CertFile']],
    ['boolean as string', { ...MASTER, dnson: 'true' }, ['dnson']],
    ['null value', { ...MASTER, ttl: null }, ['ttl']],
    ['bad logLevel', { ...MASTER, logLevel: 'verbose' }, ['logLevel']],
    ['legacyDiscoveryNames wrong type', { ...MASTER, legacyDiscoveryNames: 1 }, ['legacyDiscoveryNames']],
  ])('%s', (_name, raw, expected) => {
    expect(pathsOf(raw)).toEqual(expected);
  });

  it.each<[string, Record<string, unknown>]>([
    ['IPv6 and hostname masters', { masters: ['[2001:db8::1]:5050', 'master.example.com:5050', '127.0.0.1:5050'] }],
    ['resolvers with ports', { ...MASTER, resolvers: ['127.0.0.53', '127.0.0.1:5353', '::1', '[::1]:53'] }],
    ['invalid resolvers when externalon is false', { ...MASTER, externalon: false, resolvers: ['not-an-ip'] }],
    ['disjoint zones', { ...MASTER, zoneResolvers: { consul: ['127.0.0.53'], 'corp.example.': ['[::1]:53'] } }],
    ['basic with principal', { ...MASTER, mesosAuthentication: 'basic', mesosCredentials: { principal: 'p' } }],
    ['cert and key', { ...MASTER, CertFile: '/c.pem', KeyFile: '/k.pem' }],
    ['DNS only', { ...MASTER, httpon: false }],
    ['zk with stateFile', { zk: 'zk://h:2181/mesos', stateFile: '/tmp/state.json' }],
  ])('accepts %s', (_name, raw) => {
    expect(problemsOf(raw)).toEqual([]);
  });

  it('rejects a document that is not an object', () => {
    for (const raw of [null, [], 'config', 42]) {
      const problems = problemsOf(raw);
      expect(problems).toHaveLength(1);
      expect(problems[0]?.path).toBe('');
    }
    expect(() => parseConfig([], 'a.json')).toThrow(/^a\.json: the configuration must be a JSON object, got an array$/);
  });

  it('says what to add when nothing is served', () => {
    const problems = problemsOf({ masters: [], marathon: [] });
    expect(problems).toHaveLength(1);
    for (const key of ['masters', 'stateFile', 'marathon', 'marathonFile']) expect(problems[0]?.message).toContain(key);
  });

  it('explains that ZooKeeper detection is not supported yet', () => {
    expect(problemsOf({ zk: 'zk://127.0.0.1:2181/mesos' })[0]?.message).toMatch(/not supported yet.*masters/);
  });
});

describe('loadConfigFile', () => {
  it('reports a missing file as SWY_CONFIG_UNREADABLE with the cause', async () => {
    const missing = join(tmp, 'missing.json');
    const error: unknown = await loadConfigFile(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SwitchyardError);
    expect((error as SwitchyardError).code).toBe('SWY_CONFIG_UNREADABLE');
    expect((error as SwitchyardError).message).toContain(missing);
    expect((error as SwitchyardError).cause).toMatchObject({ code: 'ENOENT' });
  });

  it('reports invalid JSON as SWY_CONFIG_INVALID naming the file', async () => {
    const file = join(tmp, 'broken.json');
    await writeFile(file, '{"masters": ["127.0.0.1:5050"],,}');
    const error: unknown = await loadConfigFile(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('SWY_CONFIG_INVALID');
    expect((error as ConfigError).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid JSON: `));
    expect((error as ConfigError).cause).toBeInstanceOf(SyntaxError);
  });

  it('reports invalid values with the file as source', async () => {
    const file = join(tmp, 'invalid.json');
    await writeFile(file, JSON.stringify({ masters: ['127.0.0.1:5050'], port: 70000 }));
    await expect(loadConfigFile(file)).rejects.toThrow(`${file}: port: must be an integer port from 0 to 65535`);
  });

  it('loads a valid file with a byte-order mark', async () => {
    const file = join(tmp, 'bom.json');
    await writeFile(file, `\uFEFF${JSON.stringify(MASTER)}`);
    expect((await loadConfigFile(file)).config.masters).toEqual(MASTER.masters);
  });
});

describe('immutability and redaction', () => {
  const credentials = { mesosAuthentication: 'basic', mesosCredentials: { principal: 'sy', secret: 'hunter2' } };

  it('returns a deeply frozen config', () => {
    const { config } = parseConfig({ ...MASTER, ...credentials, zoneResolvers: { consul: ['127.0.0.53'] } }, 't.json');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.masters)).toBe(true);
    expect(Object.isFrozen(config.mesosCredentials)).toBe(true);
    expect(Object.isFrozen(config.zoneResolvers.consul)).toBe(true);
    // ES modules run in strict mode, so writes to frozen objects throw.
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.masters as string[]).push('127.0.0.2:5050');
    }).toThrow(TypeError);
    expect(() => {
      (config.mesosCredentials as { secret: string }).secret = '';
    }).toThrow(TypeError);
  });

  it('redactConfig hides a non-empty secret in a mutable copy', () => {
    const { config } = parseConfig({ ...MASTER, ...credentials }, 't.json');
    const redacted = redactConfig(config);
    expect(redacted.mesosCredentials).toEqual({ principal: 'sy', secret: '[redacted]' });
    expect(redacted.masters).toEqual(MASTER.masters);
    expect(JSON.stringify(redacted)).not.toContain('hunter2');
    expect(Object.isFrozen(redacted)).toBe(false);
    expect(config.mesosCredentials.secret).toBe('hunter2');
  });

  it('redactConfig leaves an empty secret empty', () => {
    const { config }: { config: Config } = parseConfig(MASTER, 't.json');
    expect(redactConfig(config).mesosCredentials).toEqual({ principal: '', secret: '' });
  });
});
