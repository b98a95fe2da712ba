// Promtail's syslog target metrics, registered once per registry and shared by every syslog job
// (Promtail's carry no job label either).

import { Counter, type Registry } from 'prom-client';

export interface SyslogMetrics {
  entries: Counter;
  parsingErrors: Counter;
  emptyMessages: Counter;
  /** logferry's own: datagrams dropped because the in-flight budget was full (UDP cannot be paused). */
  droppedDatagrams: Counter;
}

const cache = new WeakMap<Registry, SyslogMetrics>();

function counter(registry: Registry, name: string, help: string): Counter {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing;
  return new Counter({ name, help, registers: [registry] });
}

export function syslogMetrics(registry: Registry): SyslogMetrics {
  let m = cache.get(registry);
  if (!m) {
    m = {
      entries: counter(
        registry,
        'promtail_syslog_target_entries_total',
        'Total number of successful entries sent to the syslog target',
      ),
      parsingErrors: counter(
        registry,
        'promtail_syslog_target_parsing_errors_total',
        'Total number of parsing errors while receiving syslog messages',
      ),
      emptyMessages: counter(
        registry,
        'promtail_syslog_empty_messages_total',
        'Total number of empty messages receiving from syslog',
      ),
      droppedDatagrams: counter(
        registry,
        'logferry_syslog_dropped_datagrams_total',
        'Syslog UDP datagrams dropped because the in-flight budget was full',
      ),
    };
    cache.set(registry, m);
  }
  return m;
}
