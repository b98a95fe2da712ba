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

/** A running source of one scrape config (a journal reader, a syslog listener, a push server). */
export interface Source {
  /** Starts reading or listening; rejects when it cannot (a port in use), naming the job. */
  start(): Promise<void>;
  /** Stops reading or listening; entries already handed on stay in flight. */
  stop(): Promise<void>;
  status(): SourceStatus;
}
