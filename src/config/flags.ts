// The command-line flags that override the config file, as Promtail applies them: `-client.*`
// configures the deprecated `client:`, `-client.external-labels` is merged into every client,
// `-positions.file`, `-server.*` and `-log.*` replace the file's values.

import { isValidLabelName } from '../labels.js';
import type { LabelSet } from '../types.js';
import { defaults } from './defaults.js';
import { parseDuration } from './reader.js';
import { redactUrl } from './redact-url.js';
import type { ClientConfig, Config } from './types.js';

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

/** Flags on top of a config whose legacy `client:` block (if any) is passed apart from `clients`. */
export function overrideFlags(
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
