// Tests for the `lb` section of the configuration (cli/config-schema-lb.ts, cli/config-validate-lb.ts) and the README
// table of the load-balancer keys. Pure, apart from reading README.md. The Marathon keys are in config-marathon.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configHalves, parseConfig, type LbConfig } from '../../cli/config.js';
import { lbHaproxyShape, lbShape, marathonCredentialsShape, marathonShape } from '../../cli/config-schema-lb.js';
import { configShape } from '../../cli/config-schema.js';
import { pathsOf, problemsOf } from '../helpers/config-problems.js';

const MARATHON = { marathon: ['http://marathon.mesos:8080'] };
const MASTER = { masters: ['127.0.0.1:5050'] };


const lbOf = (lb: Record<string, unknown>): LbConfig => parseConfig({ ...MARATHON, lb }, 'test.json').config.lb;

const LB_DEFAULTS = {
  groups: ['external'],
  healthCheck: false,
  strictMode: false,
  frameworkName: null,
  sse: true,
  resyncSeconds: 300,
  eventMinIntervalMs: 200,
  eventMaxDelayMs: 1000,
  maxBackoffSeconds: 300,
  templatesDir: null,
  configFile: '/etc/haproxy/haproxy.cfg',
  haproxyMap: false,
  bindAddress: '*',
  httpPort: 80,
  httpsPort: 443,
  statsPort: 9090,
  appIdPort: 9091,
  bindHttpHttps: true,
  groupHttpsByVhost: false,
  sslCerts: ['/etc/ssl/cert.pem'],
  minServPortIpPerTask: 10050,
  maxServPortIpPerTask: 10100,
  globalDefaultOptions: ['redispatch', 'http-server-close', 'dontlognull', 'idle-close-on-response'],
  statsSocket: '/var/run/haproxy/socket',
  syslogSocket: '/dev/log',
  maxconn: 50000,
  skipValidation: false,
  reloadCommand: null,
  reloadTimeoutSeconds: 30,
  runtimeApi: true,
  minReloadIntervalMs: 1000,
  haproxy: { binary: 'haproxy', manage: false, hardStopAfterSeconds: 60, masterSocket: null },
};

describe('defaults', () => {
  it('gives every lb key its default when lb is absent, and with lb: {}', () => {
    const { config, warnings } = parseConfig(MARATHON, 'test.json');
    expect(warnings).toEqual([]);
    expect(config.lb).toEqual(LB_DEFAULTS);
    expect(parseConfig(MASTER, 'test.json').config.lb).toEqual(LB_DEFAULTS);
    expect(lbOf({})).toEqual(LB_DEFAULTS);
    expect(lbOf({ haproxy: {} }).haproxy).toEqual(LB_DEFAULTS.haproxy);
  });

  it('has no two keys that differ only in case, at any level', () => {
    for (const shape of [configShape, lbShape, lbHaproxyShape, marathonCredentialsShape]) {
      const lower = Object.keys(shape).map((k) => k.toLowerCase());
      expect(new Set(lower).size).toBe(lower.length);
    }
  });
});

describe('lb keys', () => {
  it('matches lb and lb.haproxy keys case-insensitively', () => {
    const { config } = parseConfig(
      { ...MARATHON, LB: { HttpPort: 8080, HAPROXYMAP: true, sslcerts: ['/c.pem'], Haproxy: { BINARY: '/usr/sbin/haproxy' } } },
      't.json',
    );
    expect(config.lb.httpPort).toBe(8080);
    expect(config.lb.haproxyMap).toBe(true);
    expect(config.lb.sslCerts).toEqual(['/c.pem']);
    expect(config.lb.haproxy.binary).toBe('/usr/sbin/haproxy');
    expect(Object.keys(config.lb)).not.toContain('HttpPort');
  });

  it('reports unknown lb keys with a near spelling, and a key given twice', () => {
    const problems = problemsOf({
      ...MARATHON,
      lb: { htpPort: 1, bogus: true, haproxy: { binry: 'x' }, statsPort: 1, STATSPORT: 2 },
    });
    expect(problems.map((p) => p.path)).toEqual(['lb.htpPort', 'lb.bogus', 'lb.STATSPORT', 'lb.haproxy.binry']);
    expect(problems[0]?.message).toBe('unknown key (did you mean "httpPort"?)');
    expect(problems[1]?.message).toBe('unknown key');
    expect(problems[2]?.message).toMatch(/same key "statsPort"/);
    expect(problems[3]?.message).toBe('unknown key (did you mean "binary"?)');
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['lb not an object', { lb: 'external' }, ['lb']],
    ['lb null', { lb: null }, ['lb']],
    ['lb.haproxy not an object', { lb: { haproxy: 'haproxy' } }, ['lb.haproxy']],
    ['empty haproxy binary', { lb: { haproxy: { binary: '' } } }, ['lb.haproxy.binary']],
    ['no groups', { lb: { groups: [] } }, ['lb.groups']],
    ['group with a comma', { lb: { groups: ['external', 'a,b'] } }, ['lb.groups[1]']],
    ['group with a space', { lb: { groups: ['in ternal'] } }, ['lb.groups[0]']],
    ['empty group', { lb: { groups: [''] } }, ['lb.groups[0]']],
    ['duplicate group', { lb: { groups: ['external', 'external'] } }, ['lb.groups[1]']],
    ['groups as a string', { lb: { groups: 'external' } }, ['lb.groups']],
    ['healthCheck as a string', { lb: { healthCheck: 'true' } }, ['lb.healthCheck']],
    ['strictMode as a number', { lb: { strictMode: 1 } }, ['lb.strictMode']],
    ['sse null', { lb: { sse: null } }, ['lb.sse']],
    ['resyncSeconds 0', { lb: { resyncSeconds: 0 } }, ['lb.resyncSeconds']],
    ['eventMinIntervalMs negative', { lb: { eventMinIntervalMs: -1 } }, ['lb.eventMinIntervalMs']],
    ['eventMaxDelayMs below the interval', { lb: { eventMinIntervalMs: 500, eventMaxDelayMs: 100 } }, ['lb.eventMaxDelayMs']],
    ['maxBackoffSeconds 0', { lb: { maxBackoffSeconds: 0 } }, ['lb.maxBackoffSeconds']],
    ['empty templatesDir', { lb: { templatesDir: '' } }, ['lb.templatesDir']],
    ['empty configFile', { lb: { configFile: '' } }, ['lb.configFile']],
    ['configFile null', { lb: { configFile: null } }, ['lb.configFile']],
    ['haproxyMap as a string', { lb: { haproxyMap: 'yes' } }, ['lb.haproxyMap']],
    ['bindAddress a hostname', { lb: { bindAddress: 'localhost' } }, ['lb.bindAddress']],
    ['bindAddress with a port', { lb: { bindAddress: '127.0.0.1:80' } }, ['lb.bindAddress']],
    ['httpPort 0', { lb: { httpPort: 0 } }, ['lb.httpPort']],
    ['httpsPort too big', { lb: { httpsPort: 65536 } }, ['lb.httpsPort']],
    ['statsPort as a string', { lb: { statsPort: '9090' } }, ['lb.statsPort']],
    ['appIdPort fractional', { lb: { appIdPort: 9091.5 } }, ['lb.appIdPort']],
    ['bound ports clash', { lb: { httpsPort: 80, appIdPort: 9090 } }, ['lb.httpsPort', 'lb.appIdPort']],
    ['no certificates', { lb: { sslCerts: [] } }, ['lb.sslCerts']],
    ['certificate with a space', { lb: { sslCerts: ['/etc/ssl/a.pem', '/etc/ssl/my cert.pem'] } }, ['lb.sslCerts[1]']],
    ['certificates as a comma list', { lb: { sslCerts: '/a.pem,/b.pem' } }, ['lb.sslCerts']],
    ['bindHttpHttps as a string', { lb: { bindHttpHttps: 'false' } }, ['lb.bindHttpHttps']],
    ['groupHttpsByVhost as a number', { lb: { groupHttpsByVhost: 0 } }, ['lb.groupHttpsByVhost']],
    ['skipValidation null', { lb: { skipValidation: null } }, ['lb.skipValidation']],
    ['service port range reversed', { lb: { minServPortIpPerTask: 10100, maxServPortIpPerTask: 10050 } }, ['lb.maxServPortIpPerTask']],
    ['service port bound too big', { lb: { maxServPortIpPerTask: 70000 } }, ['lb.maxServPortIpPerTask']],
    ['only the lower bound 0', { lb: { minServPortIpPerTask: 0 } }, ['lb.minServPortIpPerTask']],
    ['only the upper bound 0', { lb: { maxServPortIpPerTask: 0 } }, ['lb.maxServPortIpPerTask']],
    ['upper-case option', { lb: { globalDefaultOptions: ['redispatch', 'DontLogNull'] } }, ['lb.globalDefaultOptions[1]']],
    ['option with a space', { lb: { globalDefaultOptions: ['http-server-close dontlognull'] } }, ['lb.globalDefaultOptions[0]']],
    ['duplicate option', { lb: { globalDefaultOptions: ['redispatch', 'redispatch'] } }, ['lb.globalDefaultOptions[1]']],
    ['empty frameworkName', { lb: { frameworkName: '' } }, ['lb.frameworkName']],
    ['frameworkName with a space', { lb: { frameworkName: 'marathon lb' } }, ['lb.frameworkName']],
    ['statsSocket with a newline', { lb: { statsSocket: '/run/haproxy.sock\nuser root' } }, ['lb.statsSocket']],
    ['reloadCommand as a string', { lb: { reloadCommand: 'systemctl reload haproxy' } }, ['lb.reloadCommand']],
    ['empty reloadCommand', { lb: { reloadCommand: [] } }, ['lb.reloadCommand']],
    ['reloadCommand with an empty argument', { lb: { reloadCommand: ['systemctl', ''] } }, ['lb.reloadCommand[1]']],
    ['reloadTimeoutSeconds 0', { lb: { reloadTimeoutSeconds: 0 } }, ['lb.reloadTimeoutSeconds']],
  ])('%s', (_name, raw, expected) => {
    expect(pathsOf({ ...MARATHON, ...raw })).toEqual(expected);
  });

  it.each<[string, Record<string, unknown>]>([
    ['all groups', { groups: ['*'] }],
    ['IPv4 and IPv6 bind addresses', { bindAddress: '10.0.0.5' }],
    ['an IPv6 bind address', { bindAddress: '::' }],
    ['auto-assignment disabled', { minServPortIpPerTask: 0, maxServPortIpPerTask: 0 }],
    ['a one-port range', { minServPortIpPerTask: 10050, maxServPortIpPerTask: 10050 }],
    ['no global default options', { globalDefaultOptions: [] }],
    ['equal event delays', { eventMinIntervalMs: 0, eventMaxDelayMs: 0 }],
    ['shared ports clashing with unbound :80/:443', { bindHttpHttps: false, httpPort: 9090, httpsPort: 9091 }],
    ['a reload command', { reloadCommand: ['systemctl', 'reload', 'haproxy'], reloadTimeoutSeconds: 5 }],
  ])('accepts %s', (_name, lb) => {
    expect(problemsOf({ ...MARATHON, lb })).toEqual([]);
  });

  it('reports every problem of one file together, top level and lb alike', () => {
    const problems = problemsOf({
      marathon: ['http://m1:8080', 'ftp://m2'],
      marathonFile: '',
      marathonCredentials: { secret: 'hunter2' },
      port: 'fifty-three',
      lb: {
        groups: [],
        httpPort: 0,
        sslCerts: ['a b'],
        eventMinIntervalMs: 10,
        eventMaxDelayMs: 5,
        minServPortIpPerTask: 200,
        maxServPortIpPerTask: 100,
        haproxy: { binary: 7 },
        Unknown: 1,
      },
    });
    const paths = problems.map((p) => p.path);
    for (const path of [
      'marathon[1]',
      'marathonFile',
      'marathonCredentials.principal',
      'port',
      'lb.Unknown',
      'lb.groups',
      'lb.httpPort',
      'lb.sslCerts[0]',
      'lb.eventMaxDelayMs',
      'lb.maxServPortIpPerTask',
      'lb.haproxy.binary',
    ]) {
      expect(paths).toContain(path);
    }
    expect(new Set(paths).size).toBe(paths.length);
    let message = '';
    try {
      parseConfig({ ...MARATHON, lb: { httpPort: 0, haproxy: { binary: 7 } } }, 'bad.json');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'bad.json: lb.httpPort: must be an integer port from 1 to 65535',
      'bad.json: lb.haproxy.binary: must be a non-empty string, got 7',
    ]);
  });
});

describe('a marathon-lb-style config', () => {
  it('is accepted, frozen, and keeps what it says', () => {
    const { config, warnings } = parseConfig(
      {
        marathon: ['http://marathon-1.mesos:8080', 'http://marathon-2.mesos:8080/'],
        marathonCredentials: { principal: 'marathon-lb', secret: 'hunter2' },
        lb: {
          groups: ['external', 'internal'],
          haproxyMap: true,
          healthCheck: true,
          strictMode: true,
          bindAddress: '0.0.0.0',
          httpPort: 8080,
          httpsPort: 8443,
          statsPort: 9090,
          appIdPort: 9091,
          sslCerts: ['/etc/ssl/site-a.pem', '/etc/ssl/site-b.pem'],
          groupHttpsByVhost: true,
          configFile: 'run/haproxy.cfg',
          templatesDir: 'templates',
          frameworkName: 'marathon-lb',
          maxBackoffSeconds: 60,
          reloadCommand: ['systemctl', 'reload', 'haproxy'],
          haproxy: { binary: '/usr/sbin/haproxy' },
        },
      },
      'mlb.json',
    );
    expect(warnings).toEqual([]);
    expect(configHalves(config)).toEqual({ dns: false, lb: true });
    expect(config.lb).toEqual({
      ...LB_DEFAULTS,
      groups: ['external', 'internal'],
      haproxyMap: true,
      healthCheck: true,
      strictMode: true,
      bindAddress: '0.0.0.0',
      httpPort: 8080,
      httpsPort: 8443,
      sslCerts: ['/etc/ssl/site-a.pem', '/etc/ssl/site-b.pem'],
      groupHttpsByVhost: true,
      configFile: 'run/haproxy.cfg',
      templatesDir: 'templates',
      frameworkName: 'marathon-lb',
      maxBackoffSeconds: 60,
      reloadCommand: ['systemctl', 'reload', 'haproxy'],
      haproxy: { ...LB_DEFAULTS.haproxy, binary: '/usr/sbin/haproxy' },
    });
    for (const part of [config.lb, config.lb.groups, config.lb.haproxy, config.lb.reloadCommand, config.marathon]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
    expect(() => {
      (config.lb as { httpPort: number }).httpPort = 1;
    }).toThrow(TypeError);
  });
});

describe('managed HAProxy', () => {
  it('takes the lb.haproxy keys, and refuses a reload command beside a managed HAProxy', () => {
    expect(lbOf({ haproxy: { manage: true, hardStopAfterSeconds: 5, masterSocket: '/run/m.sock' } }).haproxy).toEqual({
      binary: 'haproxy',
      manage: true,
      hardStopAfterSeconds: 5,
      masterSocket: '/run/m.sock',
    });
    expect(problemsOf({ ...MARATHON, lb: { haproxy: { manage: true }, reloadCommand: ['true'] } })).toEqual([
      { path: 'lb.reloadCommand', message: 'must be null when lb.haproxy.manage is true (switchyard reloads the HAProxy it runs)' },
    ]);
    expect(problemsOf({ ...MARATHON, lb: { haproxy: { hardStopAfterSeconds: 0, masterSocket: 'a b' }, maxconn: 0, minReloadIntervalMs: -1 } }).map((p) => p.path)).toEqual([
      'lb.maxconn',
      'lb.minReloadIntervalMs',
      'lb.haproxy.hardStopAfterSeconds',
      'lb.haproxy.masterSocket',
    ]);
  });
});

describe('README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.split('### Load-balancer keys (marathon-lb)')[1]?.split(/\n##/)[0] ?? '';
  const rows = [...section.matchAll(/^\| `([^`]+)` \| `([^`]*)` \|/gm)].map((m) => [m[1] ?? '', m[2] ?? ''] as const);

  /** Every leaf key of the Marathon keys and lb, dotted, with its default. */
  function leaves(): Map<string, unknown> {
    const { config } = parseConfig(MASTER, 't.json');
    const out = new Map<string, unknown>();
    const walk = (prefix: string, value: unknown, nested: boolean): void => {
      if (nested && typeof value === 'object' && value !== null && !Array.isArray(value)) {
        for (const [k, v] of Object.entries(value)) walk(`${prefix}.${k}`, v, k === 'haproxy');
      } else out.set(prefix, value);
    };
    for (const key of Object.keys(marathonShape)) walk(key, config[key as keyof typeof marathonShape], key === 'marathonCredentials');
    walk('lb', config.lb, true);
    return out;
  }

  it('lists every load-balancer key exactly once, with its default as JSON', () => {
    const expected = leaves();
    expect(rows.map(([key]) => key).sort()).toEqual([...expected.keys()].sort());
    for (const [key, text] of rows) expect(JSON.parse(text), key).toEqual(expected.get(key));
  });
});
