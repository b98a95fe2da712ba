#!/usr/bin/env -S node --max-semi-space-size=8
// logferry's entry point: Promtail's flags and modes (run, -dry-run, -inspect, -stdin,
// -check-syntax, -print-config-stderr, -version), signals (SIGTERM/SIGINT stop, SIGHUP reloads)
// and the subcommands of the dry-run tools.

import { setFlagsFromString } from 'node:v8';
import { Agent } from './agent.js';
import { ActiveStreams } from './client/active-streams.js';
import { envHint } from './config/expand-env.js';
import { formatWarning } from './config/reader.js';
import { redactUrlsIn } from './config/redact-url.js';
import type { Config } from './config/types.js';
import { createDiscoverers } from './discovery/index.js';
import { flagValue, type ParsedFlags, parseFlags, UsageError, usage } from './flags.js';
import { createLogger, type LogFormat, type Logger, type LogLevel } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import { CardinalityGuard } from './pipeline/cardinality.js';
import { Inspector } from './pipeline/inspect.js';
import { type HttpServer, startHttpServer } from './server/server.js';
import { renderServiceDiscoveryPage } from './server/service-discovery.js';
import { runStdin } from './targets/stdin.js';
import type { EntryConsumer } from './types.js';
import { version } from './version.js';
import {
  consumerFor,
  describeLoadError,
  loadEffectiveConfig,
  logConfigWarnings,
  renderConfig,
} from './wiring.js';

// Memory: the agent's live heap is small (tens of MB) but its allocation rate is high; V8's
// default heap growth lets old space reach several times the live size between full GCs. A
// smaller growth step keeps peak RSS near the live size for little CPU (measured by the bench).
// The shebang's --max-semi-space-size=8 does the same for the young generation, which can only
// be set at start (the DaemonSet, Dockerfile and systemd unit start node that way too).
setFlagsFromString('--heap-growing-percent=25');
// Regexes (src/regex): V8's linear-time engine takes over a translated RegExp that backtracks too
// much; `l` asks V8 up front whether a RegExp qualifies for it. Set before any config is loaded.
setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
setFlagsFromString('--enable-experimental-regexp-engine');
// undici parses HTTP with llhttp compiled to WebAssembly, which V8 compiles a second time with
// its optimizing tier in the background when the first request is made: 25-35 MB of native
// memory for a moment, the peak RSS of the whole agent. The baseline tier is plenty for
// reading one short response per batch. V8 reads the flag when it compiles, which is lazy
// (first connection), so setting it here, before any client exists, takes effect.
setFlagsFromString('--liftoff-only');

/** Exit codes: 0 ok, 1 config or runtime error, 2 usage error. */
async function main(argv: string[]): Promise<number> {
  const sub = argv[0];
  if (sub === 'targets' || sub === 'pipeline' || sub === 'test') {
    const { runSubcommand } = await import('./dryrun/index.js');
    return runSubcommand(sub, argv.slice(1));
  }
  let flags: ParsedFlags;
  try {
    flags = parseFlags(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\nRun with -help to see every flag.\n`);
      return 2;
    }
    throw e;
  }
  if (flags.help) {
    process.stdout.write(usage('logferry'));
    return 0;
  }
  if (flagValue<boolean>(flags, 'version')) {
    process.stdout.write(`logferry, version ${version} (node ${process.version})\n`);
    return 0;
  }
  if (flags.positional.length > 0) {
    process.stderr.write(
      `unexpected argument "${flags.positional[0]}" (subcommands: targets, pipeline, test)\nRun with -help to see every flag.\n`,
    );
    return 2;
  }

  const dryRun = flagValue<boolean>(flags, 'dry-run');
  const inspect = flagValue<boolean>(flags, 'inspect');
  const stdin = flagValue<boolean>(flags, 'stdin');
  let config: Config;
  try {
    config = loadEffectiveConfig(flags, { allowNoClients: dryRun });
  } catch (e) {
    const described = describeLoadError(e, flags);
    if (!described) throw e;
    process.stderr.write(described.text);
    return described.code;
  }
  if (flagValue<boolean>(flags, 'check-syntax')) {
    for (const w of config.warnings ?? []) process.stderr.write(`warning: ${formatWarning(w)}\n`);
    process.stdout.write('Valid config file! No syntax issues found\n');
    return 0;
  }

  const logger = createLogger({
    level: config.server.logLevel as LogLevel,
    format: config.server.logFormat as LogFormat,
  });
  if (!flagValue<boolean>(flags, 'config.expand-env')) {
    const hint = envHint(config.file);
    if (hint) logger.warn(hint.replace(/^hint: /, '').trim());
  }
  // As Promtail: the YAML after a header naming the build, on stderr; or logged line by line
  // at info level, last line first (reads top to bottom in Grafana, newest first).
  if (flagValue<boolean>(flags, 'print-config-stderr')) {
    process.stderr.write(`---\n# Loki Config\n# ${buildInfo()}\n${renderConfig(config)}\n\n`);
  }
  if (flagValue<boolean>(flags, 'log-config-reverse-order')) {
    const lines = renderConfig(config).split('\n');
    for (let i = lines.length - 1; i >= 0; i--) logger.info(lines[i]!, { type: 'config' });
  }
  logConfigWarnings(config, logger);
  const metrics = createMetrics();
  const inspector = inspect ? new Inspector(process.stdout) : undefined;
  if (inspect && !dryRun)
    logger.warn('-inspect prints what stages do; entries are still sent (add -dry-run to send nothing)');
  // Beyond Promtail: while trying a config out, say when a label takes unbounded values.
  const cardinality =
    dryRun || inspect
      ? new CardinalityGuard((w) =>
          logger.warn('cardinality guard: a label takes unbounded values', {
            file: w.file,
            line: w.line,
            key: w.key,
            reason: w.reason,
          }),
        )
      : undefined;

  if (stdin) {
    const consumer = consumerFor(config, { dryRun, metrics, logger, version });
    await consumer.start?.();
    await runStdin(config, { consumer, metrics, logger, inspector, cardinality, input: process.stdin });
    await consumer.stop(config.server.gracefulShutdownTimeoutMs);
    return 0;
  }
  return runAgent(flags, config, { dryRun, inspector, cardinality, logger, metrics });
}

interface RunOptions {
  dryRun: boolean;
  inspector: Inspector | undefined;
  cardinality: CardinalityGuard | undefined;
  logger: Logger;
  metrics: Metrics;
}

async function runAgent(flags: ParsedFlags, initial: Config, run: RunOptions): Promise<number> {
  const { logger, metrics } = run;
  let config = initial;
  let consumer!: EntryConsumer;
  let agent!: Agent;
  // Outlives reloads: a job that stays keeps counting its streams.
  const streams = new ActiveStreams(metrics, logger);
  // The agent of the current config, and its consumer (at start and after each reload).
  const build = (): void => {
    consumer = consumerFor(config, { dryRun: run.dryRun, metrics, logger, version });
    agent = new Agent(
      {
        config,
        logger,
        metrics,
        consumer,
        readOnlyPositions: run.dryRun,
        inspector: run.inspector,
        cardinality: run.cardinality,
        streams,
      },
      createDiscoverers,
    );
  };
  try {
    build();
  } catch (e) {
    logger.error('failed to start', { err: redactUrlsIn(e instanceof Error ? e.message : String(e)) });
    return 1;
  }

  // A reload builds a new agent from the new file; a config that does not load leaves the
  // running one untouched.
  let reloading: Promise<string | undefined> | undefined;
  const reload = (): Promise<string | undefined> => {
    reloading ??= (async () => {
      let next: Config;
      try {
        next = loadEffectiveConfig(flags, { allowNoClients: run.dryRun });
      } catch (e) {
        const reason = redactUrlsIn(e instanceof Error ? e.message : String(e));
        metrics.configReloadFail.inc();
        logger.error('reload failed: keeping the running config', { err: reason });
        return reason;
      }
      logConfigWarnings(next, logger);
      await agent.stop(config.server.gracefulShutdownTimeoutMs);
      config = next;
      build();
      await agent.start();
      metrics.configReloadSuccess.inc();
      logger.info('config reloaded', { file: config.file });
      return undefined;
    })().finally(() => {
      reloading = undefined;
    });
    return reloading;
  };

  // The server is up from the first instant (/metrics, /ready saying why not yet) while
  // discovery may still wait for the Kubernetes API.
  let server: HttpServer | undefined;
  try {
    if (!config.server.disable) {
      server = await startHttpServer(config.server.httpListenAddress, config.server.httpListenPort, {
        metrics,
        logger,
        notReady: () => agent.notReady(),
        configYaml: () => renderConfig(config),
        targets: () => agent.targetStatus(),
        sources: () => agent.sourceStatus(),
        activeStreams: () => agent.activeStreams(),
        pages: {
          '/service-discovery': () =>
            renderServiceDiscoveryPage(agent.serviceDiscovery(), {
              hostname: agent.hostname,
              configFile: config.file,
            }),
        },
        reload,
        allowReload: () => config.server.enableRuntimeReload,
        serveMetrics: () => config.server.registerInstrumentation,
        pathPrefix: config.server.httpPathPrefix ?? '',
        ...(config.server.httpTls ? { tls: config.server.httpTls } : {}),
      });
    }
    await agent.start();
  } catch (e) {
    logger.error('failed to start', { err: redactUrlsIn(e instanceof Error ? e.message : String(e)) });
    await agent.stop(1000).catch(() => {});
    await server?.close();
    return 1;
  }

  process.on('SIGHUP', () => void reload());
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info('shutting down', { signal });
  await reloading;
  await agent.stop(config.server.gracefulShutdownTimeoutMs);
  streams.close();
  await server?.close();
  logger.info('stopped');
  return 0;
}

/** Prometheus's version.Info() line, with logferry's facts. */
function buildInfo(): string {
  return `(version=${version}, branch=, revision=)`;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Timers of libraries (keep-alive sockets, watchers) must not keep a finished run alive.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err: unknown) => {
    process.stderr.write(
      `fatal: ${redactUrlsIn(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`,
    );
    process.exit(1);
  },
);
