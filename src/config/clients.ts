// A `clients:` entry (and the deprecated `client:`): Promtail's keys and defaults, its URL,
// headers and external labels, and the checks over all clients (names, duplicate URLs).

import { isValidLabelName, isValidLabelValue } from '../labels.js';
import type { LabelSet } from '../types.js';
import { parseAuth } from './auth.js';
import { isEmpty, nonNegative, notSupported } from './checks.js';
import { defaults } from './defaults.js';
import type { ConfigNode } from './reader.js';
import { parseTls } from './tls.js';
import type { ClientConfig } from './types.js';

const headerNameRe = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

// --- the client ----------------------------------------------------------------------------------

const clientKeys = [
  'name',
  'url',
  'tenant_id',
  'batchwait',
  'batchsize',
  'timeout',
  'backoff_config',
  'external_labels',
  'headers',
  'basic_auth',
  'authorization',
  'bearer_token',
  'bearer_token_file',
  'proxy_url',
  'tls_config',
  'drop_rate_limited_batches',
];
/** Accepted for Promtail compatibility and ignored (undici follows no redirects on a POST anyway). */
const ignoredClientKeys = ['follow_redirects', 'enable_http2', 'stream_lag_labels'];
const unsupportedClientKeys: Record<string, string> = {
  oauth2: 'use bearer_token_file with a token refreshed by another process',
  no_proxy: 'set proxy_url only on the clients that need it',
  proxy_from_environment: 'set proxy_url',
  proxy_connect_header: '',
  http_headers: 'use headers',
};

export function parseClient(node: ConfigNode, requireUrl: boolean): ClientConfig {
  for (const key of Object.keys(unsupportedClientKeys)) {
    if (!isEmpty(node.get(key))) notSupported(node, key, unsupportedClientKeys[key]!);
  }
  node.expectKeys([...clientKeys, ...ignoredClientKeys, ...Object.keys(unsupportedClientKeys)], clientKeys);
  for (const key of ignoredClientKeys) {
    if (key !== 'stream_lag_labels') node.get(key).boolean(true);
  }
  const urlNode = node.get('url');
  if (urlNode.missing && requireUrl) {
    urlNode.fail('is required: the push URL of Loki, e.g. http://loki:3100/loki/api/v1/push');
  }
  const url = urlNode.missing ? '' : checkUrl(urlNode, urlNode.string());
  const backoffNode = node.get('backoff_config').expectKeys(['min_period', 'max_period', 'max_retries']);
  const b = defaults.backoff;
  const client: ClientConfig = {
    url,
    batchWaitMs: nonNegative(
      node.get('batchwait'),
      node.get('batchwait').duration(defaults.client.batchWaitMs),
    ),
    batchSizeBytes: node.get('batchsize').byteSize(defaults.client.batchSizeBytes),
    timeoutMs: nonNegative(node.get('timeout'), node.get('timeout').duration(defaults.client.timeoutMs)),
    backoff: {
      minPeriodMs: nonNegative(
        backoffNode.get('min_period'),
        backoffNode.get('min_period').duration(b.minPeriodMs),
      ),
      maxPeriodMs: nonNegative(
        backoffNode.get('max_period'),
        backoffNode.get('max_period').duration(b.maxPeriodMs),
      ),
      maxRetries: nonNegative(
        backoffNode.get('max_retries'),
        backoffNode.get('max_retries').integer(b.maxRetries),
      ),
    },
    externalLabels: parseLabels(node.get('external_labels')),
    headers: parseHeaders(node.get('headers')),
    tls: parseTls(node.get('tls_config')),
    dropRateLimitedBatches: node
      .get('drop_rate_limited_batches')
      .boolean(defaults.client.dropRateLimitedBatches),
  };
  const name = node.get('name').optionalString();
  if (name) client.name = name;
  const tenant = node.get('tenant_id').optionalString();
  if (tenant) client.tenantId = tenant;
  const proxy = node.get('proxy_url');
  if (!proxy.missing && proxy.string() !== '') client.proxyUrl = checkUrl(proxy, proxy.string());
  parseAuth(node, client);
  return client;
}

function checkUrl(node: ConfigNode, text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return node.fail(`invalid URL "${text}" (e.g. http://loki:3100/loki/api/v1/push)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    node.fail(`unsupported URL scheme "${url.protocol.replace(/:$/, '')}" (use http or https)`);
  }
  return text;
}

function parseHeaders(node: ConfigNode): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of node.entries()) {
    if (!headerNameRe.test(name)) node.failKey(name, `invalid HTTP header name "${name}"`);
    out[name] = value.missing ? '' : value.string();
  }
  return out;
}

/** A label set from YAML: names as Prometheus allows them, values valid UTF-8. */
export function parseLabels(node: ConfigNode): LabelSet {
  const out: LabelSet = {};
  for (const [name, value] of node.entries()) {
    if (!isValidLabelName(name)) {
      node.failKey(name, `invalid label name "${name}": must match [a-zA-Z_][a-zA-Z0-9_]*`);
    }
    const text = value.missing ? '' : value.string();
    if (!isValidLabelValue(text)) value.fail('label value is not valid UTF-8');
    out[name] = text;
  }
  return out;
}

export function checkClients(
  root: ConfigNode,
  clients: ClientConfig[],
  fromFile: number,
  allowNone: boolean,
): void {
  if (clients.length === 0 && !allowNone) {
    const node = root.get('clients');
    node.fail(
      'at least one client is required: add `clients: [{url: http://loki:3100/loki/api/v1/push}]` or pass -client.url',
    );
  }
  const seen = new Map<string, number>();
  const names = new Map<string, number>();
  clients.forEach((client, i) => {
    // Only clients from `clients:` have a node to point at; others come from `client:` or flags.
    const node = i < fromFile ? root.get('clients').list()[i]! : root.get('client');
    if (client.name) {
      const first = names.get(client.name);
      if (first !== undefined)
        node.get('name').fail(`duplicate client name "${client.name}" (also clients[${first}])`);
      names.set(client.name, i);
    }
    const key = JSON.stringify({ ...client, fromClientKey: undefined });
    const twin = seen.get(key);
    if (twin !== undefined) {
      node.fail(`same settings as clients[${twin}]: two identical clients would send every entry twice`);
    }
    seen.set(key, i);
  });
}
