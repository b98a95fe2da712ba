// Runs sample lines through one job's pipeline and records, per line, what each stage did (the
// fields it changed, or that it dropped, held or failed on the entry) and the entries that came
// out. The real Pipeline runs the real stages; a recorder wraps each stage, nested ones (match)
// included, the way the -inspect printer does, so `logferry pipeline` and `logferry test` see
// exactly what the agent would ship.

import { Registry } from 'prom-client';
import type { ScrapeConfig } from '../config/types.js';
import { silentLogger } from '../log.js';
import { createMetrics } from '../metrics.js';
import type { CardinalityGuard } from '../pipeline/cardinality.js';
import { formatTimestamp } from '../pipeline/inspect.js';
import { observeStage, type Snapshot } from '../pipeline/observe.js';
import { createStageContext, Pipeline } from '../pipeline/pipeline.js';
import type { Stage, StageContext } from '../pipeline/stage.js';
import { type Entry, type LabelSet, nowNanos } from '../types.js';
import { sortedLabels } from './common.js';

/** One field a stage changed: `before` absent = added, `after` absent = removed. */
export interface FieldChange {
  /** `labels.<name>`, `extracted.<name>`, `structured_metadata.<name>`, `line` or `timestamp`. */
  field: string;
  before?: unknown;
  after?: unknown;
}

export interface StageEvent {
  stage: string;
  /** 0 for the job's stages, 1 inside a match, ... */
  depth: number;
  /**
   * passed: handed the entry on; dropped: dropped it; held: kept it (multiline, cri partial);
   * failed: threw (the entry passes on unchanged, as in the agent); emitted: passed on an entry
   * it held from an earlier line.
   */
  result: 'passed' | 'dropped' | 'held' | 'failed' | 'emitted';
  reason?: string;
  changes: FieldChange[];
}

export interface OutputEntry {
  labels: LabelSet;
  /** RFC 3339 with nanoseconds, UTC. */
  timestamp: string;
  line: string;
  structured_metadata: LabelSet;
}

export interface LineRecord {
  /** 1-based line number in the input; 0 for the final flush. */
  number: number;
  /** The input line (absent for the flush). */
  input?: string;
  stages: StageEvent[];
  entries: OutputEntry[];
  dropped: { stage: string; reason: string }[];
}

export interface PipelineRun {
  job: string;
  labels: LabelSet;
  lines: LineRecord[];
  /** What the stages passed on when the input ended (multiline blocks, partial lines); null when nothing happened. */
  flush: LineRecord | null;
}

export interface RunOptions {
  /** The read time of every line (Unix ns); default the clock at each line. */
  timestamp?: bigint;
  /** Samples the values the job's labels stages set (the cardinality guard). */
  cardinality?: CardinalityGuard;
}

/** One entry fed to the pipeline: its start labels, line and time; or one a source skipped. */
export interface PipelineInput {
  labels: LabelSet;
  line: string;
  /** Unix ns; default the clock when it is processed. */
  timestamp?: bigint;
  /** Set when the source would not hand the entry on (e.g. a journal entry without MESSAGE): why. */
  skipped?: { stage: string; reason: string };
}

/** Runs `lines` through the pipeline of `job`, starting each entry with `labels`. */
export function runPipelineLines(
  job: ScrapeConfig,
  labels: LabelSet,
  lines: readonly string[],
  options: RunOptions = {},
): PipelineRun {
  const startLabels = { ...labels };
  const inputs = lines.map(
    (line): PipelineInput => ({
      labels: startLabels,
      line,
      ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
    }),
  );
  return runPipelineEntries(job, startLabels, inputs, options);
}

/** Runs entries, each with its own labels and time, through the pipeline of `job`. */
export function runPipelineEntries(
  job: ScrapeConfig,
  labels: LabelSet,
  inputs: readonly PipelineInput[],
  options: Pick<RunOptions, 'cardinality'> = {},
): PipelineRun {
  const recorder = new Recorder();
  let base = createStageContext(job.jobName, silentLogger, createMetrics(new Registry()));
  if (options.cardinality) base = options.cardinality.attach(base);
  const inner = base.buildStages;
  // Stages built while another list is being built are nested (match): one level deeper.
  let level = 0;
  const ctx: StageContext = {
    ...base,
    buildStages: (l, c) => {
      const depth = level++;
      try {
        return inner(l, c).map((s) => recorder.wrap(s, depth));
      } finally {
        level--;
      }
    },
  };
  const pipeline = new Pipeline(job.pipelineStages, ctx, (entry) => recorder.output(entry));
  const run: PipelineRun = { job: job.jobName, labels: sortedLabels(labels), lines: [], flush: null };
  try {
    inputs.forEach((input, i) => {
      const record: LineRecord = { number: i + 1, input: input.line, stages: [], entries: [], dropped: [] };
      if (input.skipped) {
        record.dropped.push(input.skipped);
        run.lines.push(record);
        return;
      }
      recorder.record = record;
      pipeline.process({
        labels: input.labels,
        timestamp: input.timestamp ?? nowNanos(),
        line: input.line,
        extracted: {},
      });
      run.lines.push(record);
    });
    const flush: LineRecord = { number: 0, stages: [], entries: [], dropped: [] };
    recorder.record = flush;
    pipeline.flush();
    if (flush.stages.length || flush.entries.length || flush.dropped.length) run.flush = flush;
  } finally {
    pipeline.close();
  }
  return run;
}

class Recorder {
  record: LineRecord = { number: 0, stages: [], entries: [], dropped: [] };
  /** Entries already counted as dropped in this record (a drop inside match is passed up). */
  private readonly droppedEntries = new WeakSet<Entry>();

  wrap(stage: Stage, depth: number): Stage {
    const record = () => this.record;
    const event = (result: StageEvent['result']): StageEvent => {
      const e: StageEvent = { stage: stage.type, depth, result, changes: [] };
      record().stages.push(e);
      return e;
    };
    return observeStage<StageEvent>(stage, {
      // The event takes its place when the stage is entered, so nested stages list after their match.
      entered: () => event('held'),
      left: (entry, before, call, dropReason) => {
        // An entry held from before (or made by the stage) gets an event of its own.
        const e = call ?? event('emitted');
        if (dropReason !== undefined) {
          e.result = 'dropped';
          e.reason = dropReason;
          this.dropped(entry, stage.type, dropReason);
          return;
        }
        if (e.result === 'held') e.result = 'passed';
        e.changes = changes(before, entry);
      },
      held: () => {},
      failed: (err, e) => {
        e.result = 'failed';
        e.reason = err instanceof Error ? err.message : String(err);
      },
    });
  }

  output(entry: Entry): void {
    this.record.entries.push({
      labels: sortedLabels(entry.labels),
      timestamp: formatTimestamp(entry.timestamp),
      line: entry.line,
      structured_metadata: sortedLabels(entry.structuredMetadata ?? {}),
    });
  }

  dropped(entry: Entry, stage: string, reason: string): void {
    if (this.droppedEntries.has(entry)) return;
    this.droppedEntries.add(entry);
    this.record.dropped.push({ stage, reason });
  }
}

/** What differs between the entry as it entered and as it left (every field when it is new). */
function changes(before: Snapshot | undefined, after: Entry): FieldChange[] {
  const out: FieldChange[] = [];
  const maps = (prefix: string, a: Record<string, unknown>, b: Record<string, unknown>) => {
    const names = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const n of [...names].sort()) {
      const has = Object.hasOwn(a, n);
      const will = Object.hasOwn(b, n);
      const x = jsonValue(a[n]);
      const y = jsonValue(b[n]);
      if (has && will && JSON.stringify(x) === JSON.stringify(y)) continue;
      const c: FieldChange = { field: `${prefix}.${n}` };
      if (has) c.before = x;
      if (will) c.after = y;
      out.push(c);
    }
  };
  maps('extracted', before?.extracted ?? {}, after.extracted);
  maps('labels', before?.labels ?? {}, after.labels);
  maps('structured_metadata', before?.structuredMetadata ?? {}, after.structuredMetadata ?? {});
  if (before === undefined || before.timestamp !== after.timestamp) {
    const c: FieldChange = { field: 'timestamp', after: formatTimestamp(after.timestamp) };
    if (before) c.before = formatTimestamp(before.timestamp);
    out.push(c);
  }
  if (before === undefined || before.line !== after.line) {
    const c: FieldChange = { field: 'line', after: after.line };
    if (before) c.before = before.line;
    out.push(c);
  }
  return out;
}

/** A value as JSON shows it: bigints as strings, Maps and Dates as JSON makes them. */
function jsonValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return v;
  return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
}
