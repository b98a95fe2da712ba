// -stdin: reads lines from standard input through the first scrape config's pipeline, with the
// labels of its static configs (`{job="stdin", hostname=...}` when there is no scrape config),
// as Promtail's stdin target does; the run ends when the input does.

import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ConfigNode } from '../config/reader.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { CardinalityGuard } from '../pipeline/cardinality.js';
import type { Inspector } from '../pipeline/inspect.js';
import { createStageContext, Pipeline } from '../pipeline/pipeline.js';
import type { EntryConsumer } from '../types.js';
import { type LabelSet, nowNanos } from '../types.js';

export interface StdinOptions {
  consumer: EntryConsumer;
  metrics: Metrics;
  logger: Logger;
  inspector?: Inspector;
  /** Samples the values labels stages set, to warn of unbounded ones (-dry-run, -inspect). */
  cardinality?: CardinalityGuard;
  input: Readable;
}

export async function runStdin(config: Config, options: StdinOptions): Promise<void> {
  const first = config.scrapeConfigs[0];
  if (config.scrapeConfigs.length > 1) {
    options.logger.warn(
      `-stdin uses the first scrape config only, skipping ${config.scrapeConfigs.length - 1}`,
    );
  }
  const labels: LabelSet = first
    ? Object.assign({}, ...first.staticConfigs.map((s) => s.labels))
    : { job: 'stdin', hostname: process.env.HOSTNAME || hostname() };
  const stages: ConfigNode = first?.pipelineStages ?? ConfigNode.fromValue(null);
  let ctx = createStageContext(first?.jobName ?? 'stdin', options.logger, options.metrics);
  if (options.cardinality) ctx = options.cardinality.attach(ctx);
  const pipeline = new Pipeline(stages, ctx, (e) => options.consumer.send(e), {
    inspector: options.inspector,
  });
  const lines = createInterface({ input: options.input, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    // Promtail skips empty lines on stdin.
    if (line === '') continue;
    pipeline.process({ labels, timestamp: nowNanos(), line, extracted: {} });
  }
  pipeline.flush();
  pipeline.close();
}
