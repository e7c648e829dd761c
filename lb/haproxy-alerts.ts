// HAProxy's ALERT lines as switchyard reads them (for messages, and to find the apps they blame), and the hint shown
// when no HAProxy can be run. Pure.

export const INSTALL_HINT = 'install HAProxy 2.x (Debian/Ubuntu: apt-get install haproxy) or set lb.haproxy.binary';

/** The ALERT lines of `text` without their "[ALERT] (pid) : config :" prefix (noise in a log line). */
export function alertLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.startsWith('[ALERT]'))
    .map((line) => line.replace(/^\[ALERT\]\s*(\(\d+\)\s*)?:\s*(config\s*:\s*)?/, ''));
}

/** The closing "Error(s) found" / "Fatal errors found" ALERT (prefix stripped), which repeats nothing useful. */
export function isClosingAlert(line: string): boolean {
  return /^(Error\(s\) found in configuration file|Fatal errors found in configuration)/.test(line.trim());
}
