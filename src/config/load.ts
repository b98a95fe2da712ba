// Loads a Promtail config file into a Config: Promtail's keys and defaults, `-config.expand-env`,
// the `-client.*`/`-server.*` flags on top, and validation whose every error names the file,
// the line and the key. Unknown keys are errors, as Promtail's strict YAML makes them.

import { readFileSync } from 'node:fs';
import { parseDiscoveryConfigs } from '../discovery/index.js';
import { validatePipeline } from '../pipeline/pipeline.js';
import { parseRelabelRules } from '../relabel/relabel.js';
import { checkEncoding } from '../tail/encoding.js';
import { parseSourceConfig, type SourceConfig, type SourceKind, sourceKeys } from '../targets/kinds.js';
import { defaultWalConfig, parseWalConfig } from '../wal/config.js';
import { isEmpty, nonNegative, notSupported, positive } from './checks.js';
import { checkClients, parseClient, parseLabels } from './clients.js';
import { defaults } from './defaults.js';
import { EnvExpansionError, expandEnvWithLines } from './expand-env.js';
import { type FlagOverrides, overrideFlags } from './flags.js';
import { ConfigError, ConfigNode, ConfigWarnings } from './reader.js';
import { checkClientFiles } from './secret-files.js';
import { dskitServerKeys, serverKeys } from './server-keys.js';
import { checkServerTls, parseServerTls, ServerTlsError } from './tls.js';
import type {
  Config,
  DecompressionConfig,
  FileWatchConfig,
  LimitsConfig,
  PositionsConfig,
  ScrapeConfig,
  ServerConfig,
  StaticConfig,
} from './types.js';

export interface LoadOptions {
  /** `-config.expand-env`: expand `${VAR}` references before parsing. */
  expandEnv: boolean;
  /** The environment for `${VAR}`; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Accept a config without any client (dry-run, inspect). */
  allowNoClients?: boolean;
  /** Flags applied on top of the file, before the checks that depend on them. */
  flags?: FlagOverrides;
  /** `-config.strict`: what Promtail ignores silently (and logferry warns about) is an error. */
  strict?: boolean;
  /** -check-syntax: also open the clients' credential and TLS files (see secret-files.ts). */
  checkFiles?: boolean;
}

/** The config file cannot be read at all; the message names it and says what to do. */
export class ConfigFileError extends Error {
  override name = 'ConfigFileError';
}

/** Reads and parses a config file; throws ConfigError, or ConfigFileError when the file cannot be read. */
export function loadConfig(file: string, opts: LoadOptions): Config {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new ConfigFileError(unreadableFile(file, e as NodeJS.ErrnoException));
  }
  return parseConfig(decodeUtf8(bytes, file), file, opts);
}

function unreadableFile(file: string, e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT':
      return `config file ${file} does not exist: pass the path of your Promtail config with -config.file=/path/to/config.yaml`;
    case 'EACCES':
    case 'EPERM':
      return `config file ${file} cannot be read (permission denied): give the user logferry runs as read access to it`;
    case 'EISDIR':
      return `config file ${file} is a directory: pass the YAML file inside it with -config.file=${file.replace(/\/+$/, '')}/config.yaml`;
    default:
      return `config file ${file} cannot be read (${e.code ?? e.message}): check the path given with -config.file`;
  }
}

/** At most this many errors of one file are listed. */
export const maxListedErrors = 20;

/** Several errors of one config file, one per line (file:line: key: reason). */
export class ConfigErrors extends ConfigError {
  constructor(readonly errors: readonly ConfigError[]) {
    const first = errors[0]!;
    super(first.file, first.line, first.key, first.reason);
    const shown = errors.slice(0, maxListedErrors).map((e) => e.message);
    if (errors.length > maxListedErrors) shown.push(`... and ${errors.length - maxListedErrors} more`);
    this.message = errors.length === 1 ? first.message : `${errors.length} errors:\n${shown.join('\n')}`;
  }
}

/** Runs the parts of a config one by one so that every part's first error is reported, not just the file's first. */
class Collector {
  readonly errors: ConfigError[] = [];

  run<T>(fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      if (e instanceof ConfigErrors) this.errors.push(...e.errors);
      else this.errors.push(e);
      return fallback;
    }
  }

  throwIfAny(): void {
    if (this.errors.length === 0) return;
    const sorted = [...this.errors].sort((a, b) => a.line - b.line);
    throw sorted.length === 1 ? sorted[0]! : new ConfigErrors(sorted);
  }
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
  const warnings = new ConfigWarnings(opts.strict ?? false);
  const root = ConfigNode.parse(source, file, originalLine ? { originalLine, warnings } : { warnings });
  if (!root.missing && !root.isMap()) {
    root.fail('expected a mapping of sections (server, clients, positions, scrape_configs, ...)');
  }
  const errors = new Collector();
  for (const key of root.keys()) {
    if (!topLevelKeys.includes(key)) {
      errors.run(
        () => root.failKey(key, `unknown key (allowed here: ${topLevelKeys.join(', ')})`),
        undefined,
      );
    }
  }
  if (opts.checkFiles) errors.run(() => checkClientFiles(root), undefined);

  const limitsNode = errors.run(
    () => pickAlias(root, 'limits_config', 'limit_config'),
    root.get('limits_config'),
  );
  errors.run(() => parseIgnoredSections(root), undefined);
  const clientNodes = errors.run(() => root.get('clients').list(), []);
  const clients = clientNodes.flatMap((n) => errors.run(() => [parseClient(n, true)], []));
  const legacyNode = root.get('client');
  const legacy = legacyNode.missing ? undefined : errors.run(() => parseClient(legacyNode, false), undefined);

  const config: Config = {
    file,
    server: errors.run(() => parseServer(root.get('server')), { ...defaults.server }),
    positions: errors.run(() => parsePositions(root.get('positions')), { ...defaults.positions }),
    clients,
    scrapeConfigs: parseScrapeConfigs(root.get('scrape_configs'), errors),
    limits: errors.run(() => parseLimits(limitsNode), { ...defaults.limits }),
    targetConfig: errors.run(() => parseTargetConfig(root.get('target_config')), {
      syncPeriodMs: defaults.targetSyncPeriodMs,
      drainGracePeriodMs: defaults.drainGracePeriodMs,
    }),
    wal: errors.run(() => parseWalConfig(root.get('wal')), { ...defaultWalConfig }),
    global: { fileWatch: errors.run(() => parseGlobal(root.get('global')), { ...defaults.fileWatch }) },
  };
  errors.throwIfAny();
  const result = overrideFlags(config, legacy, opts.flags);
  // HTTPS or not is decided once the -server.http-tls-* flags are on top of the file's keys.
  try {
    const tls = result.server.httpTls && checkServerTls(result.server.httpTls);
    if (tls) result.server.httpTls = tls;
    else delete result.server.httpTls;
  } catch (e) {
    if (e instanceof ServerTlsError) root.get('server').get('http_tls_config').fail(e.message);
    throw e;
  }
  checkClients(root, result.clients, clients.length, opts.allowNoClients ?? false);
  result.warnings = warnings.list;
  return result;
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

function parseServer(node: ConfigNode): ServerConfig {
  node.expectKeys(dskitServerKeys, serverKeys);
  const httpTls = parseServerTls(node);
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
    httpTls,
  };
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
  'gcplog',
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

function parseScrapeConfigs(list: ConfigNode, errors: Collector): ScrapeConfig[] {
  const configs: ScrapeConfig[] = [];
  const jobs = new Map<string, number>();
  for (const node of errors.run(() => list.list(), [])) {
    const sc = errors.run(() => parseScrapeConfig(node), undefined);
    if (!sc) continue;
    const first = jobs.get(sc.jobName);
    if (first !== undefined) {
      errors.run(
        () => node.get('job_name').fail(`duplicate job_name "${sc.jobName}" (first used on line ${first})`),
        undefined,
      );
      continue;
    }
    jobs.set(sc.jobName, sc.line);
    configs.push(sc);
  }
  return configs;
}

function parseScrapeConfig(node: ConfigNode): ScrapeConfig {
  if (!node.isMap()) node.fail('expected a mapping with job_name, static_configs, ...');
  for (const key of unsupportedScrapeKeys) {
    if (!isEmpty(node.get(key))) {
      notSupported(
        node,
        key,
        'logferry reads log files (static_configs, file_sd_configs, kubernetes_sd_configs), the systemd journal, syslog and Loki pushes',
      );
    }
  }
  const kindKeys = Object.values(sourceKeys);
  node.expectKeys([...scrapeKeys, ...kindKeys, ...unsupportedScrapeKeys], [...scrapeKeys, ...kindKeys]);
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
    // An IANA name, as Promtail's ianaindex reads it; the tailer decodes the files to UTF-8.
    const problem = checkEncoding(encoding);
    if (problem !== undefined) encodingNode.fail(problem);
    sc.encoding = encoding;
  }
  const decompression = parseDecompression(node.get('decompression'));
  if (decompression) sc.decompression = decompression;
  const source = parseSource(node);
  if (source) sc.source = source;
  return sc;
}

/**
 * The job's `journal:`, `syslog:` or `loki_push_api:` block. Such a job reads that source only:
 * Promtail ignores the block of a job that also has discovery configs (it becomes a file job),
 * and the other blocks after the first; logferry refuses both rather than ignore a block.
 */
function parseSource(node: ConfigNode): SourceConfig | undefined {
  const given = (Object.keys(sourceKeys) as SourceKind[]).filter((k) => !node.get(sourceKeys[k]).missing);
  if (given.length === 0) return undefined;
  const key = sourceKeys[given[0]!];
  if (given.length > 1) {
    node.failKey(
      sourceKeys[given[1]!],
      `a scrape config reads one source: it already has ${key}; give each its own job`,
    );
  }
  for (const sd of ['static_configs', 'file_sd_configs', 'kubernetes_sd_configs']) {
    if (!node.get(sd).missing) {
      node.failKey(
        sd,
        `a job with ${key} reads no files (Promtail ignores its ${key} block here); put the files in their own job`,
      );
    }
  }
  const block = node.get(key);
  if (!block.isMap()) block.fail(`expected a mapping of ${key} settings`);
  return parseSourceConfig(given[0]!, block);
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
