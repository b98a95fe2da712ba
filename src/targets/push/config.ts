// The `loki_push_api:` block of a scrape config, with Promtail's keys and defaults: its own HTTP
// server (`server:`, a dskit server block merged over dskit's defaults), `labels`,
// `use_incoming_timestamp`, and `max_send_msg_size` (not a Promtail key: Promtail reads bodies of
// any size; Alloy's loki.source.api bounds them at 100 MiB, which logferry follows).

import type { ConfigNode } from '../../config/reader.js';
import { dskitServerKeys } from '../../config/server-keys.js';
import { isValidLabelName } from '../../labels.js';
import type { LabelSet } from '../../types.js';

export interface PushConfig {
  /** `server.http_listen_address`; "" listens on every interface, as dskit does. */
  httpListenAddress: string;
  /** `server.http_listen_port`: dskit's default 80 when absent, as in Promtail. 0 picks a free port. */
  httpListenPort: number;
  /** `server.http_path_prefix`: prepended to every route. */
  httpPathPrefix: string;
  /** `server.http_server_read_timeout` (30s): the whole request, headers and body, must arrive within it. */
  readTimeoutMs: number;
  /** `server.http_server_idle_timeout` (120s): how long a keep-alive connection may sit idle. */
  idleTimeoutMs: number;
  /** `server.graceful_shutdown_timeout` (30s): how long stop() waits for requests in progress. */
  gracefulShutdownTimeoutMs: number;
  /** Keys of `server` that are accepted and mean nothing here (gRPC, ...), for the start-up note. */
  ignoredServerKeys: string[];
  /** `labels`: added to every entry (over the pushed labels of the same name). */
  labels: LabelSet;
  /** `use_incoming_timestamp` (false): keep the pushed timestamp instead of the time of receipt. */
  useIncomingTimestamp: boolean;
  /** `max_send_msg_size` (100 MiB): the largest body, compressed or not, and decoded request. */
  maxSendMsgSize: number;
}

export const defaultMaxSendMsgSize = 100 * 1024 * 1024;

const keys = ['server', 'labels', 'use_incoming_timestamp', 'max_send_msg_size'];

/** dskit server keys that logferry applies to the push listener. */
const serverKeys = [
  'http_listen_address',
  'http_listen_port',
  'http_path_prefix',
  'http_server_read_timeout',
  'http_server_idle_timeout',
  'graceful_shutdown_timeout',
];

/** Parses a `loki_push_api:` block; throws ConfigError naming file, line and key. */
export function parsePushConfig(node: ConfigNode): PushConfig {
  if (!node.isMap() && !node.missing) node.fail('expected a mapping with server, labels, ...');
  node.expectKeys(keys);
  const server = node.get('server');
  server.expectKeys(dskitServerKeys, serverKeys);
  const tls = server.get('http_tls_config');
  if (!tls.missing && tls.keys().length > 0) {
    server.failKey(
      'http_tls_config',
      'TLS on the push listener is not supported yet; put a TLS proxy in front',
    );
  }
  const portNode = server.get('http_listen_port');
  const port = portNode.integer(80);
  if (port < 0 || port > 65535) portNode.fail(`port ${port} is out of range 0-65535`);
  const labels = parseLabelMap(node.get('labels'));
  const maxNode = node.get('max_send_msg_size');
  const maxSendMsgSize = maxNode.byteSize(defaultMaxSendMsgSize);
  if (maxSendMsgSize <= 0) maxNode.fail('must be positive');
  const prefix = server.get('http_path_prefix').string('');
  return {
    httpListenAddress: server.get('http_listen_address').string(''),
    httpListenPort: port,
    // gorilla/mux joins the prefix and each route with the prefix's trailing slashes trimmed.
    httpPathPrefix: prefix.replace(/\/+$/, ''),
    readTimeoutMs: nonNegative(server.get('http_server_read_timeout'), 30_000),
    idleTimeoutMs: nonNegative(server.get('http_server_idle_timeout'), 120_000),
    gracefulShutdownTimeoutMs: nonNegative(server.get('graceful_shutdown_timeout'), 30_000),
    // Promtail starts no useful gRPC server here and forces instrumentation off; logging follows the agent's.
    ignoredServerKeys: server.keys().filter((k) => !serverKeys.includes(k) && k !== 'http_tls_config'),
    labels,
    useIncomingTimestamp: node.get('use_incoming_timestamp').boolean(false),
    maxSendMsgSize,
  };
}

function nonNegative(node: ConfigNode, defaultMs: number): number {
  const ms = node.duration(defaultMs);
  if (ms < 0) node.fail(`must not be negative, got ${node.string()}`);
  return ms;
}

function parseLabelMap(node: ConfigNode): LabelSet {
  const out: LabelSet = {};
  for (const [name, value] of node.entries()) {
    if (!isValidLabelName(name)) {
      node.failKey(name, `invalid label name "${name}": must match [a-zA-Z_][a-zA-Z0-9_]*`);
    }
    out[name] = value.missing ? '' : value.string();
  }
  return out;
}
