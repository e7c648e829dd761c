// Layered configuration (cli/config-layers.ts and loadConfigFile): file, then SWITCHYARD_* environment variables,
// then --key=value flags, validated together by the one schema.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyOverrides, envOverrides, flagNames, flagPath, keyPaths } from '../../cli/config-layers.js';
import { ConfigError, loadConfigFile } from '../../cli/config.js';
import { parseArgs } from '../../cli/args.js';

const file = (doc: unknown): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'swy-layers-')), 'config.json');
  writeFileSync(path, JSON.stringify(doc));
  return path;
};

describe('key paths, environment variables and flags', () => {
  it('knows every key, nested ones expanded', () => {
    const paths = keyPaths().map((p) => p.join('.'));
    expect(paths).toContain('refreshSeconds');
    expect(paths).toContain('lb.httpPort');
    expect(paths).toContain('lb.haproxy.manage');
    expect(paths).toContain('mesosCredentials.secret');
    expect(paths).not.toContain('lb');
    expect(flagNames()).toContain('--lb.haproxy.hardStopAfterSeconds');
  });

  it.each([
    ['SWITCHYARD_REFRESHSECONDS', ['refreshSeconds']],
    ['switchyard_lb_httpport', ['lb', 'httpPort']],
    ['SWITCHYARD_LB_HAPROXY_MANAGE', ['lb', 'haproxy', 'manage']],
    ['SWITCHYARD_MESOSCREDENTIALS_PRINCIPAL', ['mesosCredentials', 'principal']],
  ])('%s → %j', (name, path) => {
    expect(envOverrides({ [name]: 'x', PATH: '/bin' }).overrides).toEqual([{ path, value: 'x', from: name }]);
  });

  it('reports a SWITCHYARD_ variable that names no key', () => {
    expect(envOverrides({ SWITCHYARD_LB_HTPPORT: '1' }).problems).toEqual([{ path: 'SWITCHYARD_LB_HTPPORT', message: expect.stringMatching(/names no configuration key/) }]);
  });

  it('reads flags for any key, with = or a separate value', () => {
    expect(flagPath('--LB.HttpPort')).toEqual(['lb', 'httpPort']);
    expect(flagPath('--nonsense')).toBeUndefined();
    const args = parseArgs(['check', '--config', 'x.json', '--lb.httpPort=8080', '--refreshSeconds', '30']);
    expect(args).toMatchObject({ command: 'check', config: 'x.json', configGiven: true });
    expect(args.overrides).toEqual([
      { path: ['lb', 'httpPort'], value: '8080', from: '--lb.httpPort' },
      { path: ['refreshSeconds'], value: '30', from: '--refreshSeconds' },
    ]);
  });

  it('replaces a key the file spells in another case instead of doubling it, and reads lists as JSON or commas', () => {
    const { doc } = applyOverrides(
      { RefreshSeconds: 5, LB: { HttpPort: 1 } },
      [
        { path: ['refreshSeconds'], value: '30', from: 'env' },
        { path: ['lb', 'httpPort'], value: '8080', from: 'env' },
        { path: ['masters'], value: '127.0.0.1:5050, 127.0.0.2:5050', from: 'flag' },
        { path: ['resolvers'], value: '["127.0.0.53"]', from: 'flag' },
        { path: ['domain'], value: 'cluster.test', from: 'flag' },
      ],
      new Set(['masters', 'resolvers']),
    );
    expect(doc).toEqual({ refreshSeconds: 30, lb: { httpPort: 8080 }, masters: ['127.0.0.1:5050', '127.0.0.2:5050'], resolvers: ['127.0.0.53'], domain: 'cluster.test' });
  });
});

describe('loadConfigFile with layers', () => {
  it('flags beat the environment, which beats the file; the result is validated as one', async () => {
    const path = file({ stateFile: 'state.json', refreshSeconds: 5, lb: { httpPort: 81 } });
    const { config } = await loadConfigFile(path, [
      { path: ['refreshSeconds'], value: '10', from: 'SWITCHYARD_REFRESHSECONDS' },
      { path: ['refreshSeconds'], value: '20', from: '--refreshSeconds' },
    ]);
    expect(config.refreshSeconds).toBe(20);
    expect(config.lb.httpPort).toBe(81);
    await expect(loadConfigFile(path, [{ path: ['lb', 'httpPort'], value: '0', from: '--lb.httpPort' }])).rejects.toThrow(/lb\.httpPort: must be an integer port from 1 to 65535/);
  });

  it('an optional file that does not exist means everything comes from the layers', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'swy-layers-')), 'config.json');
    const { config } = await loadConfigFile(missing, [{ path: ['stateFile'], value: 'state.json', from: 'env' }], true);
    expect(config.stateFile).toBe('state.json');
    await expect(loadConfigFile(missing, [], false)).rejects.toMatchObject({ code: 'SWY_CONFIG_UNREADABLE' });
    await expect(loadConfigFile(missing, [], true)).rejects.toBeInstanceOf(ConfigError);
  });
});
