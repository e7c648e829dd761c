// Which services a `haproxy -c` failure is about: the lines and proxies HAProxy names in its messages, traced back
// to the service that produced them. Pure. Lets the pipeline leave out just those apps instead of re-validating
// app by app as marathon-lb does.
import { alertLines, isClosingAlert } from './haproxy-alerts.js';

/**
 * Backends named by HAProxy's output, through `[file:line]` references to the checked file and `Proxy 'name'` /
 * `backend 'name'` mentions. Null when some complaint points at shared text (HEAD, a shared frontend's own lines) or
 * names nothing: then no app is to blame and the whole config is rejected.
 */
export function culpritsOf(output: string, checkedFile: string, lineOwners: readonly (string | null)[], backends: ReadonlySet<string>): Set<string> | null {
  const found = new Set<string>();
  const alerts = alertLines(output).filter((line) => !isClosingAlert(line));
  if (alerts.length === 0) return null;
  for (const alert of alerts) {
    let blamed = false;
    for (const m of alert.matchAll(/\[([^\]\s]+):(\d+)\]/g)) {
      if (m[1] !== checkedFile) continue;
      const owner = lineOwners[Number(m[2]) - 1];
      if (owner === null || owner === undefined) return null;
      found.add(owner);
      blamed = true;
    }
    for (const m of alert.matchAll(/(?:[Pp]roxy|backend|frontend) '([^']+)'/g)) {
      const name = m[1] ?? '';
      if (backends.has(name)) {
        found.add(name);
        blamed = true;
      }
    }
    if (!blamed) return null;
  }
  return found.size > 0 ? found : null;
}
