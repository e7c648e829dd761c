// `switchyard check`, and configuration from the environment and flags, through the built program.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mainJs, writeConfig } from '../helpers/program.js';

function run(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [mainJs, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env }, timeout: 15_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('switchyard check', () => {
  it('exits 0 for a valid config and says so', () => {
    const path = writeConfig({ stateFile: 'state.json' });
    expect(run(['check', '--config', path])).toMatchObject({ code: 0, stdout: 'the configuration is valid\n' });
  });

  it('lists every problem, from the file, the environment and the flags, and exits 1', () => {
    const path = writeConfig({ stateFile: 'state.json', ttl: -1 });
    const r = run(['check', '--config', path, '--lb.httpPort=0'], { SWITCHYARD_REFRESHSECONDS: '0', SWITCHYARD_MARATHON: 'http://127.0.0.1:8080' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ttl: must be an integer TTL >= 0/);
    expect(r.stderr).toMatch(/refreshSeconds: must be a whole number of seconds > 0/);
    expect(r.stderr).toMatch(/lb\.httpPort: must be an integer port from 1 to 65535/);
  });

  it('checks the templates the config names', () => {
    const path = writeConfig({ marathonFile: 'apps.json', lb: { templatesDir: 'templates' } });
    const dir = join(dirname(path), 'templates');
    mkdirSync(dir);
    writeFileSync(join(dir, 'HAPROXY_BACKEND_HEAD'), '\nbackend {backend} {nope}\n');
    writeFileSync(join(dir, 'notes.txt'), 'x');
    const r = run(['check', '--config', path]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/error: .*HAPROXY_BACKEND_HEAD: unknown placeholder "nope"/);
    expect(r.stdout).toMatch(/warning: .*notes\.txt: not a template name/);
  });

  it('runs from the environment alone when there is no config file', () => {
    const r = run(['--dry'], { SWITCHYARD_MARATHONFILE: join(process.cwd(), 'test/fixtures/marathon-lb/upstream/tests/marathon15_apps.json') });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('backend pywebserver_10101');
  });

  it('refuses an environment variable that names no key', () => {
    const path = writeConfig({ stateFile: 'state.json' });
    const r = run(['check', '--config', path], { SWITCHYARD_REFRESHSECONS: '5' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/SWITCHYARD_REFRESHSECONS: the environment variable names no configuration key/);
  });
});
