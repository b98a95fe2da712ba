// Metrics of the push listener. Promtail 2.9 registered its push server's dskit instrumentation
// under the namespace `promtail_<job>` (`promtail_<job>_request_duration_seconds{method, route,
// status_code, ws}`); Promtail 3.x registers it on a private registry, so nothing. logferry keeps
// the 2.9 histogram when the job name makes a valid metric name, and adds two counters so that
// refused pushes are never silent.

import { Counter, Histogram, type Registry } from 'prom-client';
import type { Metrics } from '../../metrics.js';

export interface PushMetrics {
  /** `logferry_push_requests_total{job, route, status_code}`: every request answered. */
  requests: Counter<'job' | 'route' | 'status_code'>;
  /** `logferry_push_entries_total{job}`: entries handed to the job's pipeline. */
  entries: Counter<'job'>;
  /** Promtail 2.9's `promtail_<job>_request_duration_seconds`, when the job name allows it. */
  duration: Histogram<'method' | 'route' | 'status_code' | 'ws'> | undefined;
}

/** dskit's request-duration buckets (instrument.DefBuckets). */
const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100];

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Registers (or finds, for a second push job or a reload) the push metrics on the agent's registry. */
export function pushMetrics(metrics: Metrics, jobName: string): PushMetrics {
  const registry = metrics.registry;
  const requests = getOrCreate(
    registry,
    'logferry_push_requests_total',
    () =>
      new Counter({
        name: 'logferry_push_requests_total',
        help: 'Requests answered by loki_push_api listeners, by route and status code.',
        labelNames: ['job', 'route', 'status_code'],
        registers: [registry],
      }),
  );
  const entries = getOrCreate(
    registry,
    'logferry_push_entries_total',
    () =>
      new Counter({
        name: 'logferry_push_entries_total',
        help: 'Entries received by loki_push_api listeners and handed to the pipeline.',
        labelNames: ['job'],
        registers: [registry],
      }),
  );
  const name = `promtail_${jobName}_request_duration_seconds`;
  const duration = metricName.test(name)
    ? getOrCreate(
        registry,
        name,
        () =>
          new Histogram({
            name,
            help: 'Time (in seconds) spent serving HTTP requests.',
            labelNames: ['method', 'route', 'status_code', 'ws'],
            buckets: durationBuckets,
            registers: [registry],
          }),
      )
    : undefined;
  return { requests, entries, duration };
}

function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}
