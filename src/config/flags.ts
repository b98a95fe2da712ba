// The command-line flags that override the config file, as Promtail applies them: `-client.*`
// configures the deprecated `client:` (or the `clients:` entry whose URL `-client.url` repeats),
// `-client.external-labels` is merged into every client, and the `-positions.*`, `-target.*`,
// `-file-watch.*`, `-limit.*`/`-max-*`, `-server.*` and `-log.*` flags replace the file's values.

import { isValidLabelName } from '../labels.js';
import type { LabelSet } from '../types.js';
import { defaults } from './defaults.js';
import { parseByteSize, parseDuration } from './reader.js';
import { redactUrl } from './redact-url.js';
import {
  type ClientConfig,
  type Config,
  clientAuthTypes,
  type LimitsConfig,
  type ServerConfig,
  type ServerTlsConfig,
  tlsVersions,
} from './types.js';

export type FlagValue = string | number | boolean;

/**
 * Command-line flags that override the file, by Promtail's flag name (`client.url`,
 * `server.http-listen-port`, ...): a `ParsedFlags.values` map or a plain object. Only flags the
 * user gave belong here; other names are ignored.
 */
export type FlagOverrides = ReadonlyMap<string, FlagValue> | Readonly<Record<string, FlagValue | undefined>>;

/** A flag value that cannot be used; the message reads like Go's flag package. */
export class FlagError extends Error {
  override name = 'FlagError';
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
    if (eq === -1 || !isValidLabelName(name)) {
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

function flagDuration(flags: FlagOverrides | undefined, name: string): number | undefined {
  const v = flagString(flags, name);
  if (v === undefined) return undefined;
  const ms = parseDuration(v.trim());
  if (ms === undefined || ms < 0) {
    throw new FlagError(`invalid value "${v}" for flag -${name}: expected a duration such as 10s`);
  }
  return ms;
}

function flagBoolean(flags: FlagOverrides | undefined, name: string): boolean | undefined {
  const v = flagValue(flags, name);
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new FlagError(`invalid boolean value "${v}" for flag -${name}`);
}

function flagNumber(flags: FlagOverrides | undefined, name: string): number | undefined {
  const v = flagString(flags, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new FlagError(`invalid value "${v}" for flag -${name}: expected a number`);
  }
  return n;
}

/** The client flags Promtail registers on its deprecated `client:` block. */
const clientFlagNames = [
  'client.url',
  'client.tenant-id',
  'client.batch-wait',
  'client.batch-size-bytes',
  'client.timeout',
  'client.max-retries',
  'client.min-backoff',
  'client.max-backoff',
  'client.external-labels',
  'client.drop-rate-limited-batches',
];

/** The `-client.*` flags applied to one client (a copy). */
function applyClientFlags(base: ClientConfig, flags: FlagOverrides | undefined): ClientConfig {
  const client: ClientConfig = {
    ...base,
    backoff: { ...base.backoff },
    externalLabels: { ...base.externalLabels },
  };
  const url = flagString(flags, 'client.url');
  if (url) client.url = checkFlagUrl(url);
  const tenant = flagString(flags, 'client.tenant-id');
  if (tenant !== undefined) {
    if (tenant) client.tenantId = tenant;
    else delete client.tenantId;
  }
  const wait = flagDuration(flags, 'client.batch-wait');
  if (wait !== undefined) client.batchWaitMs = wait;
  const size = flagInteger(flags, 'client.batch-size-bytes', 0, Number.MAX_SAFE_INTEGER);
  if (size !== undefined) client.batchSizeBytes = size;
  const timeout = flagDuration(flags, 'client.timeout');
  if (timeout !== undefined) client.timeoutMs = timeout;
  const retries = flagInteger(flags, 'client.max-retries', 0, Number.MAX_SAFE_INTEGER);
  if (retries !== undefined) client.backoff.maxRetries = retries;
  const minBackoff = flagDuration(flags, 'client.min-backoff');
  if (minBackoff !== undefined) client.backoff.minPeriodMs = minBackoff;
  const maxBackoff = flagDuration(flags, 'client.max-backoff');
  if (maxBackoff !== undefined) client.backoff.maxPeriodMs = maxBackoff;
  const drop = flagBoolean(flags, 'client.drop-rate-limited-batches');
  if (drop !== undefined) client.dropRateLimitedBatches = drop;
  const labelsText = flagString(flags, 'client.external-labels');
  if (labelsText !== undefined) Object.assign(client.externalLabels, parseExternalLabelsFlag(labelsText));
  return client;
}

function checkFlagUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new FlagError(
      `invalid value "${redactUrl(url)}" for flag -client.url: expected an http or https URL`,
    );
  }
  return url;
}

/** Flags on top of a config whose legacy `client:` block (if any) is passed apart from `clients`. */
export function overrideFlags(
  config: Config,
  legacyIn: ClientConfig | undefined,
  flags: FlagOverrides | undefined,
  legacyIndex = config.clients.length,
): Config {
  let clients = [...config.clients];
  let legacy = legacyIn;
  const anyClientFlag = clientFlagNames.some((n) => flagValue(flags, n) !== undefined);
  // An empty -client.url (a template's unset variable) sets nothing, as Go's URL flag leaves no client.
  const url = flagString(flags, 'client.url') || undefined;
  // `-client.url` naming a URL a `clients:` entry already has (a unit file that repeats the
  // config) sets that client rather than adding a second one that would send everything twice.
  const twin = legacy || url === undefined ? -1 : clients.findIndex((c) => c.url === url);
  if (twin !== -1) {
    clients[twin] = applyClientFlags(clients[twin]!, flags);
  } else if (anyClientFlag) {
    legacy = applyClientFlags(legacy ?? defaultClient(''), flags);
  }
  if (legacy?.url) clients.splice(legacyIndex, 0, { ...legacy, fromClientKey: true });
  // Promtail merges the `client:` block's labels (the flag's included) into every client.
  const shared = {
    ...legacy?.externalLabels,
    ...(twin !== -1 && flagString(flags, 'client.external-labels') !== undefined
      ? parseExternalLabelsFlag(flagString(flags, 'client.external-labels')!)
      : {}),
  };
  if (Object.keys(shared).length > 0) {
    clients = clients.map((c) => ({ ...c, externalLabels: { ...shared, ...c.externalLabels } }));
  }

  const server = overrideServer(config.server, flags);
  const positions = { ...config.positions };
  const positionsFile = flagString(flags, 'positions.file');
  if (positionsFile !== undefined) {
    if (positionsFile === '')
      throw new FlagError('invalid value "" for flag -positions.file: must not be empty');
    positions.filename = positionsFile;
  }
  const positionsSync = flagDuration(flags, 'positions.sync-period');
  if (positionsSync !== undefined) positions.syncPeriodMs = positive('positions.sync-period', positionsSync);
  const ignoreInvalid = flagBoolean(flags, 'positions.ignore-invalid-yaml');
  if (ignoreInvalid !== undefined) positions.ignoreInvalidYaml = ignoreInvalid;

  const targetConfig = { ...config.targetConfig };
  const targetSync = flagDuration(flags, 'target.sync-period');
  if (targetSync !== undefined) targetConfig.syncPeriodMs = positive('target.sync-period', targetSync);
  const fileWatch = { ...config.global.fileWatch };
  const minPoll = flagDuration(flags, 'file-watch.min_poll_frequency');
  if (minPoll !== undefined)
    fileWatch.minPollFrequencyMs = positive('file-watch.min_poll_frequency', minPoll);
  const maxPoll = flagDuration(flags, 'file-watch.max_poll_frequency');
  if (maxPoll !== undefined)
    fileWatch.maxPollFrequencyMs = positive('file-watch.max_poll_frequency', maxPoll);
  if (
    fileWatch.maxPollFrequencyMs < fileWatch.minPollFrequencyMs &&
    (minPoll !== undefined || maxPoll !== undefined)
  ) {
    throw new FlagError(
      '-file-watch.max_poll_frequency must not be less than -file-watch.min_poll_frequency',
    );
  }

  return {
    ...config,
    server,
    positions,
    clients,
    targetConfig,
    global: { ...config.global, fileWatch },
    limits: overrideLimits(config.limits, flags),
  };
}

function positive(name: string, ms: number): number {
  if (ms <= 0) throw new FlagError(`invalid value for flag -${name}: must be greater than 0`);
  return ms;
}

function overrideServer(base: ServerConfig, flags: FlagOverrides | undefined): ServerConfig {
  const server = { ...base };
  const address = flagString(flags, 'server.http-listen-address');
  if (address !== undefined) server.httpListenAddress = address;
  const port = flagInteger(flags, 'server.http-listen-port', 0, 65535);
  if (port !== undefined) server.httpListenPort = port;
  const prefix = flagString(flags, 'server.path-prefix');
  if (prefix !== undefined) server.httpPathPrefix = prefix;
  const disable = flagBoolean(flags, 'server.disable');
  if (disable !== undefined) server.disable = disable;
  const reload = flagBoolean(flags, 'server.enable-runtime-reload');
  if (reload !== undefined) server.enableRuntimeReload = reload;
  const instrumentation = flagBoolean(flags, 'server.register-instrumentation');
  if (instrumentation !== undefined) server.registerInstrumentation = instrumentation;
  const grace = flagDuration(flags, 'server.graceful-shutdown-timeout');
  if (grace !== undefined) server.gracefulShutdownTimeoutMs = grace;
  const level = flagOneOf(flags, 'log.level', ['debug', 'info', 'warn', 'error'] as const);
  if (level) server.logLevel = level;
  const format = flagOneOf(flags, 'log.format', ['logfmt', 'json'] as const);
  if (format) server.logFormat = format;

  const tls: ServerTlsConfig = { ...(server.httpTls ?? { clientAuthType: 'NoClientCert' }) };
  let tlsFlag = false;
  for (const [name, field] of [
    ['server.http-tls-cert-path', 'certFile'],
    ['server.http-tls-key-path', 'keyFile'],
    ['server.http-tls-ca-path', 'clientCaFile'],
  ] as const) {
    const v = flagString(flags, name);
    if (v === undefined) continue;
    tlsFlag = true;
    if (v) tls[field] = v;
    else delete tls[field];
  }
  const auth = flagString(flags, 'server.http-tls-client-auth');
  if (auth !== undefined) {
    tlsFlag = true;
    const value = auth || 'NoClientCert';
    if (!(clientAuthTypes as readonly string[]).includes(value)) {
      throw new FlagError(
        `invalid value "${auth}" for flag -server.http-tls-client-auth: must be one of ${clientAuthTypes.join(', ')}`,
      );
    }
    tls.clientAuthType = value as ServerTlsConfig['clientAuthType'];
  }
  const min = flagOneOf(flags, 'server.tls-min-version', ['', ...tlsVersions] as const);
  if (min !== undefined) {
    tlsFlag = true;
    if (min) tls.minVersion = min;
    else delete tls.minVersion;
  }
  if (tlsFlag || server.httpTls) server.httpTls = tls;
  return server;
}

function overrideLimits(base: LimitsConfig, flags: FlagOverrides | undefined): LimitsConfig {
  const limits = { ...base };
  const rate = flagNumber(flags, 'limit.readline-rate');
  if (rate !== undefined) limits.readlineRate = rate;
  const burst = flagInteger(flags, 'limit.readline-burst', 0, Number.MAX_SAFE_INTEGER);
  if (burst !== undefined) limits.readlineBurst = burst;
  const enabled = flagBoolean(flags, 'limit.readline-rate-enabled');
  if (enabled !== undefined) limits.readlineRateEnabled = enabled;
  const drop = flagBoolean(flags, 'limit.readline-rate-drop');
  if (drop !== undefined) limits.readlineRateDrop = drop;
  const streams = flagInteger(flags, 'max-streams', 0, Number.MAX_SAFE_INTEGER);
  if (streams !== undefined) limits.maxStreams = streams;
  const lineSize = flagString(flags, 'max-line-size');
  if (lineSize !== undefined) {
    const bytes = parseByteSize(lineSize);
    if (bytes === undefined) {
      throw new FlagError(
        `invalid value "${lineSize}" for flag -max-line-size: expected a size such as 256kb or 2MB`,
      );
    }
    limits.maxLineSize = bytes;
  }
  const truncate = flagBoolean(flags, 'max-line-size-truncate');
  if (truncate !== undefined) limits.maxLineSizeTruncate = truncate;
  return limits;
}
