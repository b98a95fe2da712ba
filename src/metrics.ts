// The prom-client registry and the metrics Promtail exposes, under Promtail's names and labels,
// so existing dashboards and alerts keep working. Stages that define their own metrics
// (the `metrics` stage) register them on the same registry.

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { version } from './version.js';

export function createMetrics(registry = new Registry()) {
  // The event-loop lag histogram samples with a libuv timer; at prom-client's default 10 ms that
  // alone costs ~0.5 % of a core in an idle agent. Once a second is plenty for the lag metrics.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1000 });
  const registers = [registry];
  // Promtail's `version.NewCollector("promtail")`: one series with the build's facts, value 1.
  new Gauge({
    name: 'promtail_build_info',
    help: "A metric with a constant '1' value labeled by version, revision, branch, goversion from which promtail was built, and the goos and goarch for the build.",
    labelNames: ['version', 'revision', 'branch', 'goversion', 'goos', 'goarch', 'tags'],
    registers,
  }).set(
    {
      version,
      revision: process.env.LOGFERRY_REVISION ?? '',
      branch: process.env.LOGFERRY_BRANCH ?? '',
      goversion: `node${process.versions.node}`,
      goos: process.platform,
      goarch: process.arch,
      tags: 'logferry',
    },
    1,
  );
  return {
    registry,
    // config reloads (SIGHUP, /reload)
    configReloadSuccess: new Counter({
      name: 'promtail_config_reload_success_total',
      help: 'Number of reload success times.',
      registers,
    }),
    configReloadFail: new Counter({
      name: 'promtail_config_reload_fail_total',
      help: 'Number of reload fail times.',
      registers,
    }),
    // Targets that discovery found and the agent does not tail, by Promtail 3.x's reasons:
    // dropped (by relabeling), wrong_host, no_path, exists, error; counted at every sync as Promtail does.
    // Also paths a glob matched that are not tailed (not_regular_file, symlink_loop, unreadable), each once.
    targetsFailed: new Counter({
      name: 'promtail_targets_failed_total',
      help: 'Number of failed targets.',
      labelNames: ['reason'],
      registers,
    }),
    // discovery: Prometheus's Kubernetes SD counter, which Promtail exposes too.
    kubernetesSdFailures: new Counter({
      name: 'prometheus_sd_kubernetes_failures_total',
      help: 'The number of failed WATCH/LIST requests.',
      registers,
    }),
    // tail / targets
    // A gauge, as in Promtail: the read position in the file (falls to 0 after a rotation), so
    // `promtail_file_bytes_total - promtail_read_bytes_total` is the lag, as dashboards compute it.
    readBytes: new Gauge({
      name: 'promtail_read_bytes_total',
      help: 'Number of bytes read.',
      labelNames: ['path'],
      registers,
    }),
    readLines: new Counter({
      name: 'promtail_read_lines_total',
      help: 'Number of lines read.',
      labelNames: ['path'],
      registers,
    }),
    fileBytes: new Gauge({
      name: 'promtail_file_bytes_total',
      help: 'Number of bytes total.',
      labelNames: ['path'],
      registers,
    }),
    filesActive: new Gauge({
      name: 'promtail_files_active_total',
      help: 'Number of active files.',
      registers,
    }),
    // Beyond Promtail: streams per scrape job that carried an entry in the last 30 minutes
    // (src/client/active-streams.ts).
    activeStreams: new Gauge({
      name: 'logferry_active_streams',
      help: 'Streams (label sets as sent to Loki) per scrape job that carried an entry in the last 30 minutes.',
      labelNames: ['job'],
      registers,
    }),
    targetsActive: new Gauge({
      name: 'promtail_targets_active_total',
      help: 'Number of active total.',
      registers,
    }),
    // logferry's own: bytes of a file that will never be read (deleted or rotated away, or
    // truncated, before the tailer reached its end), so a loss is never silent.
    lostBytes: new Counter({
      name: 'logferry_lost_bytes_total',
      help: 'Bytes of log files that were removed, rotated away or truncated before they were read.',
      labelNames: ['reason'],
      registers,
    }),
    // pipeline
    pipelineDroppedLines: new Counter({
      name: 'logentry_dropped_lines_total',
      help: 'A count of all log lines dropped as a result of a pipeline stage',
      labelNames: ['reason'],
      registers,
    }),
    // client
    encodedBytes: new Counter({
      name: 'promtail_encoded_bytes_total',
      help: 'Number of bytes encoded and ready to send.',
      labelNames: ['host'],
      registers,
    }),
    sentBytes: new Counter({
      name: 'promtail_sent_bytes_total',
      help: 'Number of bytes sent.',
      labelNames: ['host'],
      registers,
    }),
    droppedBytes: new Counter({
      name: 'promtail_dropped_bytes_total',
      help: 'Number of bytes dropped because failed to be sent to the ingester after all retries.',
      labelNames: ['host', 'reason', 'tenant'],
      registers,
    }),
    sentEntries: new Counter({
      name: 'promtail_sent_entries_total',
      help: 'Number of log entries sent to the ingester.',
      labelNames: ['host'],
      registers,
    }),
    droppedEntries: new Counter({
      name: 'promtail_dropped_entries_total',
      help: 'Number of log entries dropped because failed to be sent to the ingester after all retries.',
      labelNames: ['host', 'reason', 'tenant'],
      registers,
    }),
    mutatedEntries: new Counter({
      name: 'promtail_mutated_entries_total',
      help: 'The total number of log entries that have been mutated.',
      labelNames: ['host', 'reason', 'tenant'],
      registers,
    }),
    mutatedBytes: new Counter({
      name: 'promtail_mutated_bytes_total',
      help: 'The total number of bytes that have been mutated.',
      labelNames: ['host', 'reason', 'tenant'],
      registers,
    }),
    requestDuration: new Histogram({
      name: 'promtail_request_duration_seconds',
      help: 'Duration of send requests.',
      labelNames: ['status_code', 'host'],
      registers,
    }),
    batchRetries: new Counter({
      name: 'promtail_batch_retries_total',
      help: 'Number of times batches has had to be retried.',
      labelNames: ['host', 'tenant'],
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
