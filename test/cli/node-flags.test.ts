// The Node flags switchyard runs with (cli/node-flags.ts): every launcher in the repository passes them, and the
// program says so when it was started without them. Starts the built program (dist/cli/main.js) over loopback.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { missingNodeFlags, NODE_FLAGS } from '../../cli/node-flags.js';
import { mainJs, startProgram, writeConfig, type Program } from '../helpers/program.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const running: Program[] = [];
afterEach(async () => {
  for (const program of running.splice(0)) await program.stop();
});

/** A program that serves DNS and HTTP on free loopback ports from the example cluster's state file. */
async function started(nodeFlags: readonly string[]): Promise<Program> {
  const stateFile = join(repoRoot, 'examples/cluster/master-state.json');
  const configPath = writeConfig({ stateFile, listener: '127.0.0.1', HTTPListener: '127.0.0.1', port: 0, httpport: 0, externalon: false });
  const program = await startProgram(configPath, { nodeFlags });
  running.push(program);
  return program;
}

describe('Node flags', () => {
  it('missingNodeFlags names what a process was started without', () => {
    expect(missingNodeFlags([])).toEqual([...NODE_FLAGS]);
    expect(missingNodeFlags(['--inspect', ...NODE_FLAGS])).toEqual([]);
    expect(NODE_FLAGS).toContain('--no-memory-reducer');
  });

  it('npm start and the built command (its #! line) pass them', () => {
    const scripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toContain(`node ${NODE_FLAGS.join(' ')} dist/cli/main.js`);
    const shebang = readFileSync(mainJs, 'utf8').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
  });

  it('started without them, the program warns with SWY_NODE_FLAGS and still serves; with them it does not warn', async () => {
    const without = await started([]);
    const warning = await without.waitForLog((line) => line.code === 'SWY_NODE_FLAGS');
    expect(warning.missing).toEqual([...NODE_FLAGS]);
    expect(warning.level).toBe(40);
    const withFlags = await started(NODE_FLAGS);
    await withFlags.waitForLog((line) => line.msg === 'starting');
    // Its 'starting' line comes before the check; the HTTP API answering comes after it.
    const health = await fetch(`http://127.0.0.1:${String(withFlags.httpPort)}/healthz`);
    expect(health.status).toBe(200);
    expect(withFlags.logs.some((line) => line.code === 'SWY_NODE_FLAGS')).toBe(false);
  });
});
