// A client's `tls_config` (CA, certificate and key files, server name, insecure_skip_verify) and
// the HTTPS server's `server.http_tls_config`.

import { isEmpty, notSupported } from './checks.js';
import type { ConfigNode } from './reader.js';
import {
  type ClientAuthType,
  clientAuthTypes,
  type ServerTlsConfig,
  type TlsConfig,
  tlsVersions,
} from './types.js';

export function parseTls(node: ConfigNode): TlsConfig {
  for (const key of ['ca', 'cert', 'key']) {
    if (!isEmpty(node.get(key))) notSupported(node, key, `put the PEM in a file and use ${key}_file`);
  }
  if (!isEmpty(node.get('max_version'))) notSupported(node, 'max_version', '');
  const known = ['ca_file', 'cert_file', 'key_file', 'server_name', 'insecure_skip_verify', 'min_version'];
  node.expectKeys([...known, 'ca', 'cert', 'key', 'max_version'], known);
  const min = node.get('min_version');
  // Node refuses anything older than TLS 1.2 already, so a lower minimum changes nothing.
  if (!min.missing) {
    const v = min.oneOf(['TLS10', 'TLS11', 'TLS12', 'TLS13']);
    if (v === 'TLS13')
      notSupported(
        node,
        'min_version',
        'TLS13 as a minimum; Node negotiates TLS 1.3 when the server offers it',
      );
  }
  const tls: TlsConfig = { insecureSkipVerify: node.get('insecure_skip_verify').boolean(false) };
  const ca = node.get('ca_file').optionalString();
  const cert = node.get('cert_file').optionalString();
  const key = node.get('key_file').optionalString();
  const serverName = node.get('server_name').optionalString();
  if (cert && !key) node.failKey('cert_file', 'cert_file needs key_file too');
  if (key && !cert) node.failKey('key_file', 'key_file needs cert_file too');
  if (ca) tls.caFile = ca;
  if (cert) tls.certFile = cert;
  if (key) tls.keyFile = key;
  if (serverName) tls.serverName = serverName;
  return tls;
}

/**
 * The server's `http_tls_config` (dskit's keys) and `tls_min_version`, as written: the
 * `-server.http-tls-*` flags go on top before `checkServerTls` decides on HTTPS.
 */
export function parseServerTls(server: ConfigNode): ServerTlsConfig {
  const node = server.get('http_tls_config');
  const known = ['cert_file', 'key_file', 'client_auth_type', 'client_ca_file', 'cert', 'key', 'client_ca'];
  node.expectKeys(known);
  const tls: ServerTlsConfig = {
    clientAuthType: node.get('client_auth_type').missing
      ? 'NoClientCert'
      : ((node.get('client_auth_type').string() || 'NoClientCert') as ClientAuthType),
  };
  for (const [key, field] of [
    ['cert_file', 'certFile'],
    ['key_file', 'keyFile'],
    ['client_ca_file', 'clientCaFile'],
    ['cert', 'cert'],
    ['key', 'key'],
    ['client_ca', 'clientCa'],
  ] as const) {
    const v = node.get(key).optionalString();
    if (v) tls[field] = v;
  }
  const min = server.get('tls_min_version');
  if (!min.missing && min.string() !== '') tls.minVersion = min.oneOf(tlsVersions);
  return tls;
}

export class ServerTlsError extends Error {}

/** dskit's rules for the HTTPS server (from Prometheus exporter-toolkit); undefined = plain HTTP. */
export function checkServerTls(tls: ServerTlsConfig): ServerTlsConfig | undefined {
  if (!(clientAuthTypes as readonly string[]).includes(tls.clientAuthType)) {
    throw new ServerTlsError(
      `invalid client_auth_type "${tls.clientAuthType}": must be one of ${clientAuthTypes.join(', ')}`,
    );
  }
  const hasCert = Boolean(tls.certFile || tls.cert);
  const hasKey = Boolean(tls.keyFile || tls.key);
  if (!hasCert && !hasKey) return undefined;
  if (!hasCert) throw new ServerTlsError('a key is set without a certificate (cert_file)');
  if (!hasKey) throw new ServerTlsError('a certificate is set without its key (key_file)');
  if ((tls.clientCaFile || tls.clientCa) && tls.clientAuthType === 'NoClientCert') {
    throw new ServerTlsError(
      'client CAs are set without a client auth policy: set client_auth_type (e.g. RequireAndVerifyClientCert)',
    );
  }
  if (
    (tls.clientAuthType === 'VerifyClientCertIfGiven' ||
      tls.clientAuthType === 'RequireAndVerifyClientCert') &&
    !tls.clientCaFile &&
    !tls.clientCa
  ) {
    throw new ServerTlsError(`client_auth_type ${tls.clientAuthType} needs client_ca_file to verify against`);
  }
  return tls;
}
