// The interface every source kind (journal, syslog, push) implements, so that the agent starts,
// stops and reports on each the same way, whatever it reads from.

import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { PositionStore } from '../positions/store.js';
import type { RelabelRule } from '../relabel/relabel.js';
import type { EntrySink, LabelSet } from '../types.js';

/** What the agent gives every source kind of one scrape config. */
export interface SourceContext {
  jobName: string;
  /** The scrape config's relabel_configs: apply to the source's labels (with `__journal_*`, `__syslog_*`, ...), then drop `__`-prefixed labels. */
  relabelConfigs: RelabelRule[];
  /** The job's pipeline. Entries carry a `delivery` when the source has a position to advance. */
  sink: EntrySink;
  positions: PositionStore;
  logger: Logger;
  metrics: Metrics;
}

/** One line of /targets for a source kind. */
export interface SourceStatus {
  job: string;
  kind: 'journal' | 'syslog' | 'push';
  ready: boolean;
  labels: LabelSet;
  /** Human-readable facts: listen address, cursor, entries read, ... */
  details: Record<string, string | number>;
}
