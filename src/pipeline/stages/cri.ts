// The `cri` stage: parses the CRI container log format that kubelet writes under /var/log/pods,
// `<RFC3339Nano time> <stdout|stderr> <flags> <content>`, and joins partial (`P`) lines per
// stream until their full (`F`) line, as Promtail's cri stage does. A partial line that no `F`
// line completes is passed on `max_wait_time` after its last fragment (logferry's own option;
// Promtail holds it until `max_partial_lines` is exceeded). This is the hottest stage: it parses
// by hand with indexOf/startsWith and allocates only the substrings it must keep.

import type { Logger } from '../../log.js';
import { timerDelay } from '../../timers.js';
import type { Delivery, Entry } from '../../types.js';
import type { Stage, StageDefinition, StageOutput } from '../stage.js';
import { parseRfc3339Nano, type Slot, StreamLabels } from './util.js';

/** Promtail's default for `max_partial_lines`. */
const defaultMaxPartialLines = 100;
/** logferry's default for `max_wait_time`, as the multiline stage's. */
const defaultMaxWaitMs = 3000;

export const criStage: StageDefinition = {
  type: 'cri',
  create(options, ctx) {
    options.ignoreUnknownKeys([
      'max_partial_lines',
      'max_partial_line_size',
      'max_partial_line_size_truncate',
      'max_wait_time',
    ]);
    const maxLinesNode = options.get('max_partial_lines');
    const maxLines = maxLinesNode.integer(0);
    if (maxLines < 0) maxLinesNode.fail(`must be 0 (the default, ${defaultMaxPartialLines}) or more`);
    const waitNode = options.get('max_wait_time');
    const maxWaitMs = waitNode.duration(defaultMaxWaitMs, undefined, 'go');
    if (maxWaitMs < 0) waitNode.fail('must be 0 (hold partial lines as Promtail does) or more');
    return new CriStage(
      {
        maxPartialLines: maxLines === 0 ? defaultMaxPartialLines : maxLines,
        maxPartialLineSize: options.get('max_partial_line_size').byteSize(0),
        maxPartialLineSizeTruncate: options.get('max_partial_line_size_truncate').boolean(false),
        maxWaitMs,
      },
      ctx.logger,
    );
  },
};

interface CriOptions {
  /** How many streams may hold partial lines at once; one more flushes them all. */
  maxPartialLines: number;
  /** Byte cap on a joined partial line, applied only when `maxPartialLineSizeTruncate`. 0 = none. */
  maxPartialLineSize: number;
  maxPartialLineSizeTruncate: boolean;
  /** How long a partial line waits after its last fragment for the next one; 0 = for ever. */
  maxWaitMs: number;
}

/** A stream's partial line in the making. */
interface Pending {
  /** The latest fragment: the joined entry keeps its timestamp, labels and extracted (as Promtail). */
  entry: Entry | undefined;
  /**
   * The fragments' contents, joined once when the line is complete: a string grown by `+=`
   * across reads can be promoted to the old generation, and then so is its flattened copy.
   */
  parts: string[];
  /** UTF-8 size of the parts, tracked only when truncating. */
  bytes: number;
  /** The first fragment's: the position must not pass the start of the joined line. */
  delivery: Delivery | undefined;
  readonly key: string;
  /** Date.now() when the last fragment arrived (the clock node:test's mock timers drive). */
  lastAt: number;
  timer: NodeJS.Timeout | undefined;
}

class CriStage implements Stage {
  readonly type = 'cri';
  readonly copiesLabels = true;
  private readonly labels = new StreamLabels();
  /** By stream key (labels with `stream`), in arrival order. */
  private readonly pending = new Map<string, Pending>();
  private readonly truncateAt: number;
  /** The runner's output, kept for the wait timer. */
  private out: StageOutput | undefined;

  constructor(
    private readonly options: CriOptions,
    private readonly logger: Logger,
  ) {
    // Promtail truncates every partial line to nothing when the size is 0; 0 means "no cap" here.
    this.truncateAt = options.maxPartialLineSizeTruncate ? options.maxPartialLineSize : 0;
  }

  process(entry: Entry, out: StageOutput): void {
    // Promtail's cri stage is a pipeline of its own, which starts by copying the entry's labels
    // into the extracted values (over values of the same name).
    const labels = entry.labels;
    const extractedIn = entry.extracted;
    for (const name in labels) extractedIn[name] = labels[name];
    const line = entry.line;
    const sp1 = line.indexOf(' ');
    if (sp1 <= 0) {
      out.emit(entry);
      return;
    }
    let stream: 'stdout' | 'stderr';
    if (line.startsWith('stdout ', sp1 + 1)) stream = 'stdout';
    else if (line.startsWith('stderr ', sp1 + 1)) stream = 'stderr';
    else {
      out.emit(entry);
      return;
    }
    const flagsStart = sp1 + 8;
    const sp3 = line.indexOf(' ', flagsStart);
    if (sp3 <= flagsStart) {
      out.emit(entry);
      return;
    }
    let flags: string;
    const f = sp3 === flagsStart + 1 ? line.charCodeAt(flagsStart) : -1;
    if (f === 0x50) flags = 'P';
    else if (f === 0x46) flags = 'F';
    else if (hasGoSpace(line, flagsStart, sp3)) {
      out.emit(entry);
      return;
    } else flags = line.slice(flagsStart, sp3);
    let ts = parseRfc3339Nano(line, 0, sp1);
    // Promtail's `\S+?` rejects a time token with tabs or newlines: such a line is not CRI at all.
    if (ts === undefined && hasGoSpace(line, 0, sp1)) {
      out.emit(entry);
      return;
    }

    const content = line.slice(sp3 + 1);
    const extracted = entry.extracted;
    extracted.time = line.slice(0, sp1);
    extracted.stream = stream;
    extracted.flags = flags;
    extracted.content = content;
    const slot = this.labels.slot(entry.labels, stream);
    entry.labels = slot.labels;
    // An unparsable time gets the stream's last time + 1ns (Promtail's timestamp `fudge`), or
    // keeps the read time when the stream has none yet.
    if (ts === undefined && slot.lastTimestamp !== undefined) ts = slot.lastTimestamp + 1n;
    if (ts !== undefined) {
      entry.timestamp = ts;
      slot.lastTimestamp = ts;
    }
    entry.line = content;

    if (flags === 'P') this.partial(entry, slot, out);
    else if (this.pending.size === 0) out.emit(entry);
    else this.full(entry, slot, out);
  }

  flush(out: StageOutput): void {
    this.emitAll(out);
  }

  close(): void {
    // Held fragments keep their deliveries unreleased: the position stays before them, so a
    // restart reads them again.
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  private partial(entry: Entry, slot: Slot, out: StageOutput): void {
    const key = slot.key ?? StreamLabels.key(slot);
    const held = this.pending.get(key);
    if (held !== undefined) {
      this.fold(held, entry);
      if (this.options.maxWaitMs > 0) held.lastAt = Date.now();
      return;
    }
    if (this.pending.size >= this.options.maxPartialLines) {
      this.logger.warn(
        'cri stage: partial lines upperbound exceeded, passing held partial lines on as they are',
        {
          threshold: this.options.maxPartialLines,
        },
      );
      this.emitAll(out);
    }
    const p: Pending = {
      entry,
      parts: [],
      bytes: 0,
      delivery: entry.delivery,
      key,
      lastAt: 0,
      timer: undefined,
    };
    this.append(p, entry.line);
    this.pending.set(key, p);
    if (this.options.maxWaitMs > 0) {
      this.out = out;
      p.lastAt = Date.now();
      this.arm(p, this.options.maxWaitMs);
    }
  }

  /**
   * One timer per held line, re-armed on expiry rather than reset by every fragment. On expiry
   * the line is passed on as it is, as Promtail passes held lines on at `max_partial_lines`.
   */
  private arm(p: Pending, delay: number): void {
    const wait = this.options.maxWaitMs;
    p.timer = setTimeout(() => {
      p.timer = undefined;
      if (this.pending.get(p.key) !== p) return;
      const idle = Date.now() - p.lastAt;
      // Node may fire a timer up to 1 ms early; a wall clock set back never waits longer than max_wait_time.
      if (idle >= wait - 1) {
        this.pending.delete(p.key);
        this.emitHeld(p, this.out!);
      } else this.arm(p, Math.min(wait, wait - idle));
    }, timerDelay(delay));
    p.timer.unref();
  }

  private full(entry: Entry, slot: Slot, out: StageOutput): void {
    const key = slot.key ?? StreamLabels.key(slot);
    const held = this.pending.get(key);
    if (held === undefined) {
      out.emit(entry);
      return;
    }
    this.pending.delete(key);
    clearTimeout(held.timer);
    this.fold(held, entry);
    entry.line = joined(held);
    out.emit(entry);
  }

  private fold(held: Pending, entry: Entry): void {
    const d = entry.delivery;
    if (d !== undefined && d !== held.delivery) d.release();
    entry.delivery = held.delivery;
    held.entry = entry;
    this.append(held, entry.line);
  }

  private append(p: Pending, text: string): void {
    const max = this.truncateAt;
    if (max === 0) {
      p.parts.push(text);
      return;
    }
    if (p.bytes >= max) return;
    const size = Buffer.byteLength(text);
    if (p.bytes + size <= max) {
      p.parts.push(text);
      p.bytes += size;
      return;
    }
    p.parts.push(utf8Prefix(text, max - p.bytes));
    p.bytes = max;
  }

  private emitAll(out: StageOutput): void {
    if (this.pending.size === 0) return;
    const held = [...this.pending.values()];
    this.pending.clear();
    for (const p of held) this.emitHeld(p, out);
  }

  /** Passes a held line on as it is: its fragments joined, the last fragment's timestamp. */
  private emitHeld(p: Pending, out: StageOutput): void {
    clearTimeout(p.timer);
    p.timer = undefined;
    const entry = p.entry!;
    entry.delivery = p.delivery;
    entry.line = joined(p);
    out.emit(entry);
  }
}

/**
 * The joined line; empties `p`. A Pending that waited across GCs lives in the old generation,
 * and until the next full GC everything it still points to would survive every young GC: the
 * completed entry, its extracted values, its line and fragments.
 */
function joined(p: Pending): string {
  const parts = p.parts;
  const line = parts.length === 1 ? parts[0]! : parts.join('');
  parts.length = 0;
  p.entry = undefined;
  p.delivery = undefined;
  return line;
}

/** The longest prefix of `text` that fits in `bytes` UTF-8 bytes without splitting a character. */
function utf8Prefix(text: string, bytes: number): string {
  const buf = Buffer.from(text);
  let cut = bytes;
  while (cut > 0 && (buf[cut]! & 0xc0) === 0x80) cut--;
  return buf.toString('utf8', 0, cut);
}

/** True when s[start, end) holds a character Go's `\s` matches (`\t \n \f \r` or space). */
function hasGoSpace(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) return true;
  }
  return false;
}
