// Runs the README's tour commands literally: the first block (between the tour markers) against `npm start`, the
// second (tour-demo) against `npm run demo`, and checks that each prints what the README shows (as a set of lines:
// answers rotate). Also checks what `npm start` leaves running and writes: HAProxy on loopback, run/haproxy.cfg.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNpmScript, type NpmScript } from '../helpers/npm-script.js';
import { repoRoot } from '../helpers/program.js';

const run = promisify(execFile);
const readme = readFileSync(`${repoRoot}/README.md`, 'utf8');

/** The "$ command" lines of one console block between `<!-- name:start -->` and `<!-- name:end -->`, each with its output. */
function tourSteps(name: string): { command: string; output: string[] }[] {
  const block = new RegExp(`<!-- ${name}:start -->\\n\`\`\`console\\n([\\s\\S]*?)\`\`\`\\n<!-- ${name}:end -->`).exec(readme)?.[1] ?? '';
  return block
    .split(/^\$ /m)
    .filter(Boolean)
    .map((chunk) => {
      const [command = '', ...output] = chunk.trimEnd().split('\n');
      return { command, output };
    });
}

const lines = (text: readonly string[]): string[] => text.map((l) => l.trimEnd()).filter(Boolean).sort();

/** Runs a tour command as a reader would (bash, in the repository root) and returns its stdout. */
async function shell(command: string): Promise<string> {
  const { stdout } = await run('bash', ['-c', command], { cwd: repoRoot, timeout: 20_000 });
  return stdout;
}

const tour = tourSteps('tour');
const demoTour = tourSteps('tour-demo');

describe('README tour against npm start', () => {
  let script: NpmScript;

  beforeAll(async () => {
    script = startNpmScript(['start']);
    await script.waitForLog((l) => l.msg === 'records updated');
    await script.waitForLog((l) => l.msg === 'load balancer config written');
  }, 60_000);
  afterAll(async () => {
    await script?.stop();
  });

  it('has a tour to run', () => {
    expect(tour.length).toBeGreaterThanOrEqual(8);
    expect(demoTour.length).toBeGreaterThanOrEqual(5);
  });

  it.each(tour.map((s) => [s.command, s] as const))('%s', async (_command, step) => {
    expect(lines((await shell(step.command)).split('\n'))).toEqual(lines(step.output));
  });

  it('writes run/haproxy.cfg, binding only 127.0.0.1, and runs HAProxy on it', async () => {
    const cfg = readFileSync(`${repoRoot}/run/haproxy.cfg`, 'utf8');
    const binds = [...cfg.matchAll(/^\s*bind (\S+)/gm)].map((m) => m[1]);
    expect(binds.length).toBeGreaterThanOrEqual(7);
    for (const bind of binds) expect(bind).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(script.logs.some((l) => l.msg === 'HAProxy started')).toBe(true);
    const health = await fetch('http://127.0.0.1:9090/_haproxy_health_check');
    expect(health.status).toBe(200);
  });

  it('stops HAProxy with it on SIGTERM', async () => {
    expect(await script.stop()).toBe(0);
    await expect(fetch('http://127.0.0.1:9090/_haproxy_health_check')).rejects.toThrow();
    expect(script.groupAlive()).toBe(false);
  });
});

describe('README tour through HAProxy against npm run demo', () => {
  let script: NpmScript;

  beforeAll(async () => {
    script = startNpmScript(['run', 'demo']);
    await script.waitForText('demo: ready', 60_000);
  }, 90_000);
  afterAll(async () => {
    await script?.stop();
  });

  it.each(demoTour.map((s) => [s.command, s] as const))('%s', async (_command, step) => {
    expect(lines((await shell(step.command)).split('\n'))).toEqual(lines(step.output));
  });

  it('stops everything (switchyard, HAProxy, the stand-ins) on SIGTERM', async () => {
    expect(await script.stop()).toBe(0);
    expect(script.groupAlive()).toBe(false);
    await expect(fetch('http://127.0.1.1:31001/')).rejects.toThrow();
    await expect(fetch('http://127.0.0.1:8123/v1/version')).rejects.toThrow();
  });
});
