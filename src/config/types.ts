// The parsed, validated, defaulted configuration: Promtail's keys, in camelCase.
// Durations are in milliseconds, sizes in bytes. `config/load.ts` produces it from YAML.

import type { RelabelRule } from '../relabel/relabel.js';
import type { SourceConfig } from '../targets/kinds.js';
import type { LabelSet } from '../types.js';
import type { WalConfig } from '../wal/config.js';
import type { ConfigNode, ConfigWarning } from './reader.js';

export interface Config {
  /** Path of the config file it was read from (for errors and /config). */
  file: string;
  server: ServerConfig;
  positions: PositionsConfig;
  clients: ClientConfig[];
  scrapeConfigs: ScrapeConfig[];
  limits: LimitsConfig;
  /** `target_config`: `sync_period` (10s) and logferry's `drain_grace_period` (30s). */
  targetConfig: { syncPeriodMs: number; drainGracePeriodMs: number };
  global: { fileWatch: FileWatchConfig };
  /** What Promtail ignores silently and logferry reports (unknown stage keys); printed at load. */
  warnings?: ConfigWarning[];
  /** The disk buffer (`wal:`); absent means off. */
  wal?: WalConfig;
}

export interface ServerConfig {
  /** `server.disable`: no HTTP server at all. */
  disable: boolean;
  httpListenAddress: string;
  /** Default 9080. 0 picks a free port. */
  httpListenPort: number;
  /** `server.register_instrumentation`: serve /metrics. */
  registerInstrumentation: boolean;
  /** `server.enable_runtime_reload`: allow POST /reload. */
  enableRuntimeReload: boolean;
  /** `server.graceful_shutdown_timeout`, default 30s. */
  gracefulShutdownTimeoutMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  logFormat: 'logfmt' | 'json';
  /** `server.health_check_target` (default true): /ready fails until a target is tailed. Set by the loader. */
  healthCheckTarget?: boolean;
  /** `server.http_path_prefix`: base path of every route (default ""). Set by the loader. */
  httpPathPrefix?: string;
  /** `server.http_tls_config` (and `-server.http-tls-*`): serve HTTPS when a certificate and key are set. */
  httpTls?: ServerTlsConfig;
}

/** Client certificate policies, by Go's crypto/tls names (as Promtail's `client_auth_type`). */
export const clientAuthTypes = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof clientAuthTypes)[number];

export const tlsVersions = ['VersionTLS10', 'VersionTLS11', 'VersionTLS12', 'VersionTLS13'] as const;

/** The HTTPS server's TLS settings: dskit's `http_tls_config` plus `tls_min_version`. */
export interface ServerTlsConfig {
  certFile?: string;
  keyFile?: string;
  /** `cert` / `key` / `client_ca`: PEM text in the config itself. */
  cert?: string;
  key?: string;
  clientAuthType: ClientAuthType;
  clientCaFile?: string;
  clientCa?: string;
  /** `tls_min_version`, e.g. VersionTLS12; absent = Node's default. */
  minVersion?: (typeof tlsVersions)[number];
}

export interface PositionsConfig {
  /** Default /var/log/positions.yaml. */
  filename: string;
  /** Default 10s. */
  syncPeriodMs: number;
  ignoreInvalidYaml: boolean;
}

export interface BackoffConfig {
  /** Default 500ms. */
  minPeriodMs: number;
  /** Default 5m. */
  maxPeriodMs: number;
  /** Default 10; 0 retries for ever. */
  maxRetries: number;
}

export interface TlsConfig {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  serverName?: string;
  insecureSkipVerify: boolean;
}

export interface BasicAuth {
  username: string;
  password?: string;
  passwordFile?: string;
}

export interface ClientConfig {
  /** `name`: names the client in logs and metrics; unique among clients. */
  name?: string;
  url: string;
  tenantId?: string;
  /** Default 1s. */
  batchWaitMs: number;
  /** Default 1 MiB (1048576). */
  batchSizeBytes: number;
  /** Default 10s. */
  timeoutMs: number;
  backoff: BackoffConfig;
  externalLabels: LabelSet;
  headers: Record<string, string>;
  basicAuth?: BasicAuth;
  bearerToken?: string;
  bearerTokenFile?: string;
  tls: TlsConfig;
  proxyUrl?: string;
  dropRateLimitedBatches: boolean;
  /**
   * True for the client from the deprecated single `client:` key (or added by `-client.url`):
   * the `-client.*` flags apply to it, as in Promtail.
   */
  fromClientKey?: boolean;
}

export interface StaticConfig {
  targets: string[];
  labels: LabelSet;
}

export interface ScrapeConfig {
  jobName: string;
  staticConfigs: StaticConfig[];
  /** `kubernetes_sd_configs`, parsed by discovery/kubernetes.ts. */
  kubernetesSdConfigs: ConfigNode[];
  /** `file_sd_configs`, parsed by discovery/file-sd.ts. */
  fileSdConfigs: ConfigNode[];
  relabelConfigs: RelabelRule[];
  /** `pipeline_stages`, the list node: validated at load, built per target by pipeline/pipeline.ts. */
  pipelineStages: ConfigNode;
  /** The YAML line of this scrape config's `job_name`, for the dry-run tools. */
  line: number;
  /** `encoding`: the files' character set (a WHATWG/IANA label such as UTF-16, windows-1252); absent = UTF-8. */
  encoding?: string;
  /** `decompression`; absent = files are read as they are. */
  decompression?: DecompressionConfig;
  /** `journal:`, `syslog:` or `loki_push_api:`: the job reads that source, not files (no `__path__` discovery). */
  source?: SourceConfig;
}

export interface DecompressionConfig {
  enabled: boolean;
  /** `initial_delay`: wait before reading a compressed file that just appeared (default 0). */
  initialDelayMs: number;
  /** `format`: gz or z (zlib); bz2 is refused at load. */
  format: 'gz' | 'z';
}

export interface LimitsConfig {
  /** Lines per second per stream; 0 is unlimited. `readline_rate`. */
  readlineRate: number;
  readlineBurst: number;
  readlineRateEnabled: boolean;
  readlineRateDrop: boolean;
  /** 0 is unlimited. */
  maxStreams: number;
  /** Bytes; 0 is unlimited. */
  maxLineSize: number;
  maxLineSizeTruncate: boolean;
}

export interface FileWatchConfig {
  /** `min_poll_frequency`, default 250ms. */
  minPollFrequencyMs: number;
  /** `max_poll_frequency`, default 250ms. */
  maxPollFrequencyMs: number;
}
