// Placeholder for the --dry run (print the generated haproxy.cfg to stdout and exit), to be replaced by the real module.
// I/O: writes one line to stderr.
import type { Logger } from 'pino';
import type { Config } from './config.js';

/** Returns the exit code. Not implemented yet: says so and returns 1. */
export async function runDry(_config: Config, _options: { baseDir: string; logger: Logger }): Promise<number> {
  process.stderr.write('switchyard: --dry is not implemented yet\n');
  return 1;
}
