// Acknowledgement tracking: positions advance only over lines that every holder has released
// (delivered to Loki, or dropped on purpose), so a crash at any instant re-sends at most what was
// in flight and loses nothing. Also the global in-flight budget that pauses reading while too
// many bytes are read but not yet released.
//
// Per file, the entries handed out form an in-order queue (AckQueue in ack-queue.ts). Each
// entry *is* its Delivery: one small object per line, no closure. The file's safe offset is the
// start of the oldest unreleased entry, or the end of the last entry handed out when none is
// pending.

import type { Delivery } from '../types.js';
import { AckQueue, type PendingAck, releaseEntry, retainEntry } from './ack-queue.js';
import type { PositionSink } from './store.js';

/**
 * Default `inFlightBytes`: 8 MiB of lines read but not yet released, over all files. The
 * clients push one batch at a time, so a few `batchsize` batches queued behind the one in
 * flight keep them busy; more only holds memory (the files are the buffer). Lines folded into
 * another (cri partial lines, multiline) leave the count when folded, so what the clients hold
 * can exceed it.
 */
export const defaultInFlightBytes = 8 * 1024 * 1024;

/**
 * Bytes of entries handed out but not yet fully released, over every file. Tailers await
 * `room()` before each read. Reading pauses when the total reaches the limit and resumes once
 * releases bring it down to a low-water mark a quarter of the limit (at most 2 MiB) below:
 * resuming at the first byte of room would have every tailer read a sliver, and each read
 * that ends inside a long line leaves its fragments waiting, long enough to be promoted by the
 * young-generation GC.
 */
export class InFlightBudget {
  private inFlight = 0;
  private paused = false;
  private readonly resumeAt: number;
  private waiting: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(readonly limit: number = defaultInFlightBytes) {
    if (!(limit > 0)) throw new Error(`in-flight byte limit must be positive, got ${limit}`);
    this.resumeAt = limit - Math.min(limit / 4, 2 * 1024 * 1024);
  }

  /** Bytes currently in flight. */
  get bytes(): number {
    return this.inFlight;
  }

  /** True while readers should pause. */
  get full(): boolean {
    return this.paused;
  }

  /** Resolves at once when reading may go on, else when releases bring the total to the low-water mark. */
  room(): Promise<void> {
    if (!this.paused) return Promise.resolve();
    if (!this.waiting) {
      this.waiting = new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    return this.waiting;
  }

  /** @internal */
  add(n: number): void {
    this.inFlight += n;
    if (this.inFlight >= this.limit) this.paused = true;
  }

  /** @internal */
  sub(n: number): void {
    this.inFlight -= n;
    if (!this.paused || this.inFlight > this.resumeAt) return;
    this.paused = false;
    if (this.wake !== undefined) {
      const wake = this.wake;
      this.wake = undefined;
      this.waiting = undefined;
      wake();
    }
  }
}

/**
 * The Delivery of an entry whose source keeps no position (push, syslog): it holds `bytes` of the
 * budget from its creation until every holder released it.
 */
export class BudgetDelivery implements Delivery, PendingAck {
  refs = 1;
  constructor(
    private readonly budget: InFlightBudget,
    readonly bytes: number,
  ) {
    budget.add(bytes);
  }

  retain(count = 1): void {
    retainEntry(this, count);
  }

  release(): void {
    if (releaseEntry(this)) this.budget.sub(this.bytes);
  }
}

/** The Delivery a tailer hands out with each line, carrying the line's byte range in its file. */
export interface LineDelivery extends Delivery {
  /** Offset of the line's first byte. */
  readonly start: number;
  /** Offset just past the line's newline: where reading resumes once this line is delivered. */
  readonly end: number;
}

class PendingEntry implements LineDelivery, PendingAck {
  refs = 1;
  constructor(
    readonly acks: FileAcks,
    readonly start: number,
    readonly end: number,
    readonly generation: number,
    readonly bytes: number,
  ) {}

  retain(count = 1): void {
    retainEntry(this, count);
  }

  release(): void {
    if (releaseEntry(this)) this.acks.settle(this);
  }
}

/** Which FileAcks currently writes each path, per sink: a newer tracker for a path supersedes an older one. */
const owners = new WeakMap<PositionSink, Map<string, FileAcks>>();

/**
 * The pending entries of one file path and the position they allow. A tailer creates one when it
 * starts; creating another for the same path and sink (a new tailer after a reload) takes the
 * path over: the older tracker keeps counting releases against the budget but no longer writes.
 */
export class FileAcks extends AckQueue<PendingEntry> {
  private generation = 0;
  /** Where the current generation (file at the path) starts: 0 after a rotation or truncation. */
  private generationStart: number;
  /** End of the last entry handed out in the current generation. */
  private lastEnd: number;
  /** Set when the file is gone or a newer tracker took the path: releases no longer write. */
  private detached = false;
  private closing = false;
  private unregistered = false;

  constructor(
    private readonly sink: PositionSink,
    readonly path: string,
    budget: InFlightBudget,
    offset: number,
  ) {
    super(budget);
    this.generationStart = offset;
    this.lastEnd = offset;
    let byPath = owners.get(sink);
    if (!byPath) {
      byPath = new Map();
      owners.set(sink, byPath);
    }
    const previous = byPath.get(path);
    if (previous) previous.unregister();
    byPath.set(path, this);
    sink.hold?.(path);
    this.publish(offset);
  }

  /**
   * Hands out the entry for bytes [start, end) of the current file. `bytes` is what it weighs in
   * the budget when positions are not byte offsets (compressed files count lines).
   */
  track(start: number, end: number, bytes = end - start): LineDelivery {
    const e = new PendingEntry(this, start, end, this.generation, bytes);
    this.push(e);
    this.lastEnd = end;
    return e;
  }

  /**
   * The path now holds a different file (rotation) or the file was truncated: positions restart
   * at `offset` of the new content at once. Entries of the old content still pending keep the
   * position there until they are released (their own file is no longer at this path).
   */
  restart(offset = 0): void {
    this.generation++;
    this.generationStart = offset;
    this.lastEnd = offset;
    this.publish(offset);
  }

  /** The offset that is safe to resume from now. */
  get offset(): number {
    const oldest = this.oldest;
    if (oldest === undefined) return this.lastEnd;
    return oldest.generation === this.generation ? oldest.start : this.generationStart;
  }

  /**
   * The tailer is done with this path. With `forget` (the file is gone), the position is removed
   * now and later releases no longer write it; otherwise releases keep advancing it.
   */
  close(forget: boolean): void {
    this.closing = true;
    if (forget && !this.detached) {
      this.sink.remove(this.path);
      this.unregister();
    } else if (this.pending === 0) {
      this.unregister();
    }
  }

  /** @internal Called by an entry when its last holder released it. */
  settle(e: PendingEntry): void {
    if (this.shift(e) === undefined) return; // an out-of-order release: the position waits for the oldest
    this.publish(this.offset);
    if (this.closing && this.pending === 0) this.unregister();
  }

  private unregister(): void {
    if (this.unregistered) return;
    this.unregistered = true;
    const byPath = owners.get(this.sink)!;
    if (byPath.get(this.path) === this) byPath.delete(this.path);
    this.detached = true;
    this.sink.release?.(this.path);
  }

  private publish(offset: number): void {
    // No cached "last written" value: the store may have dropped the entry meanwhile (its cleanup
    // of missing files during a rotation), and set() of an unchanged value costs a map lookup.
    if (!this.detached) this.sink.set(this.path, offset);
  }
}
