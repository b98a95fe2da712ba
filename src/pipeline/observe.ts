// Watching what a stage does to each entry without the stage knowing: a wrapper that snapshots
// an entry when it enters the stage and reports it when it leaves (passed on or dropped),
// whether that happens during the call or later (held entries: multiline, cri partials).
// The -inspect printer and `logferry pipeline` both observe stages through it.

import type { Entry, LabelSet } from '../types.js';
import type { Stage, StageOutput } from './stage.js';

/** What an entry looked like when it entered a stage. */
export interface Snapshot {
  labels: LabelSet;
  timestamp: bigint;
  line: string;
  extracted: Record<string, unknown>;
  structuredMetadata: LabelSet | undefined;
}

export function snapshot(e: Entry): Snapshot {
  return {
    labels: e.labels,
    timestamp: e.timestamp,
    line: e.line,
    extracted: { ...e.extracted },
    structuredMetadata: e.structuredMetadata && { ...e.structuredMetadata },
  };
}

/** Told what one wrapped stage does; `C` is what it keeps per call of `process`. */
export interface StageObserver<C> {
  /** An entry enters the stage. */
  entered(entry: Entry): C;
  /**
   * An entry leaves the stage: passed on, or dropped when `dropReason` is set. `call` is the
   * call in progress when it is that entry's own call, undefined for an entry the stage held
   * from before or made itself. `before` is undefined for an entry the stage made (a block).
   */
  left(entry: Entry, before: Snapshot | undefined, call: C | undefined, dropReason?: string): void;
  /** The call returned without passing its entry on: held, or folded into another entry. */
  held(entry: Entry, call: C): void;
  /** The stage threw (the runner then passes the entry on as it is). */
  failed(err: unknown, call: C): void;
}

/** A stage that behaves as `stage` and tells `observer` what it does. */
export function observeStage<C>(stage: Stage, observer: StageObserver<C>): Stage {
  return new ObservedStage(stage, observer);
}

class ObservedStage<C> implements Stage {
  readonly type: string;
  /** Entries that entered the stage and have not left yet. */
  private readonly snapshots = new WeakMap<Entry, Snapshot>();
  private readonly outputs = new WeakMap<StageOutput, ObservedOutput<C>>();

  constructor(
    readonly inner: Stage,
    private readonly observer: StageObserver<C>,
  ) {
    this.type = inner.type;
  }

  process(entry: Entry, out: StageOutput): void {
    const o = this.output(out);
    this.snapshots.set(entry, snapshot(entry));
    const outer = o.current;
    const call = { entry, token: this.observer.entered(entry), left: false };
    o.current = call;
    try {
      this.inner.process(entry, o);
      if (!call.left) this.observer.held(entry, call.token);
    } catch (err) {
      this.observer.failed(err, call.token);
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

  /** @internal */
  left(call: Call<C> | undefined, entry: Entry, dropReason?: string): void {
    const before = this.snapshots.get(entry);
    this.snapshots.delete(entry);
    const own = call !== undefined && call.entry === entry && !call.left ? call : undefined;
    if (own) own.left = true;
    this.observer.left(entry, before, own?.token, dropReason);
  }

  private output(out: StageOutput): ObservedOutput<C> {
    let o = this.outputs.get(out);
    if (o === undefined) {
      o = new ObservedOutput(this, out);
      this.outputs.set(out, o);
    }
    return o;
  }
}

interface Call<C> {
  entry: Entry;
  token: C;
  left: boolean;
}

class ObservedOutput<C> implements StageOutput {
  current: Call<C> | undefined;

  constructor(
    private readonly stage: ObservedStage<C>,
    private readonly out: StageOutput,
  ) {}

  emit(entry: Entry): void {
    this.stage.left(this.current, entry);
    this.out.emit(entry);
  }

  drop(entry: Entry, reason: string): void {
    this.stage.left(this.current, entry, reason);
    this.out.drop(entry, reason);
  }
}
