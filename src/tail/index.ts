// The tail module's entry point for the file target manager: one reader per file, a Tailer that
// follows it, or a CompressedFileReader that reads a rotated compressed file once.

import { CompressedFileReader, type DecompressionConfig, isCompressedPath } from './compressed.js';
import { type TailEnd, Tailer, type TailerOptions } from './tailer.js';

export {
  CompressedFileReader,
  type DecompressionConfig,
  isCompressedPath,
  parseDecompressionConfig,
} from './compressed.js';
export { describeKind, NotRegularFileError, type NotTailedReason } from './files.js';
export { type TailEnd, type TailEndReason, Tailer, type TailerOptions } from './tailer.js';

/** What the target manager holds per file, whichever kind of reader it is. */
export interface FileReader {
  readonly path: string;
  /** Settles once, when the reader has ended for good (never rejects). */
  readonly done: Promise<TailEnd>;
  /** Opens the file and starts reading; rejects (and `done` settles with 'error') when it cannot be opened. */
  start(): Promise<void>;
  /** Stops at once; positions keep following the releases of lines already handed out. */
  stop(): Promise<TailEnd>;
  /** Reads to the end (and on while the file grows) for at most graceMs, then stops. */
  drainAndStop(graceMs: number): Promise<TailEnd>;
  /** A hint that the file or its path changed (from a directory watcher). */
  notify(): void;
  /** Offset up to which lines have been handed on (0 for a compressed file, read whole). */
  readonly readOffset: number;
  /** The position saved for the file: a byte offset, or lines delivered for a compressed file. */
  readonly position: number;
}

/**
 * The reader Promtail would use for this path: a CompressedFileReader when the scrape config
 * enables decompression and the name ends in .gz/.z/.bz2, else a Tailer.
 */
export function createFileReader(
  options: TailerOptions & { decompression?: DecompressionConfig | undefined },
): FileReader {
  const { decompression, ...rest } = options;
  if (decompression?.enabled && isCompressedPath(options.path)) {
    return new CompressedFileReader({ ...rest, decompression });
  }
  return new Tailer(rest);
}
