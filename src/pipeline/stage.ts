// The contract between the pipeline runner and the stages: every file under stages/ exports
// one StageDefinition that parses and validates its options and creates a Stage.

import type { ConfigNode } from '../config/reader.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Entry } from '../types.js';

/** Where a stage sends what it has processed. */
export interface StageOutput {
  /** Passes an entry on to the next stage. */
  emit(entry: Entry): void;
  /**
   * Drops an entry on purpose: counted in `logentry_dropped_lines_total{reason}`, its delivery
   * released, shown by the inspector.
   */
  drop(entry: Entry, reason: string): void;
}

export interface Stage {
  /** The stage's YAML key (`json`, `cri`, ...), for the inspector and errors. */
  readonly type: string;
  /**
   * True when the stage starts by copying the entry's labels into its extracted values, as
   * Promtail's pipeline does (its cri, docker and match stages are pipelines of their own): a
   * pipeline whose first stage does it need not do it too.
   */
  readonly copiesLabels?: boolean;
  /**
   * Processes one entry and passes on zero or more entries through `out`. The runner gives a
   * stage the same `out` object on every call, so a stage that passes entries on later (a
   * multiline block on `max_wait_time`) may keep it.
   */
  process(entry: Entry, out: StageOutput): void;
  /** Passes on every entry the stage holds (end of input, shutdown). */
  flush?(out: StageOutput): void;
  /** Releases timers and other resources; the stage receives nothing after. */
  close?(): void;
}

/** What a stage may use besides its own options. */
export interface StageContext {
  jobName: string;
  logger: Logger;
  metrics: Metrics;
  /** Builds nested stages from a `stages:` list (for `match`). */
  buildStages(list: ConfigNode, ctx: StageContext): Stage[];
}

export interface StageDefinition {
  /** The YAML key of the stage. */
  type: string;
  /** Other keys that name the same stage (`non_indexed_labels` for `structured_metadata`). */
  aliases?: readonly string[];
  /**
   * Parses and validates the stage's options (the value under its key); fails with a
   * ConfigError naming the option (use `node.fail`).
   */
  create(options: ConfigNode, ctx: StageContext): Stage;
}
