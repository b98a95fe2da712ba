// A client's `tls_config`: CA, certificate and key files, server name, insecure_skip_verify.

import { isEmpty, notSupported } from './checks.js';
import type { ConfigNode } from './reader.js';
import type { TlsConfig } from './types.js';

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
