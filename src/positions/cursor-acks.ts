// Acknowledgement tracking for positions that are strings (the journal cursor): the saved cursor
// is that of the newest entry which, with every entry before it, has been released (delivered to
// Loki or dropped on purpose). Built, like FileAcks in acks.ts, on the AckQueue of ack-queue.ts,
// for sources whose position is an opaque token rather than a byte offset.

import type { Delivery } from '../types.js';
import { AckQueue, type PendingAck, releaseEntry, retainEntry } from './ack-queue.js';
import type { InFlightBudget } from './acks.js';

/** Where a string position is written (the PositionStore, or a test's own sink). */
export interface StringPositionSink {
  setString(key: string, value: string): void;
}

class PendingCursor implements Delivery, PendingAck {
  refs = 1;
  constructor(
    readonly acks: CursorAcks,
    readonly cursor: string,
    readonly bytes: number,
  ) {}

  retain(count = 1): void {
    retainEntry(this, count);
  }

  release(): void {
    if (releaseEntry(this)) this.acks.settle(this);
  }
}

export class CursorAcks extends AckQueue<PendingCursor> {
  /** The cursor saved last (or given at start). */
  private saved: string | undefined;

  constructor(
    private readonly sink: StringPositionSink,
    readonly key: string,
    budget: InFlightBudget,
    initial?: string,
  ) {
    super(budget);
    this.saved = initial;
  }

  /** Hands out the delivery of the entry at `cursor`, weighing `bytes` in the in-flight budget. */
  track(cursor: string, bytes: number): Delivery {
    const e = new PendingCursor(this, cursor, bytes);
    this.push(e);
    return e;
  }

  /** An entry read but not handed on (no MESSAGE, no labels left): the position may pass it once earlier entries are released. */
  skip(cursor: string): void {
    if (this.pending === 0) this.publish(cursor);
    else this.track(cursor, 0).release();
  }

  /** The cursor that is safe to resume after now. */
  get cursor(): string | undefined {
    return this.saved;
  }

  /** @internal Called by an entry when its last holder released it. */
  settle(e: PendingCursor): void {
    const last = this.shift(e);
    if (last !== undefined) this.publish(last.cursor); // else out of order: the position waits for the oldest
  }

  private publish(cursor: string): void {
    this.saved = cursor;
    this.sink.setString(this.key, cursor);
  }
}
