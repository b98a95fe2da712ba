// The `syslog:` block of a scrape config: Promtail's keys and defaults, read with file:line:key
// errors. The parsed SyslogConfig is all the syslog target needs besides the SourceContext.

import type { ConfigNode } from '../../config/reader.js';
import type { LabelSet } from '../../types.js';

export type SyslogProtocol = 'tcp' | 'udp';
export type SyslogFormat = 'rfc5424' | 'rfc3164';

/** Server TLS for a TCP listener; with `caFile`, clients must present a certificate it signed. */
export interface SyslogTlsConfig {
  certFile: string;
  keyFile: string;
  caFile?: string;
}

export interface SyslogConfig {
  /** `host:port` as Promtail takes it (`:1514`, `0.0.0.0:1514`, `[::1]:1514`); port 0 picks a free one. */
  listenAddress: string;
  listenProtocol: SyslogProtocol;
  idleTimeoutMs: number;
  labelStructuredData: boolean;
  labels: LabelSet;
  useIncomingTimestamp: boolean;
  useRfc5424Message: boolean;
  maxMessageLength: number;
  tls?: SyslogTlsConfig;
  syslogFormat: SyslogFormat;
}

/** Promtail's defaults (clients/pkg/promtail/targets/syslog). */
export const syslogDefaults = {
  idleTimeoutMs: 120_000,
  maxMessageLength: 8192,
  listenProtocol: 'tcp',
  syslogFormat: 'rfc5424',
} as const;

const keys = [
  'listen_address',
  'listen_protocol',
  'idle_timeout',
  'label_structured_data',
  'labels',
  'use_incoming_timestamp',
  'use_rfc5424_message',
  'max_message_length',
  'tls_config',
  'syslog_format',
];

// Promtail's tls_config is Prometheus's TLSConfig: the server uses only the three files; the other
// keys are accepted so that a Promtail config loads unchanged.
const tlsKeys = [
  'cert_file',
  'key_file',
  'ca_file',
  'server_name',
  'insecure_skip_verify',
  'min_version',
  'max_version',
];

const labelNameRe = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Reads the `syslog:` block of a scrape config. */
export function parseSyslogConfig(node: ConfigNode): SyslogConfig {
  if (node.missing) node.fail('the syslog block needs at least listen_address');
  node.expectKeys(keys);
  const addressNode = node.get('listen_address');
  if (addressNode.missing) node.failKey('listen_address', 'listen_address is required');
  const listenAddress = addressNode.string();
  splitHostPort(listenAddress, (reason) => addressNode.fail(reason));
  const maxNode = node.get('max_message_length');
  // 0 means "the default" in Promtail.
  const maxMessageLength = maxNode.integer(0) || syslogDefaults.maxMessageLength;
  if (maxMessageLength < 0) maxNode.fail('max_message_length must not be negative');
  const idleNode = node.get('idle_timeout');
  const idleTimeoutMs = idleNode.duration(0) || syslogDefaults.idleTimeoutMs;
  if (idleTimeoutMs < 0) idleNode.fail('idle_timeout must not be negative');
  const config: SyslogConfig = {
    listenAddress,
    listenProtocol: node.get('listen_protocol').oneOf(['tcp', 'udp'], syslogDefaults.listenProtocol),
    idleTimeoutMs,
    labelStructuredData: node.get('label_structured_data').boolean(false),
    labels: parseLabelSet(node.get('labels')),
    useIncomingTimestamp: node.get('use_incoming_timestamp').boolean(false),
    useRfc5424Message: node.get('use_rfc5424_message').boolean(false),
    maxMessageLength,
    syslogFormat: node.get('syslog_format').oneOf(['rfc5424', 'rfc3164'], syslogDefaults.syslogFormat),
  };
  const tls = parseTls(node.get('tls_config'));
  if (tls) config.tls = tls;
  return config;
}

function parseTls(node: ConfigNode): SyslogTlsConfig | undefined {
  node.expectKeys(tlsKeys);
  const certFile = node.get('cert_file').string('');
  const keyFile = node.get('key_file').string('');
  const caFile = node.get('ca_file').string('');
  node.get('server_name').string('');
  node.get('insecure_skip_verify').boolean(false);
  node.get('min_version').string('');
  node.get('max_version').string('');
  // As Promtail: any of the three files turns TLS on, and then certificate and key are required.
  if (!certFile && !keyFile && !caFile) return undefined;
  if (!certFile || !keyFile) node.fail('certificate and key files are required (cert_file, key_file)');
  return caFile ? { certFile, keyFile, caFile } : { certFile, keyFile };
}

function parseLabelSet(node: ConfigNode): LabelSet {
  const out: LabelSet = {};
  for (const [name, value] of node.entries()) {
    if (!labelNameRe.test(name))
      node.failKey(name, `invalid label name "${name}": must match [a-zA-Z_][a-zA-Z0-9_]*`);
    out[name] = value.missing ? '' : value.string();
  }
  return out;
}

/** Splits Go's `host:port` (`:514`, `[::1]:514`); an empty host means every interface. */
export function splitHostPort(
  address: string,
  fail: (reason: string) => never = (r) => {
    throw new Error(r);
  },
): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  if (colon < 0) return fail(`listen address "${address}" has no port (use host:port, e.g. 0.0.0.0:1514)`);
  let host = address.slice(0, colon);
  const portText = address.slice(colon + 1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  else if (host.includes(':'))
    return fail(`listen address "${address}": put an IPv6 host in brackets, e.g. [::1]:1514`);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535)
    return fail(`listen address "${address}": invalid port "${portText}"`);
  return { host, port };
}
