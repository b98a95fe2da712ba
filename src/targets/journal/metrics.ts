// Promtail's journal target metrics, registered once per registry (every journal job shares them,
// as in Promtail, where they carry no job label).

import { Counter } from 'prom-client';
import type { Metrics } from '../../metrics.js';

export interface JournalMetrics {
  /** promtail_journal_target_lines_total */
  lines: Counter;
  /** promtail_journal_target_parsing_errors_total{error}: `no_message`, `empty_labels` (Promtail's), `malformed_export` (ours). */
  errors: Counter<'error'>;
}

const byRegistry = new WeakMap<Metrics['registry'], JournalMetrics>();

export function journalMetrics(metrics: Metrics): JournalMetrics {
  const registry = metrics.registry;
  let m = byRegistry.get(registry);
  if (!m) {
    m = {
      lines: new Counter({
        name: 'promtail_journal_target_lines_total',
        help: 'Total number of successful journal lines read',
        registers: [registry],
      }),
      errors: new Counter({
        name: 'promtail_journal_target_parsing_errors_total',
        help: 'Total number of parsing errors while reading journal messages',
        labelNames: ['error'],
        registers: [registry],
      }),
    };
    byRegistry.set(registry, m);
  }
  return m;
}
