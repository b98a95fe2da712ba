// A chain of stages: the top level of a pipeline and the nested stages of `match` both run one.
// Each stage gets its own stable StageOutput (a Link) whose `emit` calls the next stage (the last
// one calls the chain's end) and whose `drop` hands the entry to the end to be counted. Kept apart
// from pipeline.ts so that `stages/match.ts` and `pipeline.ts` can both import it without a cycle.

import type { Logger } from '../log.js';
import type { Entry } from '../types.js';
import type { Stage, StageOutput } from './stage.js';

/** How often a failing stage is logged, at most. */
export const errorLogInterval = 10_000;

/** Where the entries that leave a chain of stages go. */
export interface ChainEnd {
  /** An entry passed on by the last stage. */
  emit(entry: Entry): void;
  /** An entry a stage dropped on purpose (`stage` is its type). */
  drop(entry: Entry, reason: string, stage: string): void;
}

/**
 * Stages run in order, each with its own stable StageOutput: the top level of a pipeline, and
 * the nested stages of `match`. A stage that throws on an entry is logged (rate-limited) and the
 * entry passes on as it is, as Promtail's stages do.
 */
export class StageChain {
  private readonly links: Link[];
  private readonly head: Link | undefined;

  constructor(
    readonly stages: readonly Stage[],
    readonly end: ChainEnd,
    readonly logger: Logger,
  ) {
    this.links = stages.map((stage) => new Link(stage, this));
    for (let i = 0; i < this.links.length - 1; i++) this.links[i]!.next = this.links[i + 1];
    this.head = this.links[0];
  }

  /** Runs one entry through the stages; it leaves through `end`, or a stage holds it. */
  process(entry: Entry): void {
    if (this.head === undefined) this.end.emit(entry);
    else this.head.process(entry);
  }

  /** Passes on what every stage holds, in stage order (so held entries still meet later stages). */
  flush(): void {
    for (const link of this.links) link.flush();
  }

  /** Releases the stages' timers. */
  close(): void {
    for (const s of this.stages) {
      try {
        s.close?.();
      } catch (err) {
        this.logger.error('pipeline stage failed to close', { stage: s.type, err });
      }
    }
  }
}

/** The StageOutput of one stage: passes its entries to the next stage, or out of the chain. */
class Link implements StageOutput {
  next: Link | undefined;
  /** The entry in `process`, to know whether a stage that threw had passed it on already. */
  private current: Entry | undefined;
  private handled = false;
  private lastErrorLog = 0;
  private suppressed = 0;

  constructor(
    readonly stage: Stage,
    private readonly chain: StageChain,
  ) {}

  process(entry: Entry): void {
    const outer = this.current;
    const outerHandled = this.handled;
    this.current = entry;
    this.handled = false;
    try {
      this.stage.process(entry, this);
    } catch (err) {
      this.failed(err);
      // Promtail's stages log a failure and hand the entry on as it is.
      if (!this.handled) this.emit(entry);
    }
    this.current = outer;
    this.handled = outerHandled;
  }

  flush(): void {
    if (this.stage.flush === undefined) return;
    try {
      this.stage.flush(this);
    } catch (err) {
      this.failed(err);
    }
  }

  emit(entry: Entry): void {
    if (entry === this.current) this.handled = true;
    if (this.next !== undefined) this.next.process(entry);
    else this.chain.end.emit(entry);
  }

  drop(entry: Entry, reason: string): void {
    if (entry === this.current) this.handled = true;
    this.chain.end.drop(entry, reason, this.stage.type);
  }

  failed(err: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorLog < errorLogInterval) {
      this.suppressed++;
      return;
    }
    this.chain.logger.error('pipeline stage failed on an entry; passing the entry on unchanged', {
      stage: this.stage.type,
      err,
      ...(this.suppressed ? { suppressed: this.suppressed } : {}),
    });
    this.lastErrorLog = now;
    this.suppressed = 0;
  }
}
