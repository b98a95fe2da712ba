// One client's view of the disk buffer: batches of entries read from its read position on, and
// `ack(end)` when a batch is delivered (or dropped on purpose), which advances the client's
// durable cursor. Reading holds one window of about 1 MiB, whatever the backlog.

import type { Entry } from '../types.js';
import { comparePositions, type WalPosition } from './cursor.js';
import { RecordDecoder } from './record.js';
import { FrameReader, segmentHeaderSize } from './segment.js';

/** Entries of one segment, in order, and the position just past the last of them. */
export interface WalBatch {
  entries: Entry[];
  end: WalPosition;
  /** Bytes of the records read (framing included). */
  bytes: number;
}

export interface ReadLimits {
  /** Default 10,000. */
  maxEntries?: number;
  /** Bytes of records per batch; default 1 MiB (a single larger record still makes a batch). */
  maxBytes?: number;
}

/** What a reader needs from its buffer; the Wal implements it. */
export interface ReaderHost {
  readonly closed: boolean;
  /** The segment's readable bytes (durable ones for the one being written), or undefined when gone. */
  segment(index: number): { path: string; size: number; sealed: boolean } | undefined;
  /** The index of the first segment after `index` that exists, if any. */
  segmentAfter(index: number): number | undefined;
  cursorOf(client: string): WalPosition;
  /** Resolves on the next append, drop or close. */
  waitForData(): Promise<void>;
  acked(client: string, upTo: WalPosition, entries: number): void;
  corrupt(path: string, offset: number, bytes: number, problem: string): void;
}

export class WalReader implements AsyncIterable<WalBatch> {
  private position: WalPosition;
  private frames: FrameReader | undefined;
  private framesSegment = -1;
  private readonly decoder = new RecordDecoder();
  /** Ends of the batches handed out and not yet acknowledged, with their entry counts. */
  private readonly unacked: { end: WalPosition; count: number }[] = [];
  private closed = false;
  /** Ends a wait for data when the reader is closed. */
  private wakeOnClose: (() => void) | undefined;

  constructor(
    readonly client: string,
    private readonly host: ReaderHost,
  ) {
    this.position = { ...host.cursorOf(client) };
  }

  /** Where the next batch starts. */
  get readPosition(): WalPosition {
    return { ...this.position };
  }

  /** Bytes this reader holds in memory to read (its window), not counting batches handed out. */
  get bufferedBytes(): number {
    return this.frames?.bufferedBytes ?? 0;
  }

  /**
   * The next batch, waiting for appends when the client has read everything; undefined once the
   * reader or the buffer is closed.
   */
  async next(limits: ReadLimits = {}): Promise<WalBatch | undefined> {
    const maxEntries = limits.maxEntries ?? 10_000;
    const maxBytes = limits.maxBytes ?? 1024 * 1024;
    for (;;) {
      if (this.closed || this.host.closed) return undefined;
      // A drop (full_policy: drop_oldest) may have moved the cursor past the read position.
      const cursor = this.host.cursorOf(this.client);
      if (comparePositions(cursor, this.position) > 0) this.position = { ...cursor };
      const seg = this.host.segment(this.position.segment);
      if (!seg) {
        const next = this.host.segmentAfter(this.position.segment);
        if (next === undefined) await this.waitForData();
        else this.position = { segment: next, offset: segmentHeaderSize };
        continue;
      }
      if (this.position.offset >= seg.size) {
        const next = seg.sealed ? this.host.segmentAfter(this.position.segment) : undefined;
        if (next === undefined) await this.waitForData();
        else this.position = { segment: next, offset: segmentHeaderSize };
        continue;
      }
      if (this.framesSegment !== this.position.segment) {
        await this.closeFrames();
        try {
          this.frames = await FrameReader.open(seg.path, this.position.offset);
        } catch (err) {
          // Deleted (dropped) between the check and the open: look again.
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw err;
        }
        this.framesSegment = this.position.segment;
        if (this.closed) {
          await this.closeFrames();
          return undefined;
        }
      }
      let batch: WalBatch | undefined;
      try {
        batch = await this.readFrames(this.frames!, seg.path, seg.size, maxEntries, maxBytes);
      } catch (err) {
        // close() shut the file under a read in progress.
        if (this.closed || this.host.closed) return undefined;
        throw err;
      }
      if (batch) return batch;
    }
  }

  /**
   * Acknowledges every entry up to `upTo` (the `end` of a batch): the client's cursor moves
   * there, and segments every client has passed are deleted. Acknowledge in order.
   */
  ack(upTo: WalPosition): void {
    let count = 0;
    while (this.unacked.length > 0 && comparePositions(this.unacked[0]!.end, upTo) <= 0) {
      count += this.unacked.shift()!.count;
    }
    this.host.acked(this.client, upTo, count);
  }

  /** Ends the reading: a `next` waiting for data resolves undefined. Acks still count. */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeOnClose?.();
    await this.closeFrames();
  }

  private async waitForData(): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      this.wakeOnClose = resolve;
    });
    await Promise.race([this.host.waitForData(), closed]);
    this.wakeOnClose = undefined;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WalBatch> {
    for (;;) {
      const batch = await this.next();
      if (!batch) return;
      yield batch;
    }
  }

  private async readFrames(
    frames: FrameReader,
    path: string,
    limit: number,
    maxEntries: number,
    maxBytes: number,
  ): Promise<WalBatch | undefined> {
    if (frames.offset !== this.position.offset) frames.seek(this.position.offset);
    const entries: Entry[] = [];
    const segment = this.position.segment;
    const first = frames.offset;
    let goodEnd = first;
    let corrupt = false;
    while (entries.length < maxEntries && frames.offset - first < maxBytes) {
      const start = frames.offset;
      const frame = frames.nextInWindow(limit) ?? (await frames.next(limit));
      if (frame === 'end') break;
      let entry: Entry | undefined;
      let problem: string = typeof frame === 'string' ? frame : '';
      if (typeof frame !== 'string') {
        try {
          entry = this.decoder.decode(frame.buf, frame.at);
        } catch (err) {
          problem = `payload: ${(err as Error).message}`;
        }
      }
      if (!entry) {
        // The rest of the segment cannot be framed any more: skip it, counted.
        this.host.corrupt(path, start, limit - start, problem);
        corrupt = true;
        break;
      }
      entries.push(entry);
      goodEnd = frames.offset;
    }
    const bytes = goodEnd - first;
    this.position = { segment, offset: corrupt ? limit : goodEnd };
    if (entries.length === 0) return undefined;
    const end = { ...this.position };
    this.unacked.push({ end, count: entries.length });
    return { entries, end, bytes };
  }

  private async closeFrames(): Promise<void> {
    const frames = this.frames;
    this.frames = undefined;
    this.framesSegment = -1;
    await frames?.close();
  }
}
