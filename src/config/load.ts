// Loads a Promtail config file into a Config: Promtail's keys and defaults, `-config.expand-env`,
// the `-client.*`/`-server.*` flags on top, and validation whose every error names the file,
// the line and the key. Unknown keys are errors, as Promtail's strict YAML makes them.

import { readFileSync } from 'node:fs';
import { parseDiscoveryConfigs } from '../discovery/index.js';
import { validatePipeline } from '../pipeline/pipeline.js';
import { parseRelabelRules } from '../relabel/relabel.js';
import type { LabelSet } from '../types.js';
import { parseWalConfig } from '../wal/config.js';
import { defaults } from './defaults.js';
import { EnvExpansionError, expandEnvWithLines } from './expand-env.js';
import { ConfigError, ConfigNode, parseDuration } from './reader.js';
import { redactUrl } from './redact-url.js';
import { checkClientFiles } from './secret-files.js';
import type {
  BasicAuth,
  ClientConfig,
  Config,
  DecompressionConfig,
  FileWatchConfig,
  LimitsConfig,
  PositionsConfig,
  ScrapeConfig,
  ServerConfig,
  StaticConfig,
  TlsConfig,
} from './types.js';

export type FlagValue = string | number | boolean;

/**
 * Command-line flags that override the file, by Promtail's flag name (`client.url`,
 * `server.http-listen-port`, ...): a `ParsedFlags.values` map or a plain object. Only flags the
 * user gave belong here; other names are ignored.
 */
export type FlagOverrides = ReadonlyMap<string, FlagValue> | Readonly<Record<string, FlagValue | undefined>>;

export interface LoadOptions {
  /** `-config.expand-env`: expand `${VAR}` references before parsing. */
  expandEnv: boolean;
  /** The environment for `${VAR}`; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Accept a config without any client (dry-run, inspect). */
  allowNoClients?: boolean;
  /** Flags applied on top of the file, before the checks that depend on them. */
  flags?: FlagOverrides;
  /** -check-syntax: also open the clients' credential and TLS files (see secret-files.ts). */
  checkFiles?: boolean;
}

/** A flag value that cannot be used; the message reads like Go's flag package. */
export class FlagError extends Error {
  override name = 'FlagError';
}

/** Reads and parses a config file; throws ConfigError (or Error when the file cannot be read). */
export function loadConfig(file: string, opts: LoadOptions): Config {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Error(`failed to read config file ${file}: ${(e as Error).message}`);
  }
  return parseConfig(decodeUtf8(bytes, file), file, opts);
}

/** Parses config text; `file` names it in errors. Throws ConfigError or FlagError. */
export function parseConfig(text: string, file: string, opts: LoadOptions): Config {
  let source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let originalLine: ((line: number) => number) | undefined;
  if (opts.expandEnv) {
    try {
      const expanded = expandEnvWithLines(source, opts.env ?? process.env);
      source = expanded.text;
      originalLine = expanded.originalLine;
    } catch (e) {
      if (e instanceof EnvExpansionError)
        throw new ConfigError(file, e.line, '', `-config.expand-env: ${e.reason}`);
      throw e;
    }
  }
  const root = ConfigNode.parse(source, file, originalLine ? { originalLine } : {});
  if (!root.missing && !root.isMap()) {
    root.fail('expected a mapping of sections (server, clients, positions, scrape_configs, ...)');
  }
  root.expectKeys(topLevelKeys);
  if (opts.checkFiles) checkClientFiles(root);

  const limitsNode = pickAlias(root, 'limits_config', 'limit_config');
  parseIgnoredSections(root);
  const clients = root
    .get('clients')
    .list()
    .map((n) => parseClient(n, true));
  const legacyNode = root.get('client');
  const legacy = legacyNode.missing ? undefined : parseClient(legacyNode, false);

  const config: Config = {
    file,
    server: parseServer(root.get('server')),
    positions: parsePositions(root.get('positions')),
    clients,
    scrapeConfigs: parseScrapeConfigs(root.get('scrape_configs')),
    limits: parseLimits(limitsNode),
    targetConfig: parseTargetConfig(root.get('target_config')),
    wal: parseWalConfig(root.get('wal')),
    global: { fileWatch: parseGlobal(root.get('global')) },
  };
  const result = overrideFlags(config, legacy, opts.flags);
  checkClients(root, result.clients, clients.length, opts.allowNoClients ?? false);
  return result;
}

/**
 * Applies command-line flags as Promtail does: the `-client.*` flags configure the client of
 * the deprecated `client:` key (`-client.url` creates it when the file has none, next to any
 * `clients:`), `-client.external-labels` is merged into every client (a client's own labels
 * win), and `-positions.file`, `-server.*` and `-log.*` replace the file's values. Returns a
 * new Config.
 */
export function applyFlagOverrides(config: Config, overrides: FlagOverrides): Config {
  const index = config.clients.findIndex((c) => c.fromClientKey);
  if (index === -1) return overrideFlags(config, undefined, overrides);
  const legacy = config.clients[index]!;
  const others = config.clients.filter((_, i) => i !== index);
  return overrideFlags({ ...config, clients: others }, legacy, overrides, index);
}

const topLevelKeys = [
  'global',
  'server',
  'client',
  'clients',
  'positions',
  'scrape_configs',
  'target_config',
  'limits_config',
  'limit_config',
  'options',
  'tracing',
  'wal',
];

const labelNameRe = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const loneSurrogateRe = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const headerNameRe = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function notSupported(node: ConfigNode, key: string, hint: string): never {
  return node.failKey(key, `is not supported by logferry${hint ? `: ${hint}` : ''}`);
}

/** True when a key is absent, null, an empty list or a mapping with only empty values. */
function isEmpty(node: ConfigNode): boolean {
  if (node.missing) return true;
  if (node.isList()) return node.list().length === 0;
  if (node.isMap()) return node.entries().every(([, v]) => isEmpty(v));
  return node.string() === '' || node.toJS() === false;
}

function pickAlias(root: ConfigNode, key: string, alias: string): ConfigNode {
  const main = root.get(key);
  const old = root.get(alias);
  if (!main.missing && !old.missing) root.failKey(alias, `is the old name of ${key}; give only one of them`);
  return old.missing ? main : old;
}

function parseIgnoredSections(root: ConfigNode): void {
  // Promtail's `options` holds only the deprecated stream_lag_labels.
  const options = root.get('options').expectKeys(['stream_lag_labels']);
  options.get('stream_lag_labels').stringOrList([]);
  // Tracing needs Jaeger environment variables in Promtail; logferry has none to offer.
  root.get('tracing').expectKeys(['enabled']).get('enabled').boolean(false);
}

// --- server -----------------------------------------------------------------------------------

const serverKeys = [
  'disable',
  'http_listen_address',
  'http_listen_port',
  'register_instrumentation',
  'enable_runtime_reload',
  'graceful_shutdown_timeout',
  'log_level',
  'log_format',
  'health_check_target',
  'http_path_prefix',
  'profiling_enabled',
  'external_url',
];

/**
 * dskit server keys Promtail accepts that mean nothing to logferry (no gRPC server, Node's own
 * HTTP timeouts): accepted so Promtail configs load, and ignored.
 */
export const ignoredServerKeys: readonly string[] = [
  'http_listen_network',
  'http_listen_conn_limit',
  'grpc_listen_network',
  'grpc_listen_address',
  'grpc_listen_host',
  'grpc_listen_port',
  'grpc_listen_conn_limit',
  'grpc_collect_max_streams_by_conn',
  'grpc_tls_config',
  'grpc_server_max_recv_msg_size',
  'grpc_server_max_send_msg_size',
  'grpc_server_max_concurrent_streams',
  'grpc_server_max_connection_idle',
  'grpc_server_max_connection_age',
  'grpc_server_max_connection_age_grace',
  'grpc_server_keepalive_time',
  'grpc_server_keepalive_timeout',
  'grpc_server_min_time_between_pings',
  'grpc_server_ping_without_stream_allowed',
  'grpc_server_num_workers',
  'grpc_server_stats_tracking_enabled',
  'grpc_server_recv_buffer_pools_enabled',
  'http_listen_host',
  'http_server_read_timeout',
  'http_server_read_header_timeout',
  'http_server_write_timeout',
  'http_server_idle_timeout',
  'http_log_closed_connections_without_response_enabled',
  'proxy_protocol_enabled',
  'report_grpc_codes_in_instrumentation_label_enabled',
  'log_source_ips_enabled',
  'log_source_ips_full',
  'log_source_ips_header',
  'log_source_ips_regex',
  'log_request_headers',
  'log_request_at_info_level_enabled',
  'log_request_exclude_headers_list',
  'trace_request_headers',
  'trace_request_exclude_headers_list',
  'cluster_validation',
  'tls_cipher_suites',
  'tls_min_version',
];

function parseServer(node: ConfigNode): ServerConfig {
  node.expectKeys([...serverKeys, ...ignoredServerKeys, 'http_tls_config'], serverKeys);
  if (!isEmpty(node.get('http_tls_config'))) {
    notSupported(node, 'http_tls_config', 'serve HTTPS through a proxy in front of logferry');
  }
  const d = defaults.server;
  const port = node.get('http_listen_port').integer(d.httpListenPort);
  if (port < 0 || port > 65535) node.get('http_listen_port').fail(`port ${port} is out of range 0-65535`);
  node.get('profiling_enabled').boolean(false);
  node.get('external_url').string('');
  return {
    disable: node.get('disable').boolean(d.disable),
    httpListenAddress: node.get('http_listen_address').string(d.httpListenAddress),
    httpListenPort: port,
    registerInstrumentation: node.get('register_instrumentation').boolean(d.registerInstrumentation),
    enableRuntimeReload: node.get('enable_runtime_reload').boolean(d.enableRuntimeReload),
    gracefulShutdownTimeoutMs: nonNegative(
      node.get('graceful_shutdown_timeout'),
      node.get('graceful_shutdown_timeout').duration(d.gracefulShutdownTimeoutMs),
    ),
    logLevel: node.get('log_level').oneOf(['debug', 'info', 'warn', 'error'], d.logLevel),
    logFormat: node.get('log_format').oneOf(['logfmt', 'json'], d.logFormat),
    healthCheckTarget: node.get('health_check_target').boolean(d.healthCheckTarget),
    httpPathPrefix: node.get('http_path_prefix').string(d.httpPathPrefix),
  };
}

function nonNegative(node: ConfigNode, value: number): number {
  if (value < 0) node.fail(`must not be negative, got ${value}`);
  return value;
}

// --- clients ----------------------------------------------------------------------------------

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

function parseClient(node: ConfigNode, requireUrl: boolean): ClientConfig {
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

function parseAuth(node: ConfigNode, client: ClientConfig): void {
  const basicNode = node.get('basic_auth');
  if (!basicNode.get('username_file').missing) notSupported(basicNode, 'username_file', 'use username');
  basicNode.expectKeys(
    ['username', 'password', 'password_file', 'username_file'],
    ['username', 'password', 'password_file'],
  );
  const authNode = node.get('authorization').expectKeys(['type', 'credentials', 'credentials_file']);
  const bearer = node.get('bearer_token').optionalString() || undefined;
  const bearerFile = node.get('bearer_token_file').optionalString() || undefined;
  if (bearer && bearerFile)
    node.failKey('bearer_token_file', 'give only one of bearer_token and bearer_token_file');
  if (bearer) client.bearerToken = bearer;
  if (bearerFile) client.bearerTokenFile = bearerFile;

  if (!isEmpty(authNode)) {
    const type = authNode.get('type').string('Bearer');
    if (type.toLowerCase() !== 'bearer') {
      notSupported(
        authNode,
        'type',
        `only the Bearer authorization type is (got "${type}"); use basic_auth for Basic`,
      );
    }
    if (bearer || bearerFile)
      node.failKey('authorization', 'give only one of authorization and bearer_token(_file)');
    const credentials = authNode.get('credentials').optionalString() || undefined;
    const credentialsFile = authNode.get('credentials_file').optionalString() || undefined;
    if (credentials && credentialsFile) {
      authNode.failKey('credentials_file', 'give only one of credentials and credentials_file');
    }
    if (credentials) client.bearerToken = credentials;
    if (credentialsFile) client.bearerTokenFile = credentialsFile;
  }

  if (!isEmpty(basicNode)) {
    if (client.bearerToken || client.bearerTokenFile) {
      node.failKey('basic_auth', 'give only one of basic_auth, authorization and bearer_token(_file)');
    }
    const basic: BasicAuth = { username: basicNode.get('username').string('') };
    const password = basicNode.get('password').optionalString() || undefined;
    const passwordFile = basicNode.get('password_file').optionalString() || undefined;
    if (password && passwordFile)
      basicNode.failKey('password_file', 'give only one of password and password_file');
    if (password) basic.password = password;
    if (passwordFile) basic.passwordFile = passwordFile;
    client.basicAuth = basic;
  }
}

function parseTls(node: ConfigNode): TlsConfig {
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
    if (!labelNameRe.test(name)) {
      node.failKey(name, `invalid label name "${name}": must match [a-zA-Z_][a-zA-Z0-9_]*`);
    }
    const text = value.missing ? '' : value.string();
    if (loneSurrogateRe.test(text)) value.fail('label value is not valid UTF-8');
    out[name] = text;
  }
  return out;
}

function checkClients(root: ConfigNode, clients: ClientConfig[], fromFile: number, allowNone: boolean): void {
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

// --- flags ------------------------------------------------------------------------------------

function flagValue(flags: FlagOverrides | undefined, name: string): FlagValue | undefined {
  if (!flags) return undefined;
  const get = (flags as ReadonlyMap<string, FlagValue>).get;
  if (typeof get === 'function') return (flags as ReadonlyMap<string, FlagValue>).get(name);
  return (flags as Readonly<Record<string, FlagValue | undefined>>)[name];
}

function flagString(flags: FlagOverrides | undefined, name: string): string | undefined {
  const v = flagValue(flags, name);
  return v === undefined ? undefined : String(v);
}

function flagInteger(
  flags: FlagOverrides | undefined,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const v = flagString(flags, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new FlagError(`invalid value "${v}" for flag -${name}: expected an integer from ${min} to ${max}`);
  }
  return n;
}

function flagOneOf<T extends string>(
  flags: FlagOverrides | undefined,
  name: string,
  values: readonly T[],
): T | undefined {
  const v = flagString(flags, name);
  if (v === undefined) return undefined;
  if (!(values as readonly string[]).includes(v)) {
    throw new FlagError(`invalid value "${v}" for flag -${name}: must be one of ${values.join(', ')}`);
  }
  return v as T;
}

/** Parses `-client.external-labels` (`name=value,name2=value2`). */
export function parseExternalLabelsFlag(text: string): LabelSet {
  const out: LabelSet = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim();
    if (eq === -1 || !labelNameRe.test(name)) {
      throw new FlagError(
        `invalid value "${text}" for flag -client.external-labels: "${part}" is not name=value with a valid label name`,
      );
    }
    out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

function defaultClient(url: string): ClientConfig {
  return {
    url,
    batchWaitMs: defaults.client.batchWaitMs,
    batchSizeBytes: defaults.client.batchSizeBytes,
    timeoutMs: defaults.client.timeoutMs,
    backoff: { ...defaults.backoff },
    externalLabels: {},
    headers: {},
    tls: { insecureSkipVerify: false },
    dropRateLimitedBatches: defaults.client.dropRateLimitedBatches,
  };
}

/** Flags on top of a config whose legacy `client:` block (if any) is passed apart from `clients`. */
function overrideFlags(
  config: Config,
  legacyIn: ClientConfig | undefined,
  flags: FlagOverrides | undefined,
  legacyIndex = config.clients.length,
): Config {
  const url = flagString(flags, 'client.url');
  const tenant = flagString(flags, 'client.tenant-id');
  const waitText = flagString(flags, 'client.batch-wait');
  const size = flagInteger(flags, 'client.batch-size-bytes', 0, Number.MAX_SAFE_INTEGER);
  const labelsText = flagString(flags, 'client.external-labels');
  const flagLabels = labelsText === undefined ? undefined : parseExternalLabelsFlag(labelsText);

  let legacy = legacyIn;
  if (
    url !== undefined ||
    tenant !== undefined ||
    waitText !== undefined ||
    size !== undefined ||
    flagLabels
  ) {
    const base = legacy ?? defaultClient('');
    legacy = { ...base, externalLabels: { ...base.externalLabels, ...flagLabels } };
    if (url !== undefined) {
      try {
        const parsed = new URL(url);
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
      } catch {
        throw new FlagError(
          `invalid value "${redactUrl(url)}" for flag -client.url: expected an http or https URL`,
        );
      }
      legacy.url = url;
    }
    if (tenant !== undefined) {
      if (tenant) legacy.tenantId = tenant;
      else delete legacy.tenantId;
    }
    if (waitText !== undefined) {
      const ms = parseDuration(waitText.trim());
      if (ms === undefined || ms < 0) {
        throw new FlagError(
          `invalid value "${waitText}" for flag -client.batch-wait: expected a duration such as 1s`,
        );
      }
      legacy.batchWaitMs = ms;
    }
    if (size !== undefined) legacy.batchSizeBytes = size;
  }

  const clients = [...config.clients];
  if (legacy?.url) clients.splice(legacyIndex, 0, { ...legacy, fromClientKey: true });
  // Promtail merges the `client:` block's labels (the flag's included) into every client.
  const shared = legacy?.externalLabels ?? {};
  const merged =
    Object.keys(shared).length === 0
      ? clients
      : clients.map((c) => ({ ...c, externalLabels: { ...shared, ...c.externalLabels } }));

  const server = { ...config.server };
  const address = flagString(flags, 'server.http-listen-address');
  if (address !== undefined) server.httpListenAddress = address;
  const port = flagInteger(flags, 'server.http-listen-port', 0, 65535);
  if (port !== undefined) server.httpListenPort = port;
  const level = flagOneOf(flags, 'log.level', ['debug', 'info', 'warn', 'error'] as const);
  if (level) server.logLevel = level;
  const format = flagOneOf(flags, 'log.format', ['logfmt', 'json'] as const);
  if (format) server.logFormat = format;
  const positions = { ...config.positions };
  const positionsFile = flagString(flags, 'positions.file');
  if (positionsFile !== undefined) positions.filename = positionsFile;

  return { ...config, server, positions, clients: merged };
}

// --- positions, limits, targets, global --------------------------------------------------------

function parsePositions(node: ConfigNode): PositionsConfig {
  node.expectKeys(['filename', 'sync_period', 'ignore_invalid_yaml']);
  const d = defaults.positions;
  const filename = node.get('filename').string(d.filename);
  if (filename === '') node.get('filename').fail('must not be empty');
  return {
    filename,
    syncPeriodMs: positive(node.get('sync_period'), node.get('sync_period').duration(d.syncPeriodMs)),
    ignoreInvalidYaml: node.get('ignore_invalid_yaml').boolean(d.ignoreInvalidYaml),
  };
}

function positive(node: ConfigNode, value: number): number {
  if (value <= 0) node.fail(`must be greater than 0, got ${value}`);
  return value;
}

function parseLimits(node: ConfigNode): LimitsConfig {
  node.expectKeys([
    'readline_rate',
    'readline_burst',
    'readline_rate_enabled',
    'readline_rate_drop',
    'max_streams',
    'max_line_size',
    'max_line_size_truncate',
  ]);
  const d = defaults.limits;
  return {
    readlineRate: nonNegative(node.get('readline_rate'), node.get('readline_rate').number(d.readlineRate)),
    readlineBurst: nonNegative(
      node.get('readline_burst'),
      node.get('readline_burst').integer(d.readlineBurst),
    ),
    readlineRateEnabled: node.get('readline_rate_enabled').boolean(d.readlineRateEnabled),
    readlineRateDrop: node.get('readline_rate_drop').boolean(d.readlineRateDrop),
    maxStreams: nonNegative(node.get('max_streams'), node.get('max_streams').integer(d.maxStreams)),
    maxLineSize: node.get('max_line_size').byteSize(d.maxLineSize),
    maxLineSizeTruncate: node.get('max_line_size_truncate').boolean(d.maxLineSizeTruncate),
  };
}

function parseTargetConfig(node: ConfigNode): Config['targetConfig'] {
  node.expectKeys(['sync_period', 'drain_grace_period']);
  return {
    syncPeriodMs: positive(
      node.get('sync_period'),
      node.get('sync_period').duration(defaults.targetSyncPeriodMs),
    ),
    // logferry only: how long a target that went away (pod deleted) keeps reading its files.
    drainGracePeriodMs: nonNegative(
      node.get('drain_grace_period'),
      node.get('drain_grace_period').duration(defaults.drainGracePeriodMs),
    ),
  };
}

function parseGlobal(node: ConfigNode): FileWatchConfig {
  node.expectKeys(['file_watch_config']);
  const fw = node.get('file_watch_config').expectKeys(['min_poll_frequency', 'max_poll_frequency']);
  const minNode = fw.get('min_poll_frequency');
  const maxNode = fw.get('max_poll_frequency');
  const min = positive(minNode, minNode.duration(defaults.fileWatch.minPollFrequencyMs));
  // Promtail documents the maximum as "the same as min_poll_frequency" when absent.
  const max = positive(maxNode, maxNode.duration(Math.max(min, defaults.fileWatch.maxPollFrequencyMs)));
  if (max < min) maxNode.fail('must not be less than min_poll_frequency');
  return { minPollFrequencyMs: min, maxPollFrequencyMs: max };
}

// --- scrape configs ---------------------------------------------------------------------------

const scrapeKeys = [
  'job_name',
  'pipeline_stages',
  'static_configs',
  'file_sd_configs',
  'kubernetes_sd_configs',
  'relabel_configs',
  'encoding',
  'decompression',
];

/** Promtail target kinds logferry does not read; a config using one is rejected, not ignored. */
export const unsupportedScrapeKeys: readonly string[] = [
  'syslog',
  'gcplog',
  'loki_push_api',
  'windows_events',
  'kafka',
  'azure_event_hubs',
  'gelf',
  'cloudflare',
  'heroku_drain',
  'docker_sd_configs',
  'dns_sd_configs',
  'consul_sd_configs',
  'consulagent_sd_configs',
  'digitalocean_sd_configs',
  'dockerswarm_sd_configs',
  'serverset_sd_configs',
  'nerve_sd_configs',
  'marathon_sd_configs',
  'gce_sd_configs',
  'ec2_sd_configs',
  'openstack_sd_configs',
  'azure_sd_configs',
  'triton_sd_configs',
];

function parseScrapeConfigs(list: ConfigNode): ScrapeConfig[] {
  const configs: ScrapeConfig[] = [];
  const jobs = new Map<string, number>();
  for (const node of list.list()) {
    const sc = parseScrapeConfig(node);
    const first = jobs.get(sc.jobName);
    if (first !== undefined) {
      node.get('job_name').fail(`duplicate job_name "${sc.jobName}" (first used on line ${first})`);
    }
    jobs.set(sc.jobName, sc.line);
    configs.push(sc);
  }
  return configs;
}

function parseScrapeConfig(node: ConfigNode): ScrapeConfig {
  if (!node.isMap()) node.fail('expected a mapping with job_name, static_configs, ...');
  if (!node.get('journal').missing) {
    node.failKey(
      'journal',
      'reading the systemd journal is not supported yet; keep Promtail for this job for now',
    );
  }
  for (const key of unsupportedScrapeKeys) {
    if (!isEmpty(node.get(key))) {
      notSupported(
        node,
        key,
        'logferry reads log files found by static_configs, file_sd_configs and kubernetes_sd_configs',
      );
    }
  }
  node.expectKeys([...scrapeKeys, 'journal', ...unsupportedScrapeKeys], scrapeKeys);
  const jobNode = node.get('job_name');
  const jobName = jobNode.string();
  if (jobName === '') jobNode.fail('job_name is empty');

  const relabelNode = node.get('relabel_configs');
  const sc: ScrapeConfig = {
    jobName,
    staticConfigs: node
      .get('static_configs')
      .list()
      .map((n) => parseStaticConfig(n)),
    kubernetesSdConfigs: node.get('kubernetes_sd_configs').list(),
    fileSdConfigs: node.get('file_sd_configs').list(),
    relabelConfigs: relabelNode.missing ? [] : parseRelabelRules(relabelNode),
    pipelineStages: node.get('pipeline_stages'),
    line: jobNode.line,
  };
  // Builds every stage once with throwaway state: a stage's own option errors surface here.
  validatePipeline(sc.pipelineStages, jobName);
  // Discovery configs are parsed (not connected) now, so -check-syntax and reloads catch their errors.
  parseDiscoveryConfigs(sc);

  const encodingNode = node.get('encoding');
  if (!encodingNode.missing) {
    const encoding = encodingNode.string();
    // Files are decoded as UTF-8; other encodings are refused rather than read wrongly.
    if (!/^utf-?8$/i.test(encoding)) {
      encodingNode.fail(`encoding "${encoding}" is not supported yet: logferry reads files as UTF-8`);
    }
    sc.encoding = encoding;
  }
  const decompression = parseDecompression(node.get('decompression'));
  if (decompression) sc.decompression = decompression;
  return sc;
}

function parseStaticConfig(node: ConfigNode): StaticConfig {
  node.expectKeys(['targets', 'labels']);
  return { targets: node.get('targets').stringList([]), labels: parseLabels(node.get('labels')) };
}

function parseDecompression(node: ConfigNode): DecompressionConfig | undefined {
  node.expectKeys(['enabled', 'initial_delay', 'format']);
  if (node.missing) return undefined;
  const enabled = node.get('enabled').boolean(false);
  const formatNode = node.get('format');
  const initialDelayMs = nonNegative(node.get('initial_delay'), node.get('initial_delay').duration(0));
  if (formatNode.missing || formatNode.string() === '') {
    if (enabled) formatNode.fail('is required when decompression is enabled (gz or z)');
    return undefined;
  }
  if (formatNode.string() === 'bz2') {
    formatNode.fail(
      'bz2 is not supported by logferry (no maintained bzip2 decoder for Node.js); use gz or z',
    );
  }
  return { enabled, initialDelayMs, format: formatNode.oneOf(['gz', 'z']) };
}

// --- file decoding ----------------------------------------------------------------------------

/** The file as text; invalid UTF-8 fails on its line, as Go's YAML parser rejects it. */
function decodeUtf8(bytes: Buffer, file: string): string {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    return decoder.decode(bytes);
  } catch {
    let start = 0;
    for (let line = 1; ; line++) {
      const end = bytes.indexOf(0x0a, start);
      try {
        decoder.decode(bytes.subarray(start, end === -1 ? bytes.length : end));
      } catch {
        throw new ConfigError(file, line, '', 'the file is not valid UTF-8');
      }
      if (end === -1) throw new ConfigError(file, line, '', 'the file is not valid UTF-8');
      start = end + 1;
    }
  }
}
