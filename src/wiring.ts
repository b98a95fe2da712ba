// Builds what the CLI runs from flags and config: the effective config (file + flags), and the
// consumer entries go to (the Loki clients behind the readline limiter, through the disk buffer
// when `wal.enabled`, or the dry-run printer).

import { LokiClient } from './client/client.js';
import { DryRunPrinter, dryRunColour } from './client/dry-run.js';
import { ClientFanout } from './client/fanout.js';
import { createReadlineLimiter } from './client/limits.js';
import { envHint } from './config/expand-env.js';
import { FlagError } from './config/flags.js';
import { ConfigFileError, loadConfig } from './config/load.js';
import { ConfigError } from './config/reader.js';
import { configToYaml } from './config/redact.js';
import { redactUrlsIn } from './config/redact-url.js';
import type { Config } from './config/types.js';
import { flagValue, type ParsedFlags } from './flags.js';
import { formatLabels } from './labels.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { EntryConsumer } from './types.js';
import { walClientName, walConsumer } from './wal/consumer.js';

export function loadEffectiveConfig(flags: ParsedFlags, opts: { allowNoClients: boolean }): Config {
  return loadConfig(flagValue<string>(flags, 'config.file'), {
    expandEnv: flagValue<boolean>(flags, 'config.expand-env'),
    allowNoClients: opts.allowNoClients,
    flags: flags.values,
    strict: flagValue<boolean>(flags, 'config.strict'),
    checkFiles: flagValue<boolean>(flags, 'check-syntax'),
  });
}

/**
 * What a user reads when the config cannot be used: one line for a file that cannot be read,
 * every error (up to 20) of a file that can, a hint when `${VAR}` is used without
 * -config.expand-env; and the exit code (1, or 2 for a bad flag value as Go's flag package).
 * Undefined for an error that is not about the config.
 */
export function describeLoadError(
  e: unknown,
  flags: ParsedFlags,
): { text: string; code: number } | undefined {
  if (e instanceof ConfigFileError) return { text: `error: ${e.message}\n`, code: 1 };
  if (e instanceof FlagError) return { text: `${e.message}\nRun with -help to see every flag.\n`, code: 2 };
  if (!(e instanceof ConfigError)) return undefined;
  const hint = flagValue<boolean>(flags, 'config.expand-env') ? '' : envHint(e.file);
  return { text: `error: invalid config: ${redactUrlsIn(e.message)}\n${hint}`, code: 1 };
}

/** Logs each warning of a loaded config once (at start and after each reload). */
export function logConfigWarnings(config: Config, logger: Logger): void {
  for (const w of config.warnings ?? [])
    logger.warn(w.advice ? 'config: advice' : 'config: Promtail ignores this, and so does logferry', {
      file: w.file,
      line: w.line,
      key: w.key,
      reason: w.reason,
    });
}

export function renderConfig(config: Config): string {
  return configToYaml(config);
}

export interface ConsumerOptions {
  dryRun: boolean;
  metrics: Metrics;
  logger: Logger;
  version: string;
  /** Where dry-run output goes; default stdout. */
  write?: (text: string) => void;
  colour?: boolean;
}

export function consumerFor(config: Config, options: ConsumerOptions): EntryConsumer {
  if (options.dryRun) {
    const printer = new DryRunPrinter(
      options.write ?? ((text) => process.stdout.write(text)),
      options.colour ?? dryRunColour(process.stdout.isTTY === true),
      (labels) => formatLabels(labels),
    );
    return { send: (entry) => printer.send(entry), stop: async () => {} };
  }
  const clients = config.clients.map(
    (client) =>
      new LokiClient({
        config: client,
        metrics: options.metrics,
        version: options.version,
        logger: options.logger,
        limits: config.limits,
      }),
  );
  if (config.wal?.enabled) {
    const buffered = walConsumer(
      config.wal,
      config.clients.map((c, i) => ({ name: walClientName(c), client: clients[i]! })),
      { registry: options.metrics.registry, logger: options.logger },
    );
    const limiter = createReadlineLimiter(config.limits, options.metrics, (entry) => buffered.send(entry));
    return {
      start: () => buffered.start(),
      send: limiter.send,
      async stop(deadlineMs) {
        limiter.flush();
        await buffered.stop(deadlineMs);
      },
    };
  }
  const fanout = new ClientFanout(clients);
  const limiter = createReadlineLimiter(config.limits, options.metrics, (entry) => fanout.send(entry));
  return {
    send: limiter.send,
    unhealthy: () =>
      clients.length > 0 && clients.every((c) => c.failing())
        ? 'Not ready: every client has failed every push for longer than its backoff_config.max_period'
        : undefined,
    async stop(deadlineMs) {
      limiter.flush();
      await fanout.stop(deadlineMs);
    },
  };
}
