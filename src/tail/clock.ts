// One timer for every tailer's safety-net poll: thousands of idle files share a few timer wakeups
// instead of each arming its own setTimeout per poll. Callers are grouped in slots of `resolution`
// milliseconds; one Node timer is armed for the earliest slot. A scheduled call cannot be
// cancelled: the caller passes a generation number and ignores calls of an older one.

import { timerDelay } from '../timers.js';

/** What the clock calls back: `tick(generation)` with the generation given to schedule(). */
export interface Tickable {
  tick(generation: number): void;
}

interface Slot {
  targets: Tickable[];
  generations: number[];
}

export class PollClock {
  private readonly slots = new Map<number, Slot>();
  /** Slot numbers that have calls, in ascending order. */
  private readonly order: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private readonly free: Slot[] = [];
  /** Users that keep the process alive while they wait (running tailers). */
  private holders = 0;

  constructor(private readonly resolution = 10) {}

  /** Calls `target.tick(generation)` in about `ms` milliseconds (rounded up to the resolution). */
  schedule(target: Tickable, generation: number, ms: number): void {
    const slotNo = Math.ceil((Date.now() + Math.max(0, ms)) / this.resolution);
    let slot = this.slots.get(slotNo);
    if (slot === undefined) {
      slot = this.free.pop() ?? { targets: [], generations: [] };
      this.slots.set(slotNo, slot);
      insertSorted(this.order, slotNo);
    }
    slot.targets.push(target);
    slot.generations.push(generation);
    if (slotNo < this.armedFor) this.arm(slotNo);
  }

  /** A user that keeps the process alive while its calls are pending (a running tailer) starts. */
  hold(): void {
    if (this.holders++ === 0) this.timer?.ref();
  }

  /** ... and ends: once none is left, pending calls (stale ones) no longer keep the process alive. */
  release(): void {
    if (--this.holders === 0) this.timer?.unref();
  }

  /** `floorMs`, or longer with many holders, so that all of them together poll at most `perSecond` times a second. */
  spreadInterval(floorMs: number, perSecond: number): number {
    return Math.max(floorMs, (this.holders / perSecond) * 1000);
  }

  /** Calls scheduled and not yet run (stale generations included). */
  get pending(): number {
    let n = 0;
    for (const s of this.slots.values()) n += s.targets.length;
    return n;
  }

  private arm(slotNo: number): void {
    clearTimeout(this.timer);
    this.armedFor = slotNo;
    this.timer = setTimeout(() => this.fire(), timerDelay(slotNo * this.resolution - Date.now()));
    if (this.holders === 0) this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = Math.floor(Date.now() / this.resolution);
    while (this.order.length > 0 && this.order[0]! <= now) {
      const slotNo = this.order.shift()!;
      const slot = this.slots.get(slotNo)!;
      this.slots.delete(slotNo);
      const { targets, generations } = slot;
      for (let i = 0; i < targets.length; i++) {
        try {
          targets[i]!.tick(generations[i]!);
        } catch {
          // A tailer reports its own errors; one failing must not stop the others' polls.
        }
      }
      targets.length = 0;
      generations.length = 0;
      if (this.free.length < 64) this.free.push(slot);
    }
    if (this.order.length > 0) this.arm(this.order[0]!);
  }
}

function insertSorted(a: number[], v: number): void {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  a.splice(lo, 0, v);
}

/** The clock every tailer of the process shares. */
export const pollClock = new PollClock();
