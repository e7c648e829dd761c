#!/usr/bin/env node
// The switchyard command: reads argv, loads and validates the config, starts the gateway, handles signals.
// I/O: the only module that reads argv, installs signal handlers or exits.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pino, destination } from 'pino';
import { loadConfigFile, ConfigError } from './config.js';
import { runDry } from './dry-run.js';
import { startGateway } from './gateway.js';
import { SwitchyardError } from '../state-poller/errors.js';

const USAGE = `Usage: switchyard [--config FILE] [--dry] [--version] [--help]

  --config FILE   configuration file (a mesos-dns config.json works as it is); default ./config.json
  --dry, -d       print the generated haproxy.cfg to stdout and exit (marathon-lb's --dry); logs go to stderr
  --version       print the version and exit
  --help          print this help and exit

mesos-dns's single-dash spellings (-config FILE, -config=FILE, -version) are accepted too.`;

export interface Args {
  readonly config: string;
  /** Print the generated HAProxy config and exit (marathon-lb's --dry). */
  readonly dry: boolean;
  readonly version: boolean;
  readonly help: boolean;
}

/** Parses argv; throws an Error with a message for the user on anything unknown. */
export function parseArgs(argv: readonly string[]): Args {
  let config = 'config.json';
  let dry = false;
  let version = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.replace(/^--?/, '--').split(/=(.*)/s, 2) as [string, string | undefined];
    const noValue = (): true => {
      if (inline !== undefined) throw new Error(`${flag} takes no value`);
      return true;
    };
    switch (flag) {
      case '--config': {
        const value = inline ?? argv[++i];
        if (value === undefined || value === '') throw new Error('--config needs a file name');
        config = value;
        break;
      }
      case '--dry':
      case '--d':
        dry = noValue();
        break;
      case '--version':
        version = noValue();
        break;
      case '--help':
      case '--h':
        help = noValue();
        break;
      default:
        throw new Error(`unknown argument "${arg}"`);
    }
  }
  return { config, dry, version, help };
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
    loaded = await loadConfigFile(configPath);
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems : [];
    const code = error instanceof SwitchyardError ? error.code : 'SWY_CONFIG_INVALID';
    process.stderr.write(`switchyard: the configuration is not valid (${code}):\n${(error as Error).message}\n`);
    pino(destination({ dest: logFd, sync: true })).fatal({ code, problems, config: configPath }, 'invalid configuration; not starting');
    process.exit(1);
  }
  const { config, warnings } = loaded;
  const logger = pino({ level: config.logLevel, base: { name: 'switchyard' } }, destination({ dest: logFd, sync: true }));
  for (const warning of warnings) logger.warn({ code: 'SWY_CONFIG_WARNING' }, warning);
  if (args.dry) {
    const code = await runDry(config, { baseDir: dirname(configPath), logger });
    // Let the config written to stdout drain before exiting (stdout can be asynchronous).
    await new Promise<void>((done) => process.stdout.write('', () => done()));
    process.exit(code);
  }
  logger.info({ version, config: configPath }, 'starting');

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
