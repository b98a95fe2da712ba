// The Loki client: groups entries into one batch per tenant, streams by labels string, and
// pushes each batch (protobuf + snappy) with undici, one request at a time so the entries of a
// stream reach Loki in the order they were read. 429, 5xx and connection errors are retried
// with backoff; other 4xx drop the batch. Deliveries are released once a batch is acknowledged
// or dropped on purpose, never for what is still queued when stop() gives up.

import { performance } from 'node:perf_hooks';
import { lineSizeCeiling } from '../config/defaults.js';
import { redactUrl } from '../config/redact-url.js';
import type { ClientConfig, LimitsConfig } from '../config/types.js';
import { formatLabels } from '../labels.js';
import { type Logger, silentLogger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { type LongTimeout, setLongTimeout, timerDelay } from '../timers.js';
import { type Entry, type LabelSet, ReservedLabels } from '../types.js';
import { Backoff } from './backoff.js';
import { Batch, entrySize } from './batch.js';
import { type Attempt, PushTransport } from './http.js';

/** Promtail's `reason` label values for dropped and mutated entries. */
export const DropReason = {
  generic: 'ingester_error',
  rateLimited: 'rate_limited',
  streamLimited: 'stream_limited',
  lineTooLong: 'line_too_long',
} as const;
const allReasons = Object.values(DropReason);

const heldBack: ReadonlySet<string> = new Set([
  ReservedLabels.tenantId,
  ReservedLabels.path,
  ReservedLabels.pathExclude,
  ReservedLabels.host,
  ReservedLabels.address,
]);

export type ClientLimits = Pick<LimitsConfig, 'maxStreams' | 'maxLineSize' | 'maxLineSizeTruncate'>;

export interface LokiClientOptions {
  config: ClientConfig;
  metrics: Metrics;
  /** logferry's version, sent as `User-Agent: logferry/<version>`. */
  version: string;
  logger?: Logger;
  /** `limits_config`: max_streams (per batch, as Promtail), max_line_size, max_line_size_truncate. */
  limits?: Partial<ClientLimits>;
}

/** Where an entry's labels put it: its tenant and labels string (undefined: no labels left). */
interface StreamRoute {
  tenant: string;
  labels: string | undefined;
}

export class LokiClient {
  /** The URL's host[:port], the `host` label of the client metrics. */
  readonly host: string;
  private readonly cfg: ClientConfig;
  private readonly metrics: Metrics;
  private readonly log: Logger;
  private readonly maxStreams: number;
  private readonly maxLineSize: number;
  private readonly truncate: boolean;

  /** Label sets are never mutated once shared (see LabelSet), so routes are cached by identity. */
  private routes = new WeakMap<LabelSet, StreamRoute>();
  private readonly open = new Map<string, Batch>();
  private readonly ready: Batch[] = [];
  private readonly knownTenants = new Set<string>();
  private queued = 0;
  private queuedCount = 0;
  private sending = false;
  private stopping = false;
  private idleWaiters: (() => void)[] = [];
  private readonly abort = new AbortController();
  private readonly transport: PushTransport;
  /** When (performance.now()) the current run of failed pushes began; undefined after a success. */
  private failingSince: number | undefined;

  constructor(opts: LokiClientOptions) {
    const cfg = opts.config;
    this.cfg = cfg;
    this.metrics = opts.metrics;
    let url: URL;
    try {
      url = new URL(cfg.url);
    } catch {
      throw new Error(`clients: url ${JSON.stringify(redactUrl(cfg.url))} is not a valid URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`clients: url ${redactUrl(cfg.url)} must be http:// or https://`);
    }
    this.host = url.host;
    this.log = (opts.logger ?? silentLogger).with({ component: 'client', host: this.host });
    this.maxStreams = opts.limits?.maxStreams ?? 0;
    // Unset (0): the built-in ceiling, which is also all a tailer keeps of a longer line.
    this.maxLineSize = opts.limits?.maxLineSize || lineSizeCeiling;
    this.truncate = opts.limits?.maxLineSizeTruncate ?? false;

    this.transport = new PushTransport(cfg, url, opts.version, this.log, this.abort.signal);

    // Promtail exports these at 0 from the start so rate() works before the first batch.
    this.metrics.encodedBytes.labels({ host: this.host }).inc(0);
    this.metrics.sentBytes.labels({ host: this.host }).inc(0);
    this.metrics.sentEntries.labels({ host: this.host }).inc(0);
  }

  /** True while every push has failed for longer than `backoff_config.max_period` (for /ready). */
  failing(now = performance.now()): boolean {
    return this.failingSince !== undefined && now - this.failingSince > this.cfg.backoff.maxPeriodMs;
  }

  /** Queues an entry; never blocks. Entries sent after stop() began are neither sent nor released. */
  send(entry: Entry): void {
    if (this.stopping) return;
    let route = this.routes.get(entry.labels);
    if (route === undefined) {
      route = this.route(entry.labels);
      this.routes.set(entry.labels, route);
    }
    const tenant = route.tenant;
    if (route.labels === undefined) {
      // Loki answers 400 for a stream without labels and Promtail then drops the whole batch;
      // dropping just this entry keeps the rest of the batch.
      this.dropEntry(entry, tenant, DropReason.generic, Buffer.byteLength(entry.line));
      return;
    }
    let line = entry.line;
    let lineBytes = line.length;
    if (lineBytes > 0 && !isAsciiLength(line)) lineBytes = Buffer.byteLength(line);
    if (this.maxLineSize > 0 && lineBytes > this.maxLineSize) {
      if (!this.truncate) {
        this.dropEntry(entry, tenant, DropReason.lineTooLong, lineBytes);
        return;
      }
      // The entry may be shared with other clients: it stays as it is, the batch gets the cut line.
      line = truncateUtf8(line, this.maxLineSize);
      const kept = Buffer.byteLength(line);
      this.metrics.mutatedEntries.inc({ host: this.host, tenant, reason: DropReason.lineTooLong });
      this.metrics.mutatedBytes.inc(
        { host: this.host, tenant, reason: DropReason.lineTooLong },
        lineBytes - kept,
      );
      lineBytes = kept;
    }
    const sm = entry.structuredMetadata;
    const size = entrySize(lineBytes, sm);

    let batch = this.open.get(tenant);
    if (batch === undefined) {
      batch = this.openBatch(tenant);
    } else if (batch.bytes + size > this.cfg.batchSizeBytes) {
      // As Promtail: the batch goes when the next entry would take it over batchsize.
      this.closeBatch(batch);
      batch = this.openBatch(tenant);
    }
    if (
      !batch.add(route.labels, entry.timestamp, line, lineBytes, sm, entry.delivery, size, this.maxStreams)
    ) {
      // As Promtail's "batch add err", but once per batch rather than once per entry dropped.
      if (batch.refused === 1) {
        this.log.error('batch add err: streams limit exceeded, dropping the entries of further streams', {
          tenant,
          limit: this.maxStreams,
          stream: route.labels,
        });
      }
      this.dropEntry(entry, tenant, DropReason.streamLimited, lineBytes);
      return;
    }
    this.queued += size;
    this.queuedCount++;
  }

  /** Counted bytes (line bytes + structured metadata) queued and not yet acknowledged or dropped. */
  queuedBytes(): number {
    return this.queued;
  }

  /** Entries queued and not yet acknowledged or dropped. */
  queuedEntries(): number {
    return this.queuedCount;
  }

  /**
   * Sends every open batch now; resolves when nothing is queued or in flight. With max_retries 0
   * and Loki down that is never: use stop() for a bounded wait.
   */
  flush(): Promise<void> {
    for (const batch of [...this.open.values()]) this.closeBatch(batch);
    return this.whenIdle();
  }

  /**
   * Flushes what is queued and waits for it to be sent (retrying as configured) for at most
   * `timeoutMs`; then aborts the request in flight and gives up. Entries not acknowledged by
   * then stay unreleased, so positions do not pass them. Closes the connections.
   */
  async stop(timeoutMs = 0): Promise<void> {
    this.stopping = true;
    const idle = this.flush();
    let timer: LongTimeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setLongTimeout(resolve, timeoutMs);
    });
    await Promise.race([idle, expired]);
    timer?.clear();
    if (this.sending || this.ready.length > 0) {
      this.log.warn('stopping with batches not sent', {
        batches: this.ready.length,
        entries: this.queuedCount,
      });
      this.abort.abort();
      await idle;
    }
    await this.transport.close();
  }

  private route(labels: LabelSet): StreamRoute {
    const ext = this.cfg.externalLabels;
    let tenant = this.cfg.tenantId ?? '';
    // Promtail merges external labels under the entry's: the entry's own value wins.
    const merged: LabelSet = {};
    for (const name in ext) merged[name] = ext[name]!;
    for (const name in labels) merged[name] = labels[name]!;
    if (Object.hasOwn(merged, ReservedLabels.tenantId)) tenant = merged[ReservedLabels.tenantId]!;
    // `__tenant_id__` is an instruction to the client, not a label, and the target labels
    // (`__path__`, ...) of a static config can reach here through -stdin. Other labels starting
    // with __ are shipped, as Promtail ships them: relabeling removes the discovery ones before
    // the pipeline, so only a stage (`labels: {__x: ...}`) sets one.
    const kept: LabelSet = {};
    let any = false;
    for (const name in merged) {
      if (heldBack.has(name)) continue;
      kept[name] = merged[name]!;
      any = true;
    }
    if (!any) {
      // Once per label set: its entries are dropped, counted in promtail_dropped_entries_total.
      this.log.warn('dropping entries without labels: Loki rejects streams with no labels', {
        labels: formatLabels(labels),
      });
    }
    return { tenant, labels: any ? formatLabels(kept) : undefined };
  }

  private openBatch(tenant: string): Batch {
    const batch = new Batch(tenant, performance.now());
    this.open.set(tenant, batch);
    batch.timer = setTimeout(() => this.closeBatch(batch), timerDelay(this.cfg.batchWaitMs));
    if (!this.knownTenants.has(tenant)) {
      this.knownTenants.add(tenant);
      for (const reason of allReasons) {
        const labels = { host: this.host, tenant, reason };
        this.metrics.droppedEntries.inc(labels, 0);
        this.metrics.droppedBytes.inc(labels, 0);
        this.metrics.mutatedEntries.inc(labels, 0);
        this.metrics.mutatedBytes.inc(labels, 0);
      }
      this.metrics.batchRetries.inc({ host: this.host, tenant }, 0);
    }
    return batch;
  }

  private closeBatch(batch: Batch): void {
    if (this.open.get(batch.tenant) !== batch) return;
    clearTimeout(batch.timer);
    batch.timer = undefined;
    this.open.delete(batch.tenant);
    this.ready.push(batch);
    void this.pump();
  }

  private whenIdle(): Promise<void> {
    if (!this.sending && this.ready.length === 0 && this.open.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async pump(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.ready.length > 0 && !this.abort.signal.aborted) {
        const batch = this.ready[0]!;
        await this.sendBatch(batch);
        this.ready.shift();
        this.queued -= batch.bytes;
        this.queuedCount -= batch.entries;
      }
    } finally {
      this.sending = false;
    }
    if (this.abort.signal.aborted || (this.ready.length === 0 && this.open.size === 0)) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async sendBatch(batch: Batch): Promise<void> {
    const tenant = batch.tenant;
    let body: Buffer;
    try {
      body = batch.encode();
    } catch (err) {
      // Cannot happen for well-formed entries; dropping beats retrying the same failure forever.
      this.log.error('error encoding batch', { tenant, error: err as Error });
      this.dropBatch(batch, DropReason.generic, 0);
      return;
    }
    this.metrics.encodedBytes.inc({ host: this.host }, body.length);
    const backoff = new Backoff(this.cfg.backoff);
    let last: Attempt;
    for (;;) {
      const start = performance.now();
      last = await this.transport.post(tenant, body);
      this.metrics.requestDuration.observe(
        { status_code: String(last.status), host: this.host },
        (performance.now() - start) / 1000,
      );
      // Given up at stop(): the entries stay unreleased.
      if (this.abort.signal.aborted) return;
      if (this.cfg.dropRateLimitedBatches && last.status === 429) {
        this.log.warn('dropping batch due to rate limiting applied at ingester', { tenant });
        this.dropBatch(batch, DropReason.rateLimited, body.length);
        return;
      }
      if (last.error === undefined) {
        this.failingSince = undefined;
        this.metrics.sentBytes.inc({ host: this.host }, body.length);
        this.metrics.sentEntries.inc({ host: this.host }, batch.entries);
        batch.release();
        return;
      }
      this.failingSince ??= performance.now();
      // Only 429, 5xx and connection-level errors are worth another attempt.
      if (last.status > 0 && last.status !== 429 && Math.floor(last.status / 100) !== 5) break;
      this.log.warn('error sending batch, will retry', { status: last.status, tenant, error: last.error });
      this.metrics.batchRetries.inc({ host: this.host, tenant });
      if (!(await backoff.wait(this.abort.signal))) {
        if (this.abort.signal.aborted) return;
        break;
      }
    }
    this.log.error('final error sending batch', { status: last.status, tenant, error: last.error });
    // As Promtail: the last failure's kind names the reason, whatever came before.
    this.dropBatch(batch, last.status === 429 ? DropReason.rateLimited : DropReason.generic, body.length);
  }

  /** Counts a batch as dropped (bytes: its encoded size, as Promtail counts) and releases it. */
  private dropBatch(batch: Batch, reason: string, bytes: number): void {
    const labels = { host: this.host, tenant: batch.tenant, reason };
    this.metrics.droppedEntries.inc(labels, batch.entries);
    this.metrics.droppedBytes.inc(labels, bytes);
    batch.release();
  }

  private dropEntry(entry: Entry, tenant: string, reason: string, bytes: number): void {
    const labels = { host: this.host, tenant, reason };
    this.metrics.droppedEntries.inc(labels);
    this.metrics.droppedBytes.inc(labels, bytes);
    entry.delivery?.release();
  }
}

/** True when every code unit is ASCII, so the UTF-8 length is the string length. */
function isAsciiLength(s: string): boolean {
  // Short lines: a loop beats a native call; long lines: byteLength is vectorised anyway.
  if (s.length > 64) return Buffer.byteLength(s) === s.length;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Cuts a string to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function truncateUtf8(s: string, maxBytes: number): string {
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= maxBytes) return s;
  let end = maxBytes;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.toString('utf8', 0, end);
}
