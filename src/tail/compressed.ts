// Reads a rotated, compressed log file once from start to end, as Promtail does when a scrape
// config has `decompression.enabled`: the file is not followed, and its position is the number of
// lines already delivered (Promtail's convention, so its positions carry over), not a byte offset.
// Lines are split on '\n' with a trailing '\r' removed and the last unterminated line emitted,
// as Promtail's line scanner does for compressed files.

import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import type { ConfigNode } from '../config/reader.js';
import { type Logger, silentLogger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { FileAcks } from '../positions/acks.js';
import { timerDelay } from '../timers.js';
import type { TailEnd, TailerOptions } from './tailer.js';

/** `decompression` in a scrape config. */
export interface DecompressionConfig {
  enabled: boolean;
  /** `initial_delay`: wait this long before reading, so the compressor has finished writing. */
  initialDelayMs: number;
  /** `format`: gz or z (zlib). Promtail also reads bz2; logferry refuses it at config load. */
  format: 'gz' | 'z';
}

/** Parses a scrape config's `decompression` block; undefined when it is absent. */
export function parseDecompressionConfig(node: ConfigNode): DecompressionConfig | undefined {
  if (node.missing) return undefined;
  node.expectKeys(['enabled', 'initial_delay', 'format']);
  const enabled = node.get('enabled').boolean(false);
  const initialDelayMs = node.get('initial_delay').duration(0);
  const formatNode = node.get('format');
  const format = formatNode.string('gz');
  if (format === 'bz2') {
    formatNode.fail(
      'bz2 is not supported by logferry (no maintained bzip2 decoder for Node.js); use gz or z',
    );
  }
  if (format !== 'gz' && format !== 'z') formatNode.fail(`unsupported format "${format}", expected gz or z`);
  return { enabled, initialDelayMs, format: format as 'gz' | 'z' };
}

/** File name endings Promtail treats as compressed when decompression is enabled. */
export function isCompressedPath(path: string): boolean {
  return /\.(gz|z|bz2)$/.test(path);
}

export interface CompressedReaderOptions extends Omit<TailerOptions, 'chunkSize'> {
  decompression: DecompressionConfig;
}

export class CompressedFileReader {
  readonly path: string;
  readonly done: Promise<TailEnd>;
  private readonly options: CompressedReaderOptions;
  private readonly logger: Logger;
  private readonly metrics: Metrics | undefined;
  private resolveDone!: (end: TailEnd) => void;
  private stream: Readable | undefined;
  private started = false;
  private ended = false;
  private stopping = false;
  private wake: (() => void) | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private acks: FileAcks | undefined;
  private counted = false;

  constructor(options: CompressedReaderOptions) {
    this.options = options;
    this.path = options.path;
    this.metrics = options.metrics;
    this.logger = (options.logger ?? silentLogger).with({ component: 'decompressor', path: options.path });
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /** Checks that the file can be opened, then reads it in the background (after `initial_delay`). */
  async start(): Promise<void> {
    if (this.started) throw new Error(`reader for ${this.path} already started`);
    this.started = true;
    try {
      await fs.promises.access(this.path, fs.constants.R_OK);
    } catch (err) {
      const error = new Error(`cannot open ${this.path} for reading: ${(err as Error).message}`);
      this.finish({ reason: 'error', error });
      throw error;
    }
    if (this.metrics) {
      this.metrics.filesActive.inc();
      this.counted = true;
    }
    void this.run().then(
      (end) => this.finish(end),
      (err: unknown) => {
        const error = new Error(`cannot decompress ${this.path}: ${(err as Error).message}`);
        this.logger.error('error decompressing file', { error });
        this.finish({ reason: 'error', error });
      },
    );
  }

  stop(): Promise<TailEnd> {
    this.stopping = true;
    if (!this.started) this.finish({ reason: 'stopped' });
    this.stream?.destroy();
    this.wake?.();
    return this.done;
  }

  /** A compressed file does not grow: reading on to its end, for at most `graceMs`. */
  drainAndStop(graceMs: number): Promise<TailEnd> {
    if (!this.started) return this.stop();
    if (!this.drainTimer && !this.ended) {
      this.drainTimer = setTimeout(() => void this.stop(), timerDelay(graceMs));
    }
    return this.done;
  }

  notify(): void {}

  /** Read whole, not followed: no byte offset to show. */
  get readOffset(): number {
    return 0;
  }

  /** Lines delivered (Promtail's convention for compressed files). */
  get position(): number {
    return this.acks?.offset ?? 0;
  }

  private finish(end: TailEnd): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.drainTimer);
    this.acks?.close(false);
    if (this.metrics && this.counted) {
      this.metrics.filesActive.dec();
      this.metrics.readBytes.remove(this.path);
      this.metrics.readLines.remove(this.path);
      this.metrics.fileBytes.remove(this.path);
    }
    this.resolveDone(end);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, timerDelay(ms));
      const self = this;
      function done() {
        clearTimeout(t);
        self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }

  private async run(): Promise<TailEnd> {
    const { decompression, positions, budget, onLine } = this.options;
    if (decompression.initialDelayMs > 0) await this.sleep(decompression.initialDelayMs);
    if (this.stopping) return { reason: 'stopped' };
    const skip = positions.get(this.path) ?? 0;
    const acks = new FileAcks(positions, this.path, budget, skip);
    this.acks = acks;
    const size = (await fs.promises.stat(this.path)).size;
    const readBytes = this.metrics?.readBytes.labels(this.path);
    const readLines = this.metrics?.readLines.labels(this.path);
    this.metrics?.fileBytes.labels(this.path).set(size);

    const source = fs.createReadStream(this.path, { highWaterMark: 256 * 1024 });
    const inflate = decompression.format === 'gz' ? zlib.createGunzip() : zlib.createInflate();
    source.on('error', (err) => inflate.destroy(err));
    let compressedRead = 0;
    source.on('data', (chunk: string | Buffer) => {
      compressedRead += chunk.length;
      readBytes?.set(compressedRead);
    });
    this.stream = source.pipe(inflate);
    let lineNo = 0;
    let carry: Buffer | undefined;
    const emit = (buf: Buffer, start: number, end: number) => {
      lineNo++;
      if (lineNo <= skip) return; // delivered before a restart
      const stop = end > start && buf[end - 1] === 13 ? end - 1 : end;
      readLines?.inc();
      onLine(buf.toString('utf8', start, stop), acks.track(lineNo - 1, lineNo, end - start + 1));
    };
    try {
      for await (const chunk of this.stream as AsyncIterable<Buffer>) {
        const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
        carry = undefined;
        let start = 0;
        let nl = buf.indexOf(10);
        while (nl !== -1) {
          emit(buf, start, nl);
          start = nl + 1;
          nl = buf.indexOf(10, start);
        }
        if (start < buf.length) carry = buf.subarray(start);
        if (budget.full) {
          await Promise.race([budget.room(), this.sleep(1000)]);
        }
        if (this.stopping) return { reason: 'stopped' };
      }
    } catch (err) {
      if (this.stopping) return { reason: 'stopped' };
      throw err;
    }
    if (this.stopping) return { reason: 'stopped' };
    if (carry) emit(carry, 0, carry.length);
    this.logger.info('compressed file read to its end', { lines: lineNo });
    return { reason: 'drained' };
  }
}
