// Runs the README's tour commands (between the tour markers) against the example that `npm start` runs, and checks
// that each prints what the README shows (as a set of lines: answers rotate).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startProgram, type Program } from '../helpers/program.js';

const run = promisify(execFile);
const readme = readFileSync(`${repoRoot}/README.md`, 'utf8');
const tour = /<!-- tour:start -->\n```console\n([\s\S]*?)```\n<!-- tour:end -->/.exec(readme)?.[1] ?? '';

/** "$ command" lines, each with the output lines that follow it. */
const steps = tour.split(/^\$ /m).filter(Boolean).map((chunk) => {
  const [command = '', ...output] = chunk.trimEnd().split('\n');
  return { command, output };
});

describe('README tour against the example cluster (npm start)', () => {
  let program: Program;

  beforeAll(async () => {
    // Exactly what `npm start` runs after its build step.
    program = await startProgram(`${repoRoot}/examples/switchyard.json`);
    await program.waitForLog((l) => l.msg === 'records updated');
  });
  afterAll(async () => {
    await program?.stop();
  });

  it('has a tour to run', () => {
    expect(steps.length).toBeGreaterThanOrEqual(5);
  });

  it.each(steps.map((s) => [s.command, s] as const))('%s', async (_command, step) => {
    const { stdout } = await run('bash', ['-c', step.command], { timeout: 10_000 });
    const lines = (text: string[]): string[] => text.map((l) => l.trimEnd()).filter(Boolean).sort();
    expect(lines(stdout.split('\n'))).toEqual(lines(step.output));
  });
});
