// Test helper: a throwaway self-signed certificate (key and certificate in one PEM, as HAProxy's `crt` wants it).
// I/O: runs the openssl command line tool and writes the file into the given folder.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function selfSignedPem(dir: string, name = 'cert.pem'): string {
  const out = execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', '-', '-out', '-', '-subj', '/CN=switchyard.test', '-days', '2'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const path = join(dir, name);
  writeFileSync(path, out);
  return path;
}
