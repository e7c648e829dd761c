// checkConfig against the real HAProxy 2.6: valid configs pass, legacy marathon-lb directives and syntax errors do not.
// Runs only `haproxy -c` (nothing binds); every address in these configs is loopback.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkConfig, summarise } from '../../lb/checker.js';

const VALID = `global
  maxconn 100
defaults
  mode http
  timeout connect 3s
  timeout client 30s
  timeout server 30s
frontend web
  bind 127.0.0.1:18080
  default_backend app
backend app
  server s1 127.0.0.1:8080
`;

const golden = new URL('../fixtures/marathon-lb/generated/legacy-directives.rejected-by-haproxy-2.6.haproxy.cfg', import.meta.url);

// The golden's binds and servers point at a real cluster; `-c` never connects, but tests keep to loopback anyway.
function loopbackOnly(cfg: string): string {
  return cfg
    .replace(/^(\s*bind )(\*|0\.0\.0\.0|[\d.]+):/gm, '$1127.0.0.1:')
    .replace(/^(\s*server \S+ )[\d.]+:/gm, '$1127.0.0.1:');
}

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swy-checker-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cfgFile(text: string, name = 'haproxy.cfg'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('checkConfig with HAProxy 2.6', () => {
  it('accepts a minimal valid config', async () => {
    expect(await checkConfig(await cfgFile(VALID))).toEqual({ ok: true });
  });

  it('rejects reqirep (removed in HAProxy 2.1) and returns HAProxy output', async () => {
    const cfg = VALID.replace('  server s1', '  reqirep ^Host:\\ foo Host:\\ bar\n  server s1');
    const result = await checkConfig(await cfgFile(cfg));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('SWY_HAPROXY_CONFIG_INVALID');
    expect(result.output).toContain('reqirep');
    expect(result.message).toContain('reqirep');
    expect(result.message).not.toContain('\n');
  });

  it('names the offending line of a syntax error in a one-line message', async () => {
    const cfg = VALID.replace('  default_backend app', '  default_backend app\n  this-is-not-a-keyword 42');
    const result = await checkConfig(await cfgFile(cfg));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('SWY_HAPROXY_CONFIG_INVALID');
    expect(result.message).toContain('haproxy.cfg:11]');
    expect(result.message).toContain('this-is-not-a-keyword');
    expect(result.message).not.toMatch(/\[ALERT\]|\n/);
  });

  it('reports a missing binary as unavailable, with how to install it', async () => {
    const result = await checkConfig(await cfgFile(VALID), { binary: '/nonexistent/haproxy' });
    expect(result).toMatchObject({ ok: false, code: 'SWY_HAPROXY_UNAVAILABLE' });
    if (result.ok) return;
    expect(result.message).toContain('apt-get install haproxy');
  });

  it('kills a binary that does not finish in time and reports it as unavailable', async () => {
    // A shell script standing in for haproxy that hangs; `exec` so the kill reaches the sleeping process itself.
    const fake = join(dir, 'slow-haproxy');
    await writeFile(fake, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const started = Date.now();
    const result = await checkConfig(await cfgFile(VALID), { binary: fake, timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({ ok: false, code: 'SWY_HAPROXY_UNAVAILABLE' });
    if (result.ok) return;
    expect(result.message).toContain('200 ms');
  });

  it('rejects the marathon-lb legacy-directives golden as written', async () => {
    const result = await checkConfig(await cfgFile(loopbackOnly(await readFile(golden, 'utf8'))));
    // Its lua-load files and certificate are absent here, which HAProxy reports first.
    expect(result).toMatchObject({ ok: false, code: 'SWY_HAPROXY_CONFIG_INVALID' });
  });

  it('rejects the golden for rspadd and reqirep once its missing files are stubbed out', async () => {
    // Replace only what depends on marathon-lb's container (Lua services, TLS certificate), so the
    // remaining errors are the legacy directives themselves.
    const lua = join(dir, 'stub.lua');
    const services = ['getpids', 'getvhostmap', 'getappmap', 'getconfig', 'signalmlbhup', 'signalmlbusr1'];
    await writeFile(lua, services.map((s) => `core.register_service("${s}", "http", function(applet) end)\n`).join(''));
    let first = true;
    const cfg = loopbackOnly(await readFile(golden, 'utf8'))
      .replace(/^\s*lua-load \S+\n/gm, () => {
        if (!first) return '';
        first = false;
        return `  lua-load ${lua}\n`;
      })
      .replace(/ ssl crt \S+/g, '');
    const result = await checkConfig(await cfgFile(cfg));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('SWY_HAPROXY_CONFIG_INVALID');
    expect(result.output).toContain("'rspadd' directive is not supported");
    expect(result.output).toContain("'reqirep' directive is not supported");
    expect(result.message).toMatch(/rspadd.*reqirep/);
  });
});

describe('summarise', () => {
  it('strips pid and section tags and skips the closing summary ALERTs', () => {
    const out = [
      '[NOTICE]   (1) : haproxy version is 2.6.12',
      "[ALERT]    (1) : config : parsing [/x.cfg:3] : unknown keyword 'foo'.",
      '[ALERT]    (1) : config : Error(s) found in configuration file : /x.cfg',
      '[ALERT]    (1) : config : Fatal errors found in configuration.',
    ].join('\n');
    expect(summarise(out, 1)).toBe("haproxy -c rejected the configuration: parsing [/x.cfg:3] : unknown keyword 'foo'.");
  });

  it('falls back to the exit code when there is no ALERT', () => {
    expect(summarise('something odd\n', 2)).toBe('haproxy -c rejected the configuration (exit 2)');
  });
});
