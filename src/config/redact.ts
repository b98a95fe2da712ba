// The effective config as YAML, with Promtail's key names and Go's duration format, and every
// secret shown as <secret>: what /config serves and -print-config-stderr prints. Secrets are
// the values of secret-named keys, the user info and query values of every URL, and every
// header value but those of a few harmless names. `redactUrlsIn` does the same for messages.

import { stringify } from 'yaml';
import type { RelabelRule } from '../relabel/relabel.js';
import { formatDuration } from './reader.js';
import { redactUrl, SECRET } from './redact-url.js';
import type { ClientConfig, Config, ScrapeConfig, ServerTlsConfig } from './types.js';

export { redactUrl, redactUrlsIn, SECRET } from './redact-url.js';

/** Keys whose values are secrets wherever they appear (paths to secret files are not). */
const secretKey = /password|passwd|token|secret|credential|api_?key/i;
/** Keys whose values are URLs: shown with user info and query values hidden. */
const urlKey = /(^|_)url$|^api_server$/;
/** Keys whose values map header names to values. */
const headersKey = /^(http_)?headers$/;

/** The config as YAML, secrets replaced by <secret>. */
export function configToYaml(config: Config): string {
  const out: Record<string, unknown> = {
    global: {
      file_watch_config: {
        min_poll_frequency: formatDuration(config.global.fileWatch.minPollFrequencyMs),
        max_poll_frequency: formatDuration(config.global.fileWatch.maxPollFrequencyMs),
      },
    },
    server: {
      disable: config.server.disable,
      http_listen_address: config.server.httpListenAddress,
      http_listen_port: config.server.httpListenPort,
      http_path_prefix: config.server.httpPathPrefix ?? '',
      register_instrumentation: config.server.registerInstrumentation,
      graceful_shutdown_timeout: formatDuration(config.server.gracefulShutdownTimeoutMs),
      log_level: config.server.logLevel,
      log_format: config.server.logFormat,
      health_check_target: config.server.healthCheckTarget ?? true,
      enable_runtime_reload: config.server.enableRuntimeReload,
      ...serverTlsToYaml(config.server.httpTls),
    },
    clients: config.clients.map(clientToYaml),
    positions: {
      filename: config.positions.filename,
      sync_period: formatDuration(config.positions.syncPeriodMs),
      ignore_invalid_yaml: config.positions.ignoreInvalidYaml,
    },
    scrape_configs: config.scrapeConfigs.map(scrapeToYaml),
    target_config: { sync_period: formatDuration(config.targetConfig.syncPeriodMs) },
    limits_config: {
      readline_rate: config.limits.readlineRate,
      readline_burst: config.limits.readlineBurst,
      readline_rate_enabled: config.limits.readlineRateEnabled,
      readline_rate_drop: config.limits.readlineRateDrop,
      max_streams: config.limits.maxStreams,
      max_line_size: config.limits.maxLineSize,
      max_line_size_truncate: config.limits.maxLineSizeTruncate,
    },
    ...(config.wal?.enabled && {
      wal: {
        enabled: config.wal.enabled,
        dir: config.wal.dir,
        max_size: config.wal.maxSize,
        full_policy: config.wal.fullPolicy,
      },
    }),
  };
  return stringify(out, { lineWidth: 0, aliasDuplicateObjects: false });
}

function serverTlsToYaml(tls: ServerTlsConfig | undefined): Record<string, unknown> {
  if (!tls) return {};
  const out: Record<string, unknown> = {};
  if (tls.certFile) out.cert_file = tls.certFile;
  if (tls.keyFile) out.key_file = tls.keyFile;
  if (tls.cert) out.cert = tls.cert;
  if (tls.key) out.key = SECRET;
  out.client_auth_type = tls.clientAuthType;
  if (tls.clientCaFile) out.client_ca_file = tls.clientCaFile;
  if (tls.clientCa) out.client_ca = tls.clientCa;
  return { http_tls_config: out, ...(tls.minVersion ? { tls_min_version: tls.minVersion } : {}) };
}

function clientToYaml(c: ClientConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (c.name) out.name = c.name;
  out.url = redactUrl(c.url);
  if (c.tenantId) out.tenant_id = c.tenantId;
  out.batchwait = formatDuration(c.batchWaitMs);
  out.batchsize = c.batchSizeBytes;
  if (Object.keys(c.headers).length > 0) {
    out.headers = redactHeaders(c.headers);
  }
  if (c.basicAuth) {
    const basic: Record<string, unknown> = { username: c.basicAuth.username };
    if (c.basicAuth.password) basic.password = SECRET;
    if (c.basicAuth.passwordFile) basic.password_file = c.basicAuth.passwordFile;
    out.basic_auth = basic;
  }
  if (c.bearerToken) out.bearer_token = SECRET;
  if (c.bearerTokenFile) out.bearer_token_file = c.bearerTokenFile;
  if (c.proxyUrl) out.proxy_url = redactUrl(c.proxyUrl);
  const tls: Record<string, unknown> = {};
  if (c.tls.caFile) tls.ca_file = c.tls.caFile;
  if (c.tls.certFile) tls.cert_file = c.tls.certFile;
  if (c.tls.keyFile) tls.key_file = c.tls.keyFile;
  if (c.tls.serverName) tls.server_name = c.tls.serverName;
  tls.insecure_skip_verify = c.tls.insecureSkipVerify;
  out.tls_config = tls;
  out.backoff_config = {
    min_period: formatDuration(c.backoff.minPeriodMs),
    max_period: formatDuration(c.backoff.maxPeriodMs),
    max_retries: c.backoff.maxRetries,
  };
  out.drop_rate_limited_batches = c.dropRateLimitedBatches;
  if (Object.keys(c.externalLabels).length > 0) out.external_labels = { ...c.externalLabels };
  out.timeout = formatDuration(c.timeoutMs);
  return out;
}

function scrapeToYaml(sc: ScrapeConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { job_name: sc.jobName };
  const stages = sc.pipelineStages.toJS();
  if (Array.isArray(stages) && stages.length > 0) out.pipeline_stages = redactValue(stages);
  if (sc.encoding) out.encoding = sc.encoding;
  if (sc.decompression) {
    out.decompression = {
      enabled: sc.decompression.enabled,
      initial_delay: formatDuration(sc.decompression.initialDelayMs),
      format: sc.decompression.format,
    };
  }
  if (sc.relabelConfigs.length > 0) out.relabel_configs = sc.relabelConfigs.map(ruleToYaml);
  if (sc.staticConfigs.length > 0) {
    out.static_configs = sc.staticConfigs.map((s) => ({ targets: [...s.targets], labels: { ...s.labels } }));
  }
  if (sc.fileSdConfigs.length > 0) out.file_sd_configs = sc.fileSdConfigs.map((n) => redactValue(n.toJS()));
  if (sc.kubernetesSdConfigs.length > 0) {
    out.kubernetes_sd_configs = sc.kubernetesSdConfigs.map((n) => redactValue(n.toJS()));
  }
  return out;
}

function ruleToYaml(rule: RelabelRule): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (rule.sourceLabels.length > 0) out.source_labels = [...rule.sourceLabels];
  out.separator = rule.separator;
  // Prometheus prints the pattern as written, without the anchors it adds.
  const anchored = /^\^\(\?:([\s\S]*)\)\$$/.exec(rule.regex.source);
  out.regex = anchored ? anchored[1] : rule.regex.source;
  if (rule.modulus) out.modulus = rule.modulus;
  if (rule.targetLabel) out.target_label = rule.targetLabel;
  out.replacement = rule.replacement;
  out.action = rule.action;
  return out;
}

/** A copy of a plain YAML value with the values of secret-named keys, URLs and headers redacted. */
export function redactValue(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redactValue(v, key));
  if (headersKey.test(key) && value !== null && typeof value === 'object') {
    return redactHeaders(value as Record<string, unknown>);
  }
  if (urlKey.test(key) && typeof value === 'string') return redactUrl(value);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, k)]));
  }
  if (isSecretKey(key) && value !== null && value !== undefined && value !== '') return SECRET;
  return value;
}

export function isSecretKey(key: string): boolean {
  return secretKey.test(key) && !/_file$/.test(key);
}

/**
 * Header names whose values are shown: they describe the request, never authorize it. Every
 * other header's value is a secret (a gateway's `X-Api-Key`, `X-Token`, `Cookie` ...).
 */
const harmlessHeaders = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'connection',
  'content-encoding',
  'content-language',
  'content-type',
  'user-agent',
  'x-scope-orgid',
]);

/** Headers with every value shown as <secret> except those of harmless names. */
export function redactHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [
      name,
      harmlessHeaders.has(name.toLowerCase()) || value === '' || value === null ? value : SECRET,
    ]),
  );
}
