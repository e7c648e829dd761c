// Tests for the Marathon keys of the configuration (marathon, marathonFile, marathonCredentials,
// marathonTimeoutSeconds) and which halves a config serves (cli/config-schema-lb.ts, cli/config-validate-lb.ts). Pure.
import { describe, expect, it } from 'vitest';
import { configHalves, parseConfig, redactConfig } from '../../cli/config.js';
import { pathsOf, problemsOf } from '../helpers/config-problems.js';

const MARATHON = { marathon: ['http://marathon.mesos:8080'] };
const MASTER = { masters: ['127.0.0.1:5050'] };



describe('defaults', () => {
  it('gives the Marathon keys their defaults', () => {
    const { config } = parseConfig(MASTER, 'test.json');
    expect(config.marathon).toEqual([]);
    expect(config.marathonFile).toBeNull();
    expect(config.marathonCredentials).toEqual({ principal: '', secret: '' });
    expect(config.marathonTimeoutSeconds).toBe(46);
  });
});

describe('sources', () => {
  it.each<[string, Record<string, unknown>, { dns: boolean; lb: boolean }]>([
    ['DNS only', MASTER, { dns: true, lb: false }],
    ['LB only from Marathon', MARATHON, { dns: false, lb: true }],
    ['LB only from a file', { marathonFile: 'apps.json' }, { dns: false, lb: true }],
    ['both', { stateFile: 'state.json', ...MARATHON }, { dns: true, lb: true }],
    ['LB only with DNS and HTTP off', { ...MARATHON, dnson: false, httpon: false }, { dns: false, lb: true }],
  ])('accepts %s', (_name, raw, halves) => {
    const { config, warnings } = parseConfig(raw, 'test.json');
    expect(warnings).toEqual([]);
    expect(configHalves(config)).toEqual(halves);
  });

  it('reports nothing to serve once, at the document', () => {
    const problems = problemsOf({ marathon: [], marathonFile: null, stateFile: null });
    expect(problems).toEqual([{ path: '', message: expect.stringMatching(/masters.*stateFile.*marathon.*marathonFile/) }]);
  });

  it('rejects marathon together with marathonFile, on marathonFile', () => {
    expect(pathsOf({ ...MARATHON, marathonFile: 'apps.json' })).toEqual(['marathonFile']);
    expect(problemsOf({ marathon: [], marathonFile: 'apps.json' })).toEqual([]);
  });

  it('warns (only) about lb keys without a Marathon source', () => {
    const { warnings } = parseConfig({ ...MASTER, lb: { httpPort: 8080 } }, 'x.json');
    expect(warnings).toEqual([expect.stringMatching(/^x\.json: lb: .*neither marathon nor marathonFile/)]);
    expect(parseConfig({ ...MASTER, lb: {} }, 'x.json').warnings).toEqual([]);
    expect(parseConfig({ ...MARATHON, lb: { httpPort: 8080 } }, 'x.json').warnings).toEqual([]);
  });

  it('still reports zk as the only DNS source, beside a Marathon source', () => {
    expect(pathsOf({ zk: 'zk://127.0.0.1:2181/mesos', ...MARATHON })).toEqual(['zk']);
  });
});

describe('Marathon keys', () => {
  it.each([
    ['http://marathon.mesos:8080'],
    ['https://10.0.0.1:8443/'],
    ['http://[::1]:8080'],
    ['HTTP://Marathon.Example'],
  ])('accepts the URL %s, kept as given', (url) => {
    expect(parseConfig({ marathon: [url] }, 't.json').config.marathon).toEqual([url]);
  });

  it.each<[string, unknown]>([
    ['another scheme', 'ftp://marathon:8080'],
    ['no scheme', 'marathon.mesos:8080'],
    ['no host', 'http://'],
    ['a path', 'http://marathon:8080/marathon'],
    ['a query', 'http://marathon:8080/?x=1'],
    ['an empty query', 'http://marathon:8080?'],
    ['a fragment', 'http://marathon:8080#top'],
    ['credentials', 'http://user:pass@marathon:8080'],
    ['port 0', 'http://marathon:0'],
    ['port out of range', 'http://marathon:65536'],
    ['spaces', ' http://marathon:8080'],
    ['not a string', 8080],
  ])('rejects a URL with %s, at its index', (_name, url) => {
    expect(pathsOf({ marathon: ['http://m1:8080', url] })).toEqual(['marathon[1]']);
  });

  it('rejects duplicate URLs naming the same Marathon', () => {
    expect(pathsOf({ marathon: ['http://m1:8080', 'http://M1:8080/', 'https://m1', 'https://m1:443'] })).toEqual([
      'marathon[1]',
      'marathon[3]',
    ]);
    // Invalid URLs get their own problem, not a duplicate one as well.
    expect(pathsOf({ marathon: ['http://h/a', 'http://u:p@h'] })).toEqual(['marathon[0]', 'marathon[1]']);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['marathon not a list', { marathon: 'http://m:8080' }, ['marathon']],
    ['empty marathonFile', { marathonFile: '' }, ['marathonFile']],
    ['timeout 0', { ...MARATHON, marathonTimeoutSeconds: 0 }, ['marathonTimeoutSeconds']],
    ['timeout fractional', { ...MARATHON, marathonTimeoutSeconds: 1.5 }, ['marathonTimeoutSeconds']],
    ['secret without principal', { ...MARATHON, marathonCredentials: { secret: 's' } }, ['marathonCredentials.principal']],
    ['principal with a colon', { ...MARATHON, marathonCredentials: { principal: 'a:b' } }, ['marathonCredentials.principal']],
    ['credentials not an object', { ...MARATHON, marathonCredentials: 'user:pass' }, ['marathonCredentials']],
    ['unknown credentials key', { ...MARATHON, marathonCredentials: { user: 'x' } }, ['marathonCredentials.user']],
  ])('%s', (_name, raw, expected) => {
    expect(pathsOf(raw)).toEqual(expected);
  });

  it('matches the Marathon keys and credential keys case-insensitively', () => {
    const { config } = parseConfig(
      { Marathon: ['http://m:8080'], MARATHONTIMEOUTSECONDS: 5, marathoncredentials: { Principal: 'p', SECRET: 's' } },
      't.json',
    );
    expect(config.marathon).toEqual(['http://m:8080']);
    expect(config.marathonTimeoutSeconds).toBe(5);
    expect(config.marathonCredentials).toEqual({ principal: 'p', secret: 's' });
  });
});

describe('redaction', () => {
  it('hides marathonCredentials.secret and leaves an empty one empty', () => {
    const { config } = parseConfig({ ...MARATHON, marathonCredentials: { principal: 'mlb', secret: 'hunter2' } }, 't.json');
    const redacted = redactConfig(config);
    expect(redacted.marathonCredentials).toEqual({ principal: 'mlb', secret: '[redacted]' });
    expect(JSON.stringify(redacted)).not.toContain('hunter2');
    expect(config.marathonCredentials.secret).toBe('hunter2');
    expect(redactConfig(parseConfig(MARATHON, 't.json').config).marathonCredentials).toEqual({ principal: '', secret: '' });
  });
});
