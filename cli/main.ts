#!/usr/bin/env -S node --no-memory-reducer --max-semi-space-size=8
// The switchyard command: reads argv, loads and validates the config, starts the gateway, handles signals.
// I/O: the only module that reads argv, installs signal handlers or exits.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pino, destination } from 'pino';
import { loadConfigFile, ConfigError, type Config } from './config.js';
import { envOverrides } from './config-layers.js';
import { parseArgs, USAGE, type Args } from './args.js';
import { loadTemplateSet } from '../lb/template-files.js';
import { templatesDirOf } from './lb-runtime.js';
import { runDry } from './dry-run.js';
import { startGateway } from './gateway.js';
import { SwitchyardError } from '../state-poller/errors.js';
import { missingNodeFlags } from './node-flags.js';

/** `switchyard check`: the config is valid (main got here); the templates it names must compile too. */
async function check(config: Config, warnings: readonly string[], baseDir: string): Promise<number> {
  for (const w of warnings) process.stdout.write(`warning: ${w}\n`);
  const { problems } = await loadTemplateSet(templatesDirOf(config, baseDir));
  for (const p of problems) process.stdout.write(`${p.fatal ? 'error' : 'warning'}: ${p.file}: ${p.reason}\n`);
  if (problems.some((p) => p.fatal)) return 1;
  process.stdout.write('the configuration is valid\n');
  return 0;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`switchyard: ${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const version = packageVersion();
  if (args.version) {
    process.stdout.write(`switchyard ${version}\n`);
    return;
  }

  const configPath = resolve(args.config);
  // A dry run owns stdout (the HAProxy config), so its log lines go to stderr.
  const logFd = args.dry ? 2 : 1;
  let loaded;
  try {
    // File, then environment, then flags: the last word wins, and one schema validates the result.
    const env = envOverrides(process.env);
    if (env.problems.length > 0) throw new ConfigError('environment', env.problems);
    loaded = await loadConfigFile(configPath, [...env.overrides, ...args.overrides], !args.configGiven);
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems : [];
    const code = error instanceof SwitchyardError ? error.code : 'SWY_CONFIG_INVALID';
    process.stderr.write(`switchyard: the configuration is not valid (${code}):\n${(error as Error).message}\n`);
    pino(destination({ dest: logFd, sync: true })).fatal({ code, problems, config: configPath }, 'invalid configuration; not starting');
    process.exit(1);
  }
  const { config, warnings } = loaded;
  if (args.command === 'check') process.exit(await check(config, warnings, dirname(configPath)));
  const logger = pino({ level: config.logLevel, base: { name: 'switchyard' } }, destination({ dest: logFd, sync: true }));
  for (const warning of warnings) logger.warn({ code: 'SWY_CONFIG_WARNING' }, warning);
  if (args.dry) {
    const code = await runDry(config, { baseDir: dirname(configPath), logger });
    // Let the config written to stdout drain before exiting (stdout can be asynchronous).
    await new Promise<void>((done) => process.stdout.write('', () => done()));
    process.exit(code);
  }
  logger.info({ version, config: configPath }, 'starting');
  const missing = missingNodeFlags(process.execArgv);
  if (missing.length > 0) {
    logger.warn({ code: 'SWY_NODE_FLAGS', missing }, `node was started without ${missing.join(' ')}: DNS answers may stall while V8 compacts the heap of a quiet process, and the young generation may hold more memory (see README)`);
  }

  let gateway;
  try {
    gateway = await startGateway(config, { logger, version, baseDir: dirname(configPath) });
  } catch (error) {
    logger.fatal({ code: 'SWY_LISTEN_FAILED', err: (error as Error).message }, 'could not start');
    process.exit(1);
  }

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: String(error) }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    logger.info({ signal: 'SIGHUP' }, 'refreshing now');
    // Templates first, so the refresh that follows renders with the files as they are now.
    void (gateway.lb?.reloadTemplates('SIGHUP') ?? Promise.resolve()).then(() => gateway.refresh('SIGHUP'));
  });
}

void main();
