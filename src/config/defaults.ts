// Promtail's defaults, in one place: the loader fills every absent key from here, and the
// effective-config printer shows them. Durations in milliseconds, sizes in bytes.

import type {
  BackoffConfig,
  ClientConfig,
  FileWatchConfig,
  LimitsConfig,
  PositionsConfig,
  ServerConfig,
} from './types.js';

export const defaults = {
  server: {
    disable: false,
    httpListenAddress: '',
    // Promtail inherits dskit's 80, which needs privileges; every Promtail example uses 9080.
    httpListenPort: 9080,
    registerInstrumentation: true,
    enableRuntimeReload: false,
    gracefulShutdownTimeoutMs: 30_000,
    logLevel: 'info',
    logFormat: 'logfmt',
    healthCheckTarget: true,
    httpPathPrefix: '',
  } satisfies ServerConfig,
  positions: {
    filename: '/var/log/positions.yaml',
    syncPeriodMs: 10_000,
    ignoreInvalidYaml: false,
  } satisfies PositionsConfig,
  client: {
    batchWaitMs: 1_000,
    batchSizeBytes: 1024 * 1024,
    timeoutMs: 10_000,
    dropRateLimitedBatches: false,
  } satisfies Partial<ClientConfig>,
  backoff: {
    minPeriodMs: 500,
    maxPeriodMs: 5 * 60_000,
    maxRetries: 10,
  } satisfies BackoffConfig,
  limits: {
    readlineRate: 10_000,
    readlineBurst: 10_000,
    readlineRateEnabled: false,
    readlineRateDrop: true,
    maxStreams: 0,
    maxLineSize: 0,
    maxLineSizeTruncate: false,
  } satisfies LimitsConfig,
  targetSyncPeriodMs: 10_000,
  drainGracePeriodMs: 30_000,
  fileWatch: {
    minPollFrequencyMs: 250,
    maxPollFrequencyMs: 250,
  } satisfies FileWatchConfig,
} as const;

/**
 * The longest line handed on when `limits_config.max_line_size` is 0 (unset): Loki's own default
 * `max_line_size` (256 KB), over which Loki refuses the line anyway. Tailers never hold more of a
 * line than the limit, so a line without newlines cannot grow memory without bound.
 */
export const lineSizeCeiling = 256 * 1024;
