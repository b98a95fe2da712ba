// Self-signed certificates for the TLS tests (client, syslog listener, HTTPS server), made with
// the openssl command line; tests skip when openssl is missing.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A self-signed P-256 certificate and key in `dir`, as `<name>.crt` and `<name>.key`. */
export function selfSigned(
  dir: string,
  name: string,
  cn: string,
  san: string,
): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
    ].concat(['-subj', `/CN=${cn}`, '-addext', `subjectAltName=${san}`, '-keyout', key, '-out', cert]),
    { stdio: 'ignore' },
  );
  return { cert, key };
}
