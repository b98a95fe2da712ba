// Runs sample lines through one job's pipeline and records, per line, what each stage did (the
// fields it changed, or that it dropped, held or failed on the entry) and the entries that came
// out. The real Pipeline runs the real stages; a recorder wraps each stage, nested ones (match)
// included, the way the -inspect printer does, so `logferry pipeline` and `logferry test` see
// exactly what the agent would ship.

import { Registry } from 'prom-client';
import type { ScrapeConfig } from '../config/types.js';
import { silentLogger } from '../log.js';
import { createMetrics } from '../metrics.js';
import { formatTimestamp } from '../pipeline/inspect.js';
import { createStageContext, Pipeline } from '../pipeline/pipeline.js';
import type { Stage, StageContext, StageOutput } from '../pipeline/stage.js';
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
}

/** Runs `lines` through the pipeline of `job`, starting each entry with `labels`. */
export function runPipelineLines(
  job: ScrapeConfig,
  labels: LabelSet,
  lines: readonly string[],
  options: RunOptions = {},
): PipelineRun {
  const recorder = new Recorder();
  const base = createStageContext(job.jobName, silentLogger, createMetrics(new Registry()));
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
  const startLabels = { ...labels };
  const run: PipelineRun = { job: job.jobName, labels: sortedLabels(startLabels), lines: [], flush: null };
  try {
    lines.forEach((line, i) => {
      const record: LineRecord = { number: i + 1, input: line, stages: [], entries: [], dropped: [] };
      recorder.record = record;
      pipeline.process({
        labels: startLabels,
        timestamp: options.timestamp ?? nowNanos(),
        line,
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

interface Snapshot {
  labels: LabelSet;
  timestamp: bigint;
  line: string;
  extracted: Record<string, unknown>;
  structuredMetadata: LabelSet;
}

class Recorder {
  record: LineRecord = { number: 0, stages: [], entries: [], dropped: [] };
  /** Entries already counted as dropped in this record (a drop inside match is passed up). */
  private readonly droppedEntries = new WeakSet<Entry>();

  wrap(stage: Stage, depth: number): Stage {
    return new RecordedStage(stage, this, depth);
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

class RecordedStage implements Stage {
  readonly type: string;
  private readonly snapshots = new WeakMap<Entry, Snapshot>();
  private readonly outputs = new WeakMap<StageOutput, RecordedOutput>();

  constructor(
    private readonly inner: Stage,
    readonly recorder: Recorder,
    private readonly depth: number,
  ) {
    this.type = inner.type;
  }

  process(entry: Entry, out: StageOutput): void {
    const o = this.output(out);
    this.snapshots.set(entry, snapshot(entry));
    // The event takes its place when the stage is entered, so nested stages list after their match.
    const event: StageEvent = { stage: this.type, depth: this.depth, result: 'held', changes: [] };
    this.recorder.record.stages.push(event);
    const outer = o.current;
    o.current = { entry, event };
    try {
      this.inner.process(entry, o);
    } catch (err) {
      event.result = 'failed';
      event.reason = err instanceof Error ? err.message : String(err);
      throw err;
    } finally {
      o.current = outer;
    }
  }

  flush(out: StageOutput): void {
    this.inner.flush?.(this.output(out));
  }

  close(): void {
    this.inner.close?.();
  }

  /** Fills the event of the entry in process, or adds one for an entry held from before. */
  report(current: { entry: Entry; event: StageEvent } | undefined, entry: Entry, dropReason?: string): void {
    const before = this.snapshots.get(entry);
    this.snapshots.delete(entry);
    let event: StageEvent;
    if (current !== undefined && current.entry === entry && current.event.result === 'held')
      event = current.event;
    else {
      event = { stage: this.type, depth: this.depth, result: 'emitted', changes: [] };
      this.recorder.record.stages.push(event);
    }
    if (dropReason !== undefined) {
      event.result = 'dropped';
      event.reason = dropReason;
      this.recorder.dropped(entry, this.type, dropReason);
      return;
    }
    if (event.result === 'held') event.result = 'passed';
    event.changes = changes(before, entry);
  }

  private output(out: StageOutput): RecordedOutput {
    let o = this.outputs.get(out);
    if (o === undefined) {
      o = new RecordedOutput(this, out);
      this.outputs.set(out, o);
    }
    return o;
  }
}

class RecordedOutput implements StageOutput {
  current: { entry: Entry; event: StageEvent } | undefined;

  constructor(
    private readonly stage: RecordedStage,
    private readonly out: StageOutput,
  ) {}

  emit(entry: Entry): void {
    this.stage.report(this.current, entry);
    this.out.emit(entry);
  }

  drop(entry: Entry, reason: string): void {
    this.stage.report(this.current, entry, reason);
    this.out.drop(entry, reason);
  }
}

function snapshot(e: Entry): Snapshot {
  return {
    labels: e.labels,
    timestamp: e.timestamp,
    line: e.line,
    extracted: { ...e.extracted },
    structuredMetadata: { ...e.structuredMetadata },
  };
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
