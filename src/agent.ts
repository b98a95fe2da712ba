// Wires the flow together for one config: discovery → relabel → file targets → tail →
// pipeline → clients, with positions fed by the clients' acknowledgements; and for a job with a
// `journal:`, `syslog:` or `loki_push_api:` block, its Source (targets/kinds.ts) → pipeline.
// Start, reload, stop.

import { hostname as osHostname } from 'node:os';
import { ActiveStreams } from './client/active-streams.js';
import type { Config, ScrapeConfig } from './config/types.js';
import { staticTargetGroups } from './discovery/static.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { CardinalityGuard } from './pipeline/cardinality.js';
import type { Inspector } from './pipeline/inspect.js';
import { createStageContext, Pipeline } from './pipeline/pipeline.js';
import { defaultInFlightBytes, InFlightBudget } from './positions/acks.js';
import { PositionStore } from './positions/store.js';
import { readinessProbeFailure } from './server/server.js';
import { createLineCodec, type LineCodec } from './tail/encoding.js';
import { FileTargetManager } from './targets/file/file-targets.js';
import { resolveTargets } from './targets/file/resolve.js';
import { createSource } from './targets/kinds.js';
import type { Source, SourceStatus } from './targets/source.js';
import type {
  Discoverer,
  DroppedTarget,
  EntryConsumer,
  EntrySink,
  FileTarget,
  TargetGroup,
  TargetStatus,
} from './types.js';

export interface AgentOptions {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  consumer: EntryConsumer;
  /** The node's name: targets whose `__host__` differs are dropped. */
  hostname?: string;
  /** -dry-run: never write the positions file. */
  readOnlyPositions?: boolean;
  inspector?: Inspector;
  /** -dry-run and -inspect: samples the values labels stages set, to warn of unbounded ones. */
  cardinality?: CardinalityGuard;
  /** How long a target that went away keeps reading its files; default `target_config.drain_grace_period`. */
  drainGraceMs?: number;
  /**
   * Counts the active streams per job (logferry_active_streams); pass one that outlives reloads.
   * Without it the agent makes its own and closes it on stop.
   */
  streams?: ActiveStreams;
}

/** Discoverers beyond static_configs (kubernetes_sd_configs, file_sd_configs) plug in here. */
export type DiscovererFactory = (job: ScrapeConfig, logger: Logger, metrics?: Metrics) => Discoverer[];

interface Job {
  config: ScrapeConfig;
  pipeline: Pipeline;
  discoverers: Discoverer[];
  groups: Map<string, TargetGroup>;
  dropped: DroppedTarget[];
  /** The targets of the last sync that are tailed, for /service-discovery. */
  active: FileTarget[];
  /** The job's journal, syslog or push source; such a job has no file targets. */
  source?: Source;
  /** The scrape config's `encoding`, when not UTF-8. */
  codec: LineCodec | undefined;
}

export class Agent {
  readonly hostname: string;
  private readonly positions: PositionStore;
  private readonly budget: InFlightBudget;
  private readonly targets: FileTargetManager;
  private readonly jobs: Job[] = [];
  private ready = false;
  private readonly streams: ActiveStreams;
  private readonly ownStreams: boolean;

  constructor(
    private readonly options: AgentOptions,
    private readonly discoverers: DiscovererFactory = () => [],
  ) {
    const { config, logger } = options;
    this.hostname = options.hostname ?? (process.env.HOSTNAME || osHostname());
    this.ownStreams = options.streams === undefined;
    this.streams = options.streams ?? new ActiveStreams(options.metrics, logger);
    // Room for a few full batches of the largest client, so batches are not cut short by the budget.
    const largestBatch = Math.max(0, ...config.clients.map((c) => c.batchSizeBytes));
    this.budget = new InFlightBudget(Math.max(defaultInFlightBytes, 3 * largestBatch));
    this.positions = new PositionStore({
      filename: config.positions.filename,
      syncPeriodMs: config.positions.syncPeriodMs,
      ignoreInvalidYaml: config.positions.ignoreInvalidYaml,
      readOnly: options.readOnlyPositions ?? false,
      logger,
    });
    this.targets = new FileTargetManager({
      positions: this.positions,
      budget: this.budget,
      metrics: options.metrics,
      logger,
      syncPeriodMs: config.targetConfig.syncPeriodMs,
      drainGraceMs: options.drainGraceMs ?? config.targetConfig.drainGracePeriodMs,
      minPollFrequencyMs: config.global.fileWatch.minPollFrequencyMs,
      maxPollFrequencyMs: config.global.fileWatch.maxPollFrequencyMs,
      maxLineSize: config.limits.maxLineSize,
    });
  }

  get isReady(): boolean {
    return this.ready;
  }

  /**
   * What /ready answers (undefined: ready). With `server.health_check_target` (default true), as
   * Promtail: not ready until a file is tailed or a source is ready; and beyond Promtail, not ready while discovery
   * cannot reach the Kubernetes API or every client has failed every push for longer than its
   * `backoff_config.max_period`.
   */
  notReady(): string | undefined {
    if (this.options.config.server.healthCheckTarget === false) return undefined;
    for (const job of this.jobs) {
      for (const d of job.discoverers) {
        const why = d.unhealthy?.();
        if (why) return why;
      }
    }
    if (!this.hasActiveTarget()) return readinessProbeFailure;
    return this.options.consumer.unhealthy?.();
  }

  async start(): Promise<void> {
    const { config, logger, metrics } = this.options;
    await this.options.consumer.start?.();
    this.positions.start();
    const consumer = this.options.consumer;
    this.streams.setJobs(config.scrapeConfigs.map((sc) => sc.jobName));
    for (const sc of config.scrapeConfigs) {
      const streams = this.streams.job(sc.jobName);
      // Where the job's entries leave the pipeline: the one place their streams are counted.
      const sink: EntrySink = (entry) => {
        streams.see(entry.labels);
        consumer.send(entry);
      };
      let ctx = createStageContext(sc.jobName, logger, metrics);
      if (this.options.cardinality) ctx = this.options.cardinality.attach(ctx);
      const pipeline = new Pipeline(sc.pipelineStages, ctx, sink, { inspector: this.options.inspector });
      const job: Job = {
        config: sc,
        pipeline,
        discoverers: sc.source ? [] : this.discoverers(sc, logger, metrics),
        groups: new Map(),
        dropped: [],
        active: [],
        codec: sc.encoding === undefined ? undefined : createLineCodec(sc.encoding),
      };
      this.jobs.push(job);
      if (sc.source) {
        job.source = createSource(
          sc.source,
          {
            jobName: sc.jobName,
            relabelConfigs: sc.relabelConfigs,
            sink: (entry) => pipeline.process(entry),
            positions: this.positions,
            logger,
            metrics,
          },
          this.budget,
        );
        continue;
      }
      for (const g of staticTargetGroups(sc.jobName, sc.staticConfigs)) job.groups.set(g.source, g);
    }
    // A source that cannot start (a port in use) fails the start, as in Promtail.
    await Promise.all(this.jobs.map((job) => job.source?.start()));
    await Promise.all(this.jobs.filter((job) => !job.source).map((job) => this.syncJob(job)));
    for (const job of this.jobs) {
      for (const d of job.discoverers) {
        await d.start((groups) => {
          for (const g of groups) job.groups.set(g.source, g);
          void this.syncJob(job);
        });
      }
    }
    this.ready = true;
    logger.info('agent started', { jobs: this.jobs.length, hostname: this.hostname });
  }

  /** Stops reading, sends what is read within the deadline, saves positions. */
  async stop(deadlineMs: number): Promise<void> {
    this.ready = false;
    await Promise.all(this.jobs.flatMap((j) => j.discoverers.map((d) => d.stop())));
    await Promise.all([this.targets.stop(), ...this.jobs.map((j) => j.source?.stop())]);
    for (const job of this.jobs) {
      job.pipeline.flush();
      job.pipeline.close();
    }
    await this.options.consumer.stop(deadlineMs);
    await this.positions.stop();
    if (this.ownStreams) this.streams.close();
  }

  /** Active streams per job (see ActiveStreams), for /targets. */
  activeStreams(): Map<string, number> {
    return this.streams.counts();
  }

  /** Active file targets, for /targets. */
  targetStatus(): TargetStatus[] {
    return this.targets.status();
  }

  /** The journal, syslog and push sources, for /targets. */
  sourceStatus(): SourceStatus[] {
    return this.jobs.flatMap((j) => (j.source ? [j.source.status()] : []));
  }

  /**
   * Whether anything is read: a file target with a file, or a ready source (Promtail's
   * TargetManagers.Ready: any target manager with a ready target).
   */
  hasActiveTarget(): boolean {
    return (
      this.targets.status().some((t) => t.files.length > 0) ||
      this.jobs.some((j) => j.source?.status().ready === true)
    );
  }

  /** Per job, its config and the targets of its last sync, kept and dropped, for /service-discovery. */
  serviceDiscovery(): {
    job: ScrapeConfig;
    active: FileTarget[];
    dropped: DroppedTarget[];
    source?: SourceStatus;
  }[] {
    return this.jobs.map((j) => ({
      job: j.config,
      active: j.active,
      dropped: j.dropped,
      ...(j.source ? { source: j.source.status() } : {}),
    }));
  }

  private async syncJob(job: Job): Promise<void> {
    const { active, dropped } = resolveTargets(job.config, [...job.groups.values()], this.hostname);
    job.dropped = dropped;
    job.active = active;
    // Promtail counts the targets it does not run at every sync, by its 3.x reasons.
    for (const d of dropped) {
      this.options.metrics.targetsFailed.inc({ reason: d.reason === 'relabeling' ? 'dropped' : d.reason });
    }
    const sink: EntrySink = (entry) => job.pipeline.process(entry);
    await this.targets.sync(
      job.config.jobName,
      active.map((t) => ({ ...t, sink, decompression: job.config.decompression, codec: job.codec })),
    );
  }
}
