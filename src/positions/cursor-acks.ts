// Acknowledgement tracking for positions that are strings (the journal cursor): the saved cursor
// is that of the newest entry which, with every entry before it, has been released (delivered to
// Loki or dropped on purpose). Same ring-of-slots idea as FileAcks in acks.ts, for sources whose
// position is an opaque token rather than a byte offset.

import type { Delivery } from '../types.js';
import type { InFlightBudget } from './acks.js';

/** Where a string position is written (the PositionStore, or a test's own sink). */
export interface StringPositionSink {
  setString(key: string, value: string): void;
}

class PendingCursor implements Delivery {
  refs = 1;
  constructor(
    readonly acks: CursorAcks,
    readonly cursor: string,
    readonly bytes: number,
  ) {}

  retain(count = 1): void {
    if (this.refs <= 0) throw new Error('retain() on a delivery that was already released');
    this.refs += count;
  }

  release(): void {
    if (this.refs <= 0) return; // a second release is a holder's bug; it must not move positions
    if (--this.refs === 0) this.acks.settle(this);
  }
}

export class CursorAcks {
  private ring: (PendingCursor | undefined)[] = new Array(64);
  private head = 0;
  private count = 0;
  /** The cursor saved last (or given at start). */
  private saved: string | undefined;

  constructor(
    private readonly sink: StringPositionSink,
    readonly key: string,
    private readonly budget: InFlightBudget,
    initial?: string,
  ) {
    this.saved = initial;
  }

  /** Hands out the delivery of the entry at `cursor`, weighing `bytes` in the in-flight budget. */
  track(cursor: string, bytes: number): Delivery {
    const e = new PendingCursor(this, cursor, bytes);
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = e;
    this.count++;
    this.budget.add(bytes);
    return e;
  }

  /** An entry read but not handed on (no MESSAGE, no labels left): the position may pass it once earlier entries are released. */
  skip(cursor: string): void {
    if (this.count === 0) this.publish(cursor);
    else this.track(cursor, 0).release();
  }

  /** The cursor that is safe to resume after now. */
  get cursor(): string | undefined {
    return this.saved;
  }

  /** Entries handed out and not yet released. */
  get pending(): number {
    return this.count;
  }

  /** @internal Called by an entry when its last holder released it. */
  settle(e: PendingCursor): void {
    this.budget.sub(e.bytes);
    if (this.ring[this.head] !== e) return; // out of order: the position waits for the oldest
    const ring = this.ring;
    const mask = ring.length - 1;
    let last: PendingCursor;
    do {
      last = ring[this.head]!;
      ring[this.head] = undefined;
      this.head = (this.head + 1) & mask;
      this.count--;
    } while (this.count > 0 && ring[this.head]!.refs === 0);
    this.publish(last.cursor);
  }

  private publish(cursor: string): void {
    this.saved = cursor;
    this.sink.setString(this.key, cursor);
  }

  private grow(): void {
    const old = this.ring;
    const next: (PendingCursor | undefined)[] = new Array(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.ring = next;
    this.head = 0;
  }
}
