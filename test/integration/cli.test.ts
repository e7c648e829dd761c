// The command line of the real program: version, help, bad arguments, and configs that must stop it from starting.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoRoot, runProgram, writeConfig } from '../helpers/program.js';

const version = (JSON.parse(readFileSync(`${repoRoot}/package.json`, 'utf8')) as { version: string }).version;

describe('switchyard command line', () => {
  it.each([['--version'], ['-version']])('%s prints the version', async (flag) => {
    const { code, stdout } = await runProgram([flag]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(`switchyard ${version}`);
  });

  it('--help lists the flags', async () => {
    const { code, stdout } = await runProgram(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('--config FILE');
    expect(stdout).toMatch(/^\s+--dry\b.*haproxy\.cfg/m);
  });

  it('an unknown argument exits 2 with the usage', async () => {
    const { code, stderr } = await runProgram(['--frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown argument "--frobnicate"');
    expect(stderr).toContain('Usage: switchyard');
  });

  it.each([['--dry=yes'], ['--version=2']])('%s (a value for a flag that takes none) exits 2', async (arg) => {
    const { code, stderr } = await runProgram([arg]);
    expect(code).toBe(2);
    expect(stderr).toContain('takes no value');
  });

  it('--dry with an invalid config reports it on stderr and keeps stdout empty', async () => {
    const path = writeConfig({ marathon: ['ftp://marathon'], lb: { httpPort: 0 } });
    const { code, stderr, stdout } = await runProgram(['--dry', '--config', path]);
    expect(code).toBe(1);
    for (const fragment of ['marathon[0]', 'lb.httpPort', 'SWY_CONFIG_INVALID']) expect(stderr).toContain(fragment);
    expect(stdout).toBe('');
  });

  it('an invalid config is reported whole, with paths, and nothing starts', async () => {
    const path = writeConfig({ masters: ['127.0.0.1'], port: 'fifty-three', IPSources: ['host', 'host'], refreshSecond: 5 });
    const { code, stderr, stdout } = await runProgram(['--config', path]);
    expect(code).toBe(1);
    for (const fragment of ['masters[0]', 'port', 'IPSources', 'refreshSecond']) expect(stderr).toContain(fragment);
    expect(stderr).toContain('SWY_CONFIG_INVALID');
    const fatal = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { code?: string; problems?: unknown[] };
    expect(fatal.code).toBe('SWY_CONFIG_INVALID');
    expect(fatal.problems?.length).toBeGreaterThanOrEqual(4);
  });

  it('a missing config file is SWY_CONFIG_UNREADABLE', async () => {
    const { code, stderr } = await runProgram(['--config', '/nonexistent/switchyard.json']);
    expect(code).toBe(1);
    expect(stderr).toContain('SWY_CONFIG_UNREADABLE');
  });

  it('a port already in use stops it with SWY_LISTEN_FAILED', async () => {
    const { createServer } = await import('node:http');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const taken = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const path = writeConfig({ stateFile: 'state.json', port: 0, httpport: taken, listener: '127.0.0.1', HTTPListener: '127.0.0.1', externalon: false }, { 'state.json': '{}' });
      const { code, stdout } = await runProgram(['--config', path]);
      expect(code).toBe(1);
      expect(stdout).toContain('SWY_LISTEN_FAILED');
    } finally {
      blocker.close();
    }
  });
});
