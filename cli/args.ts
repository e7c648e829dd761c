// The switchyard command line: every flag (including one per configuration key) and the usage text. Pure.
import { flagNames, flagPath, type Override } from './config-layers.js';

export const USAGE = `Usage: switchyard [check] [--config FILE] [--dry] [--version] [--help] [--KEY=VALUE …]

  check           validate the configuration (and the templates it names), list every problem, exit 0 or 1
  --config FILE   configuration file (a mesos-dns config.json works as it is); default ./config.json, which
                  may be absent when environment variables and flags give everything
  --dry, -d       print the generated haproxy.cfg to stdout and exit (marathon-lb's --dry); logs go to stderr
  --version       print the version and exit
  --help          print this help and exit

Every configuration key is also a flag, which overrides the file and the environment; an environment variable
SWITCHYARD_<KEY> (nested keys joined with _, any case: SWITCHYARD_LB_HTTPPORT=8080) overrides the file. Values
are JSON (8080, true, ["a","b"]) or plain text; list keys also take a comma list (--masters=10.0.0.1:5050,10.0.0.2:5050).

mesos-dns's single-dash spellings (-config FILE, -config=FILE, -version) are accepted too.

Configuration flags:
${flagNames().map((f) => `  ${f}=VALUE`).join('\n')}`;

export interface Args {
  readonly command: 'run' | 'check';
  readonly config: string;
  /** False when --config was not given (then a missing ./config.json means "everything from env and flags"). */
  readonly configGiven: boolean;
  /** Configuration keys given as flags, in order. */
  readonly overrides: readonly Override[];
  /** Print the generated HAProxy config and exit (marathon-lb's --dry). */
  readonly dry: boolean;
  readonly version: boolean;
  readonly help: boolean;
}

/** Parses argv; throws an Error with a message for the user on anything unknown. */
export function parseArgs(argv: readonly string[]): Args {
  let command: Args['command'] = 'run';
  let configGiven = false;
  const overrides: Override[] = [];
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
    if (i === 0 && arg === 'check') {
      command = 'check';
      continue;
    }
    const keyPath = flagPath(flag);
    if (keyPath !== undefined) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`${flag} needs a value`);
      overrides.push({ path: keyPath, value, from: flag });
      continue;
    }
    switch (flag) {
      case '--config': {
        const value = inline ?? argv[++i];
        if (value === undefined || value === '') throw new Error('--config needs a file name');
        config = value;
        configGiven = true;
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
  return { command, config, configGiven, overrides, dry, version, help };
}

