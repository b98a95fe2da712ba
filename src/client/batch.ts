// A batch: the entries of one tenant waiting to be pushed together, grouped into streams by
// labels string in the order they arrived. Sizes are counted as Promtail counts them (line
// bytes plus the protobuf size of structured metadata), so `batchsize` means the same thing.
//
// An entry is encoded into its stream's protobuf bytes as it is added, and only its delivery
// is kept: the Entry, its line and its extracted values die young instead of waiting in the
// JS heap for Loki's answer (see StreamEncoder).

import type { Delivery, LabelSet } from '../types.js';
import { assemblePushRequest, compress, StreamEncoder } from './encode.js';

export class Batch {
  /** Counted bytes (see entrySize). */
  bytes = 0;
  entries = 0;
  /** Entries refused because they would open a stream beyond `max_streams`. */
  refused = 0;
  private readonly streams = new Map<string, StreamEncoder>();
  /** The deliveries of the entries added, released together when the batch is settled. */
  private readonly deliveries: Delivery[] = [];
  /** Pending `batchwait` timer while the batch is open. */
  timer: NodeJS.Timeout | undefined;

  constructor(
    readonly tenant: string,
    /** performance.now() when the first entry arrived. */
    readonly createdAt: number,
  ) {}

  /**
   * Adds an entry (its timestamp, line of `lineBytes` UTF-8 bytes and structured metadata) to
   * the stream `labels`. Returns false, adding nothing, when that would open a stream beyond
   * `maxStreams` (0: no limit).
   */
  add(
    labels: string,
    timestamp: bigint,
    line: string,
    lineBytes: number,
    structuredMetadata: LabelSet | undefined,
    delivery: Delivery | undefined,
    size: number,
    maxStreams: number,
  ): boolean {
    let stream = this.streams.get(labels);
    if (stream === undefined) {
      if (maxStreams > 0 && this.streams.size >= maxStreams) {
        this.refused++;
        return false;
      }
      stream = new StreamEncoder(labels);
      this.streams.set(labels, stream);
    }
    stream.add(timestamp, line, lineBytes, structuredMetadata);
    if (delivery !== undefined) this.deliveries.push(delivery);
    this.bytes += size;
    this.entries++;
    return true;
  }

  /**
   * The snappy-compressed PushRequest body. Call once: the streams' buffers go back to the
   * pool (the body is all a retry needs).
   */
  encode(): Buffer {
    try {
      const raw = assemblePushRequest([...this.streams.values()], scratch);
      if (raw.buffer !== scratch.buffer) scratch = raw;
      return compress(raw);
    } finally {
      this.dispose();
    }
  }

  /** Releases every entry's delivery: acknowledged by Loki, or dropped on purpose. */
  release(): void {
    const deliveries = this.deliveries;
    for (let i = 0; i < deliveries.length; i++) deliveries[i]!.release();
    deliveries.length = 0;
  }

  /** Gives the streams' buffers back to the pool (encode() does; for a batch never encoded). */
  dispose(): void {
    for (const stream of this.streams.values()) stream.dispose();
    this.streams.clear();
  }
}

/**
 * The uncompressed request of the batch being encoded; compress() copies out of it, so one
 * buffer serves every batch. It grows to the largest request seen (about `batchsize`).
 */
let scratch: Buffer = Buffer.allocUnsafeSlow(64 * 1024);

/** Promtail's entry size: line bytes plus each structured metadata pair's protobuf size. */
export function entrySize(lineBytes: number, structuredMetadata: LabelSet | undefined): number {
  const sm = structuredMetadata;
  if (sm === undefined) return lineBytes;
  let size = lineBytes;
  for (const name in sm) size += fieldSize(Buffer.byteLength(name)) + fieldSize(Buffer.byteLength(sm[name]!));
  return size;
}

function fieldSize(len: number): number {
  if (len === 0) return 0;
  return 1 + (len < 0x80 ? 1 : len < 0x4000 ? 2 : len < 0x200000 ? 3 : 4) + len;
}
