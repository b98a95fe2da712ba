// The in-order queue of deliveries behind both acknowledgement trackers (FileAcks for byte
// offsets, CursorAcks for journal cursors): a ring buffer of reference-counted entries, each of
// which *is* its Delivery (one small object per line, no closure). A position may advance only
// over the oldest entries once every holder has released them; the queue says which entries
// that frees and keeps the in-flight budget's count.

/**
 * One handed-out delivery as the queue sees it. The trackers' entry classes implement Delivery
 * themselves, with `retainEntry` and `releaseEntry` below: a subclass of a shared base class
 * costs a third more per line in V8 (derived-class construction), so the entries share functions.
 */
export interface PendingAck {
  /** Holders that have not released yet; 0 once settled. */
  refs: number;
  /** What the entry weighs in the in-flight budget. */
  readonly bytes: number;
}

/** Delivery.retain() of an entry: `count` more holders. */
export function retainEntry(e: PendingAck, count: number): void {
  if (e.refs <= 0) throw new Error('retain() on a delivery that was already released');
  e.refs += count;
}

/** Delivery.release() of an entry: true when this was its last holder (the entry is settled). */
export function releaseEntry(e: PendingAck): boolean {
  if (e.refs <= 0) return false; // a second release is a holder's bug; it must not move positions
  return --e.refs === 0;
}

/** What counts the weight of entries in flight (InFlightBudget in acks.ts). */
export interface AckBudget {
  add(bytes: number): void;
  sub(bytes: number): void;
}

/**
 * The entries handed out and not yet passed by the position, oldest first: the base of FileAcks
 * and CursorAcks, which add what their position is and where it is written.
 */
export class AckQueue<E extends PendingAck> {
  private ring: (E | undefined)[] = new Array(64);
  private head = 0;
  private count = 0;

  constructor(private readonly budget: AckBudget) {}

  /** Entries handed out and not yet released. */
  get pending(): number {
    return this.count;
  }

  /** The oldest entry still in the queue, if any. */
  protected get oldest(): E | undefined {
    return this.count === 0 ? undefined : this.ring[this.head];
  }

  /** Queues a handed-out entry and counts its weight in the budget. */
  protected push(e: E): void {
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = e;
    this.count++;
    this.budget.add(e.bytes);
  }

  /**
   * `e`'s last holder released it: its weight leaves the budget. When it is the oldest entry, it
   * and the released entries right behind it leave the queue and the newest of them is returned
   * (the position may move past it); otherwise (an out-of-order release) nothing leaves and the
   * result is undefined: the position waits for the oldest.
   */
  protected shift(e: E): E | undefined {
    this.budget.sub(e.bytes);
    if (this.ring[this.head] !== e) return undefined;
    const ring = this.ring;
    const mask = ring.length - 1;
    let last: E;
    do {
      last = ring[this.head]!;
      ring[this.head] = undefined;
      this.head = (this.head + 1) & mask;
      this.count--;
    } while (this.count > 0 && ring[this.head]!.refs === 0);
    return last;
  }

  private grow(): void {
    const old = this.ring;
    const next: (E | undefined)[] = new Array(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.ring = next;
    this.head = 0;
  }
}
