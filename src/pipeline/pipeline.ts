// The pipeline runner: builds a scrape config's `pipeline_stages` from their YAML, and runs
// each entry through them in order. Each stage gets its own StageOutput, created once, whose
// `emit` calls the next stage (the last one calls the sink) and whose `drop` counts the entry in
// `logentry_dropped_lines_total{reason}` and releases its delivery. Nothing here allocates per
// entry. A stage that throws is logged (rate-limited) and the entry passes on, as Promtail,
// whose stages log their failures and hand the entry on.

import { Registry } from 'prom-client';
import { ConfigError, type ConfigNode } from '../config/reader.js';
import { type Logger, silentLogger } from '../log.js';
import { createMetrics, type Metrics } from '../metrics.js';
import type { Entry, EntrySink } from '../types.js';
import { type ChainEnd, errorLogInterval, StageChain } from './chain.js';
import type { Inspector } from './inspect.js';
import type { Stage, StageContext, StageDefinition } from './stage.js';
import { stageDefinitions } from './stages/index.js';

export { type ChainEnd, StageChain } from './chain.js';

/** Called for each entry a stage drops, after it is counted and its delivery released. */
export type DropHook = (entry: Entry, reason: string, stage: string) => void;

export interface PipelineOptions {
  onDrop?: DropHook;
  /** Prints what each stage does to each entry (`-inspect`). */
  inspector?: Inspector;
}

/**
 * Builds the stages of a `pipeline_stages` (or `match`'s `stages`) list. Each item is a
 * one-key mapping `{<stage type>: <options>}`; an unknown type or a second key is a ConfigError
 * naming file, line and key.
 */
export function buildStages(list: ConfigNode, ctx: StageContext): Stage[] {
  return buildWith(stageDefinitions, list, ctx);
}

/**
 * A StageContext whose `buildStages` uses the given stage definitions (the registry by default;
 * tests pass their own).
 */
export function createStageContext(
  jobName: string,
  logger: Logger,
  metrics: Metrics,
  definitions: ReadonlyMap<string, StageDefinition> = stageDefinitions,
): StageContext {
  return {
    jobName,
    logger,
    metrics,
    buildStages:
      definitions === stageDefinitions ? buildStages : (list, ctx) => buildWith(definitions, list, ctx),
  };
}

function buildWith(
  definitions: ReadonlyMap<string, StageDefinition>,
  list: ConfigNode,
  ctx: StageContext,
): Stage[] {
  if (list.missing) return [];
  if (!list.isList()) list.fail('expected a list of stages, each a mapping such as `- json: {...}`');
  const stages: Stage[] = [];
  try {
    for (const item of list.list()) {
      if (!item.isMap()) {
        item.fail(
          'a stage must be a mapping of its type to its options: end the stage name with ":" (`- docker: {}`)',
        );
      }
      const keys = item.keys();
      if (keys.length !== 1) {
        item.fail(
          `a stage must have exactly one key (its type), got ${keys.length ? keys.join(', ') : 'none'}: start each stage with its own "-"`,
        );
      }
      const type = keys[0]!;
      const definition = definitions.get(type);
      if (definition === undefined) {
        const why = unsupportedStages[type];
        if (why !== undefined)
          throw new ConfigError(
            item.file,
            item.line,
            `${item.path}.${type}`,
            `is not supported by logferry: ${why}`,
          );
        const known = [...definitions.keys()].sort().join(', ');
        throw new ConfigError(
          item.file,
          item.line,
          `${item.path}.${type}`,
          `unknown stage type (known: ${known})`,
        );
      }
      stages.push(definition.create(item.get(type), ctx));
    }
  } catch (err) {
    // Stages already built may hold timers: release them before failing.
    for (const s of stages) s.close?.();
    throw err;
  }
  return stages;
}

/** Stages of Promtail (or of Alloy's loki.process) that logferry does not have, and why. */
const unsupportedStages: Record<string, string> = {
  geoip: 'it needs a MaxMind database reader; add the location upstream or keep Promtail for this job',
  luhn: 'credit-card redaction is not implemented; use a replace stage with a card-number regex',
  eventlogmessage: 'it reads Windows Event Log entries, which logferry does not collect',
};

let validationMetrics: Metrics | undefined;

/**
 * Checks a scrape config's `pipeline_stages` at config load: builds every stage with a throwaway
 * context and closes it. Throws the first ConfigError.
 */
export function validatePipeline(list: ConfigNode, jobName: string): void {
  // One throwaway registry for every validation (default metrics start observers that are never
  // stopped); metrics the stages register are removed after, so a reload can register them again.
  validationMetrics ??= createMetrics(new Registry());
  const registry = validationMetrics.registry;
  const before = new Set(registry.getMetricsAsArray().map((m) => m.name));
  try {
    const stages = buildStages(list, createStageContext(jobName, silentLogger, validationMetrics));
    for (const s of stages) s.close?.();
  } finally {
    for (const m of registry.getMetricsAsArray())
      if (!before.has(m.name)) registry.removeSingleMetric(m.name);
  }
}

/** Runs entries through a scrape config's stages into a sink. */
export class Pipeline implements ChainEnd {
  readonly logger: Logger;
  private readonly chain: StageChain;
  private readonly onDrop: DropHook | undefined;
  private readonly inspector: Inspector | undefined;
  private readonly dropCounters = new Map<string, { inc(): void }>();
  private closed = false;
  private lastOutputErrorLog = 0;

  constructor(
    list: ConfigNode,
    private readonly ctx: StageContext,
    private readonly sink: EntrySink,
    options: PipelineOptions = {},
  ) {
    this.logger = ctx.logger.with({ component: 'pipeline', job: ctx.jobName });
    this.onDrop = options.onDrop;
    const inspector = options.inspector;
    this.inspector = inspector;
    let stages: Stage[];
    if (inspector === undefined) {
      stages = ctx.buildStages(list, ctx);
    } else {
      // Nested stages (match) are built through the context: wrap those too.
      const inner = ctx.buildStages;
      const inspecting: StageContext = {
        ...ctx,
        buildStages: (l, c) => inner(l, c).map((s) => inspector.wrap(s)),
      };
      stages = inspecting.buildStages(list, inspecting);
    }
    this.chain = new StageChain(stages, this, this.logger);
  }

  /** The number of top-level stages. */
  get size(): number {
    return this.chain.stages.length;
  }

  /** Runs one entry through the stages; it reaches the sink, is dropped, or is held by a stage. */
  process(entry: Entry): void {
    if (this.closed) throw new Error(`pipeline of job ${this.ctx.jobName} is closed`);
    if (this.inspector !== undefined) this.inspector.entry(entry);
    const first = this.chain.stages[0];
    if (first !== undefined && first.copiesLabels !== true) {
      // As Promtail: the initial labels (filename, ...) are extracted values too.
      const labels = entry.labels;
      const extracted = entry.extracted;
      for (const name in labels) extracted[name] = labels[name];
    }
    this.chain.process(entry);
  }

  /** Passes on what every stage holds (multiline blocks, cri partial lines), in stage order. */
  flush(): void {
    if (this.inspector !== undefined) this.inspector.flush();
    this.chain.flush();
  }

  /** Releases the stages' timers; does not flush. Entries still held keep their deliveries unreleased. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.chain.close();
  }

  /** @internal The end of the chain: the sink. */
  emit(entry: Entry): void {
    try {
      this.sink(entry);
    } catch (err) {
      const now = Date.now();
      if (now - this.lastOutputErrorLog >= errorLogInterval) {
        this.lastOutputErrorLog = now;
        this.logger.error('pipeline output failed on an entry', { err });
      }
    }
  }

  /** @internal A stage dropped an entry on purpose: counted, its delivery released, the hook told. */
  drop(entry: Entry, reason: string, stage: string): void {
    let counter = this.dropCounters.get(reason);
    if (counter === undefined) {
      counter = this.ctx.metrics.pipelineDroppedLines.labels(reason);
      this.dropCounters.set(reason, counter);
    }
    counter.inc();
    entry.delivery?.release();
    if (this.onDrop !== undefined) {
      try {
        this.onDrop(entry, reason, stage);
      } catch (err) {
        this.logger.error('pipeline drop hook failed', { err });
      }
    }
  }
}
