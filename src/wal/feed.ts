// The two ends that join the disk buffer to the agent's flow, through the `Delivery` contract of
// src/types.ts and nothing else:
//
// - `WalAppender` takes entries from the pipelines (in place of the client fan-out), appends
//   them in groups, and releases each entry's delivery once it is durable: file positions then
//   advance over it. One append is in flight at a time; what arrives meanwhile forms the next.
// - `feedClient` reads one client's batches from its WalReader and hands their entries to the
//   client (e.g. `LokiClient.send`), each carrying a delivery of its buffer batch; when every
//   entry of the oldest batches is released (acknowledged by Loki, or dropped on purpose), the
//   client's cursor advances over them, in order.

import { type Logger, silentLogger } from '../log.js';
import { timerDelay } from '../timers.js';
import type { Delivery, Entry } from '../types.js';
import type { WalPosition } from './cursor.js';
import type { WalReader } from './reader.js';
import { RecordEncoder } from './record.js';
import type { Wal } from './wal.js';

export interface WalAppenderOptions {
  /** Appends start once this many entry bytes are pending, without waiting for the loop; default 1 MiB. */
  groupBytes?: number;
  logger?: Logger;
  /** First wait before retrying a failed append (disk full); doubles up to 30 s. Default 1 s. */
  retryMs?: number;
}

export class WalAppender {
  /** Entries are framed as they arrive: only their deliveries wait for the fsync. */
  private readonly encoder = new RecordEncoder();
  private pendingCount = 0;
  private pendingDeliveries: Delivery[] = [];
  private running: Promise<void> | undefined;
  private scheduled = false;
  private readonly groupBytes: number;
  private readonly retryMs: number;
  private readonly log: Logger;
  private stopping = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private wakeRetry: (() => void) | undefined;

  constructor(
    private readonly wal: Wal,
    options: WalAppenderOptions = {},
  ) {
    this.groupBytes = options.groupBytes ?? 1024 * 1024;
    this.retryMs = options.retryMs ?? 1000;
    this.log = (options.logger ?? silentLogger).with({ component: 'wal' });
  }

  /** Takes one entry; its delivery is released once it is durable in the buffer. Never blocks. */
  send(entry: Entry): void {
    if (!this.encoder.add(entry)) {
      // Over the record limit: counted, and released as any deliberate drop is.
      this.wal.refused(1);
      entry.delivery?.release();
      return;
    }
    this.pendingCount++;
    if (entry.delivery !== undefined) this.pendingDeliveries.push(entry.delivery);
    if (this.running) return;
    if (this.encoder.length >= this.groupBytes) this.start();
    else if (!this.scheduled) {
      // Let the rest of this read's lines join the group.
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        if (!this.running && this.pendingCount > 0) this.start();
      });
    }
  }

  /** Appends what is pending and waits until it is durable (or given up on by `stop`). */
  async flush(): Promise<void> {
    while (this.pendingCount > 0 || this.running) {
      if (!this.running) this.start();
      await this.running;
    }
  }

  /**
   * Flushes for at most `deadlineMs`, then stops retrying. An append still waiting for room
   * (full_policy: block) ends when the buffer closes; its entries stay unreleased, so their
   * files are read again from there on the next start.
   */
  async stop(deadlineMs = 0): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timerDelay(deadlineMs));
    });
    await Promise.race([this.flush(), expired]);
    clearTimeout(timer);
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.wakeRetry?.();
  }

  private start(): void {
    this.running = this.loop().finally(() => {
      this.running = undefined;
      if (this.pendingCount > 0 && !this.stopping) this.start();
    });
  }

  private async loop(): Promise<void> {
    while (this.pendingCount > 0) {
      const count = this.pendingCount;
      const deliveries = this.pendingDeliveries;
      // Valid until the next takeShared: a group is taken only once the previous one's append
      // settled (a retry resends the same records), and `running` keeps a second loop out.
      const records = this.encoder.takeShared();
      this.pendingCount = 0;
      this.pendingDeliveries = [];
      for (let wait = this.retryMs; ; wait = Math.min(wait * 2, 30_000)) {
        try {
          await this.wal.appendRecords(records, count);
          break;
        } catch (err) {
          if (this.stopping || this.wal.closed) return;
          this.log.error('cannot append to the disk buffer; retrying', {
            entries: count,
            retry_in_ms: wait,
            error: (err as Error).message,
          });
          await new Promise<void>((resolve) => {
            this.wakeRetry = resolve;
            this.retryTimer = setTimeout(resolve, wait);
          });
          this.wakeRetry = undefined;
          if (this.stopping) return;
        }
      }
      for (let i = 0; i < deliveries.length; i++) deliveries[i]!.release();
    }
  }
}

export interface FeedOptions {
  /** Bytes of buffer records handed to the client and not yet released; default 8 MiB. */
  maxInFlightBytes?: number;
  /** Bytes per batch read from the buffer; default 1 MiB. */
  readBytes?: number;
}

/** One buffer batch handed to a client: the delivery every one of its entries carries. */
class BatchDelivery implements Delivery {
  constructor(
    readonly end: WalPosition,
    readonly bytes: number,
    public remaining: number,
    private readonly feed: ClientFeed,
  ) {}

  retain(count = 1): void {
    this.remaining += count;
  }

  release(): void {
    if (--this.remaining === 0) this.feed.settled();
  }
}

/** A running feed from a reader to a client; `stop` ends it (unreleased entries are replayed next start). */
export class ClientFeed {
  private readonly batches: BatchDelivery[] = [];
  private inFlight = 0;
  private stopped = false;
  private wake: (() => void) | undefined;
  readonly done: Promise<void>;
  private readonly maxInFlight: number;
  private readonly readBytes: number;

  constructor(
    private readonly reader: WalReader,
    private readonly send: (entry: Entry) => void,
    options: FeedOptions = {},
  ) {
    this.maxInFlight = options.maxInFlightBytes ?? 8 * 1024 * 1024;
    this.readBytes = options.readBytes ?? 1024 * 1024;
    this.done = this.run();
  }

  /** Bytes handed to the client and not yet released. */
  get inFlightBytes(): number {
    return this.inFlight;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.reader.close();
    await this.done;
  }

  /** Called when a batch's last entry is released: acknowledges the settled batches in order. */
  settled(): void {
    let upTo: WalPosition | undefined;
    while (this.batches.length > 0 && this.batches[0]!.remaining <= 0) {
      const batch = this.batches.shift()!;
      this.inFlight -= batch.bytes;
      upTo = batch.end;
    }
    if (upTo) {
      this.reader.ack(upTo);
      this.wake?.();
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.inFlight >= this.maxInFlight) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        continue;
      }
      const batch = await this.reader.next({ maxBytes: this.readBytes });
      if (!batch || this.stopped) return;
      const delivery = new BatchDelivery(batch.end, batch.bytes, batch.entries.length, this);
      this.batches.push(delivery);
      this.inFlight += batch.bytes;
      for (const entry of batch.entries) {
        entry.delivery = delivery;
        this.send(entry);
      }
    }
  }
}

/** Starts feeding `send` from `reader`. */
export function feedClient(
  reader: WalReader,
  send: (entry: Entry) => void,
  options?: FeedOptions,
): ClientFeed {
  return new ClientFeed(reader, send, options);
}
