// The `cri` stage: parses the CRI container log format that kubelet writes under /var/log/pods,
// `<RFC3339Nano time> <stdout|stderr> <flags> <content>`, and joins partial (`P`) lines per
// stream until their full (`F`) line, as Promtail's cri stage does. This is the hottest stage:
// it parses by hand with indexOf/startsWith and allocates only the substrings it must keep.
//
// Also exports the helpers the docker stage shares: the RFC3339Nano parser and the cache of
// `stream`-labelled label sets.

import { daysFromCivil, daysIn } from '../../go/time/calendar.js';
import type { Logger } from '../../log.js';
import type { Delivery, Entry, LabelSet } from '../../types.js';
import type { Stage, StageDefinition, StageOutput } from '../stage.js';

/** Promtail's default for `max_partial_lines`. */
const defaultMaxPartialLines = 100;

export const criStage: StageDefinition = {
  type: 'cri',
  create(options, ctx) {
    options.expectKeys(['max_partial_lines', 'max_partial_line_size', 'max_partial_line_size_truncate']);
    const maxLinesNode = options.get('max_partial_lines');
    const maxLines = maxLinesNode.integer(0);
    if (maxLines < 0) maxLinesNode.fail(`must be 0 (the default, ${defaultMaxPartialLines}) or more`);
    return new CriStage(
      {
        maxPartialLines: maxLines === 0 ? defaultMaxPartialLines : maxLines,
        maxPartialLineSize: options.get('max_partial_line_size').byteSize(0),
        maxPartialLineSizeTruncate: options.get('max_partial_line_size_truncate').boolean(false),
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
}

class CriStage implements Stage {
  readonly type = 'cri';
  private readonly labels = new StreamLabels();
  /** By stream key (labels with `stream`), in arrival order. */
  private readonly pending = new Map<string, Pending>();
  private readonly truncateAt: number;

  constructor(
    private readonly options: CriOptions,
    private readonly logger: Logger,
  ) {
    // Promtail truncates every partial line to nothing when the size is 0; 0 means "no cap" here.
    this.truncateAt = options.maxPartialLineSizeTruncate ? options.maxPartialLineSize : 0;
  }

  process(entry: Entry, out: StageOutput): void {
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
    this.pending.clear();
  }

  private partial(entry: Entry, slot: Slot, out: StageOutput): void {
    const key = slot.key ?? StreamLabels.key(slot);
    const held = this.pending.get(key);
    if (held !== undefined) {
      this.fold(held, entry);
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
    const p: Pending = { entry, parts: [], bytes: 0, delivery: entry.delivery };
    this.append(p, entry.line);
    this.pending.set(key, p);
  }

  private full(entry: Entry, slot: Slot, out: StageOutput): void {
    const key = slot.key ?? StreamLabels.key(slot);
    const held = this.pending.get(key);
    if (held === undefined) {
      out.emit(entry);
      return;
    }
    this.pending.delete(key);
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
    for (const p of held) {
      const entry = p.entry!;
      entry.delivery = p.delivery;
      entry.line = joined(p);
      out.emit(entry);
    }
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

// ---------------------------------------------------------------------------------------------
// Shared with the docker stage.

/** One output label set: the input labels plus a `stream` label, with per-stream state. */
export interface Slot {
  readonly labels: LabelSet;
  /** Canonical text of `labels`, computed on first need (partial-line joining). */
  key: string | undefined;
  /** The last timestamp given to an entry of this stream, for the fudge on a bad time. */
  lastTimestamp: bigint | undefined;
}

interface SlotsOf {
  stdout: Slot | undefined;
  stderr: Slot | undefined;
  none: Slot | undefined;
  other: Map<string, Slot> | undefined;
}

/** How many distinct label sets the content index keeps (Promtail's fudge cache holds 10000). */
const maxLabelSets = 10_000;

/**
 * Maps (input label set, stream) to one shared output label set with per-stream state, so that
 * adding the `stream` label costs no allocation per entry. Label sets are the same by content;
 * looking them up by object identity first is the fast path, since a tailer hands every entry of
 * a file the same label object.
 */
export class StreamLabels {
  private readonly byInput = new WeakMap<LabelSet, SlotsOf>();
  private readonly byContent = new Map<string, SlotsOf>();
  private lastInput: LabelSet | undefined;
  private lastSlots: SlotsOf | undefined;

  /** The slot for these labels with `stream` set (unchanged labels when `stream` is undefined or ""). */
  slot(input: LabelSet, stream: string | undefined): Slot {
    const slots = input === this.lastInput ? this.lastSlots! : this.slotsOf(input);
    if (stream === 'stdout') {
      slots.stdout ??= newSlot(input, stream);
      return slots.stdout;
    }
    if (stream === 'stderr') {
      slots.stderr ??= newSlot(input, stream);
      return slots.stderr;
    }
    if (stream === undefined || stream === '') {
      slots.none ??= newSlot(input, undefined);
      return slots.none;
    }
    slots.other ??= new Map();
    let slot = slots.other.get(stream);
    if (slot === undefined) {
      slot = newSlot(input, stream);
      slots.other.set(stream, slot);
    }
    return slot;
  }

  private slotsOf(input: LabelSet): SlotsOf {
    let slots = this.byInput.get(input);
    if (slots === undefined) {
      const content = labelsKey(input);
      slots = this.byContent.get(content);
      if (slots === undefined) {
        if (this.byContent.size >= maxLabelSets) this.byContent.clear();
        slots = { stdout: undefined, stderr: undefined, none: undefined, other: undefined };
        this.byContent.set(content, slots);
      }
      this.byInput.set(input, slots);
    }
    this.lastInput = input;
    this.lastSlots = slots;
    return slots;
  }

  /** Computes and stores the slot's key. */
  static key(slot: Slot): string {
    slot.key = labelsKey(slot.labels);
    return slot.key;
  }
}

function labelsKey(labels: LabelSet): string {
  const names = Object.keys(labels).sort();
  let key = '';
  for (const n of names) key += `${n}\u0000${labels[n]}\u0001`;
  return key;
}

function newSlot(input: LabelSet, stream: string | undefined): Slot {
  const labels = stream === undefined || input.stream === stream ? input : { ...input, stream };
  return { labels, key: undefined, lastTimestamp: undefined };
}

const nsPerSecond = 1_000_000_000n;
const fractionScale = [1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 100, 10, 1];

/**
 * Parses an RFC 3339 time with optional fraction (Go's `time.RFC3339Nano` layout, as Promtail
 * parses it) in s[start, end) into Unix nanoseconds, exactly: `2019-04-30T02:12:41.8443515Z`,
 * `2019-05-07T18:57:50.904275087+02:00`. Digits past the ninth are ignored, as Go does.
 * Returns undefined when the text is not such a time (bad field, out-of-range date).
 */
export function parseRfc3339Nano(s: string, start = 0, end = s.length): bigint | undefined {
  if (end - start < 20) return undefined;
  // Log lines come many to a second: reuse the last second's date arithmetic when it repeats.
  const sameSecond = sameText(s, start, lastSecond);
  if (!sameSecond && !validDateTime(s, start)) return undefined;
  let i = start + 19;
  let nanos = 0;
  let c = s.charCodeAt(i);
  if (c === 0x2e || c === 0x2c) {
    let n = 0;
    i++;
    for (; i < end; i++) {
      const d = s.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      if (n < 9) nanos = nanos * 10 + d;
      n++;
    }
    if (n === 0) return undefined;
    if (n < 9) nanos *= fractionScale[n]!;
    c = s.charCodeAt(i);
  }
  if (sameSecond && end - i === lastZone.length && sameText(s, i, lastZone)) {
    return lastSecondNs + BigInt(nanos);
  }
  let offset = 0;
  if (c === 0x5a) {
    if (i + 1 !== end) return undefined;
  } else if ((c === 0x2b || c === 0x2d) && i + 6 === end && s.charCodeAt(i + 3) === 0x3a) {
    const oh = digits(s, i + 1, 2);
    const om = digits(s, i + 4, 2);
    if ((oh | om) < 0 || oh > 23 || om > 59) return undefined;
    offset = (c === 0x2b ? 1 : -1) * (oh * 3600 + om * 60);
  } else {
    return undefined;
  }
  const seconds =
    daysFromCivil(digits(s, start, 4), digits(s, start + 5, 2), digits(s, start + 8, 2)) * 86400 +
    digits(s, start + 11, 2) * 3600 +
    digits(s, start + 14, 2) * 60 +
    digits(s, start + 17, 2) -
    offset;
  // Two short slices are copies (V8 slices strings of 13+ characters), so the cache does not
  // keep the whole line alive through young GCs.
  lastSecond = s.slice(start, start + 10) + s.slice(start + 10, start + 19);
  lastZone = s.slice(i, end);
  lastSecondNs = BigInt(seconds) * nsPerSecond;
  return lastSecondNs + BigInt(nanos);
}

/** The last `YYYY-MM-DDTHH:MM:SS` parsed, its zone text, and their Unix time in nanoseconds. */
let lastSecond = '\u0000'.repeat(19);
let lastZone = '';
let lastSecondNs = 0n;

/** s.startsWith(text, start), compared from the end: the seconds differ first, and it is faster. */
function sameText(s: string, start: number, text: string): boolean {
  for (let k = text.length - 1; k >= 0; k--) if (s.charCodeAt(start + k) !== text.charCodeAt(k)) return false;
  return true;
}

/** Checks the `YYYY-MM-DDTHH:MM:SS` at s[start] (Go rejects second 60 and impossible dates). */
function validDateTime(s: string, start: number): boolean {
  const year = digits(s, start, 4);
  const month = digits(s, start + 5, 2);
  const day = digits(s, start + 8, 2);
  const hour = digits(s, start + 11, 2);
  const minute = digits(s, start + 14, 2);
  const second = digits(s, start + 17, 2);
  return (
    (year | month | day | hour | minute | second) >= 0 &&
    s.charCodeAt(start + 4) === 0x2d &&
    s.charCodeAt(start + 7) === 0x2d &&
    s.charCodeAt(start + 10) === 0x54 &&
    s.charCodeAt(start + 13) === 0x3a &&
    s.charCodeAt(start + 16) === 0x3a &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysIn(month, year) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59
  );
}

/** The decimal value of `count` digits at s[i], or -1 when one is not a digit. */
function digits(s: string, i: number, count: number): number {
  let v = 0;
  for (let k = 0; k < count; k++) {
    const d = s.charCodeAt(i + k) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}
