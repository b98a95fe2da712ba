// A batch: the entries of one tenant waiting to be pushed together, grouped into streams by
// labels string in the order they arrived. Sizes are counted as Promtail counts them (line
// bytes plus the protobuf size of structured metadata), so `batchsize` means the same thing.

import type { Entry } from '../types.js';
import { compress, encodePushRequest, type PushStream } from './encode.js';

export class Batch {
  /** Counted bytes (see entrySize). */
  bytes = 0;
  entries = 0;
  readonly streams = new Map<string, PushStream>();
  /** Pending `batchwait` timer while the batch is open. */
  timer: NodeJS.Timeout | undefined;

  constructor(
    readonly tenant: string,
    /** performance.now() when the first entry arrived. */
    readonly createdAt: number,
  ) {}

  /**
   * Adds an entry to the stream `labels`. Returns false, adding nothing, when that would open
   * a stream beyond `maxStreams` (0: no limit).
   */
  add(labels: string, entry: Entry, size: number, maxStreams: number): boolean {
    let stream = this.streams.get(labels);
    if (stream === undefined) {
      if (maxStreams > 0 && this.streams.size >= maxStreams) return false;
      stream = { labels, entries: [] };
      this.streams.set(labels, stream);
    }
    stream.entries.push(entry);
    this.bytes += size;
    this.entries++;
    return true;
  }

  /** The snappy-compressed PushRequest body. */
  encode(): Buffer {
    return compress(encodePushRequest([...this.streams.values()]));
  }

  /** Releases every entry's delivery: acknowledged by Loki, or dropped on purpose. */
  release(): void {
    for (const stream of this.streams.values()) {
      for (const e of stream.entries) e.delivery?.release();
    }
  }
}

/** Promtail's entry size: line bytes plus each structured metadata pair's protobuf size. */
export function entrySize(lineBytes: number, entry: Entry): number {
  const sm = entry.structuredMetadata;
  if (sm === undefined) return lineBytes;
  let size = lineBytes;
  for (const name in sm) size += fieldSize(Buffer.byteLength(name)) + fieldSize(Buffer.byteLength(sm[name]!));
  return size;
}

function fieldSize(len: number): number {
  if (len === 0) return 0;
  return 1 + (len < 0x80 ? 1 : len < 0x4000 ? 2 : len < 0x200000 ? 3 : 4) + len;
}
