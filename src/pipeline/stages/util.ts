// What stages share, as Promtail's stages/util.go: reading the `expression` and `source` options,
// label mappings (labels, structured_metadata), the cache of `stream`-labelled label sets and the
// RFC3339Nano parser (cri, docker). Label name and value checks are in src/labels.ts.

import type { ConfigNode } from '../../config/reader.js';
import { daysFromCivil, daysIn } from '../../go/time/calendar.js';
import { isValidLabelName, isValidLabelValue } from '../../labels.js';
import { Regex, RegexSyntaxError } from '../../regex/regex.js';
import type { Entry, LabelSet } from '../../types.js';
import { extractedToString } from '../extracted.js';

// ---- options -----------------------------------------------------------------------------------

/** Compiles a stage's `expression` option with Promtail's messages; shared with the replace stage. */
export function compileStageRegex(options: ConfigNode): Regex {
  const node = options.get('expression');
  const expression = node.missing ? '' : node.string();
  if (expression === '') (options.missing ? options : node).fail('expression is required');
  try {
    return Regex.compile(expression);
  } catch (e) {
    if (e instanceof RegexSyntaxError) return node.fail(`could not compile regular expression: ${e.message}`);
    throw e;
  }
}

/** Reads the stage's `source` option: absent means the line, "" is Promtail's "empty source". */
export function stageSource(options: ConfigNode, emptyMessage: string): string | undefined {
  const node = options.get('source');
  const source = node.optionalString();
  if (source === '') node.fail(emptyMessage);
  return source;
}

/** The input of a stage with a `source`: the line, the source's string form, or undefined to skip. */
export function stageInput(entry: Entry, source: string | undefined): string | undefined {
  if (source === undefined) return entry.line;
  const extracted = entry.extracted;
  return Object.hasOwn(extracted, source) ? extractedToString(extracted[source]) : undefined;
}

// ---- labels ------------------------------------------------------------------------------------

/**
 * Reads a `{label name: extracted name}` mapping (labels, structured_metadata): names must be
 * valid label names; an empty or absent source means the label's own name.
 */
export function readLabelMapping(options: ConfigNode, stage: string): [name: string, source: string][] {
  if (options.missing) options.fail(`${stage} stage config cannot be empty`);
  if (!options.isMap())
    options.fail(`${stage} stage config must be a mapping of label names to extracted names`);
  return options.entries().map(([name, node]) => {
    if (!isValidLabelName(name)) node.fail(`invalid label name: ${name}`);
    const source = node.missing ? '' : node.string();
    return [name, source === '' ? name : source];
  });
}

/**
 * The value of extracted[source] as a label value, or undefined when absent, not convertible
 * (null, objects, arrays) or not valid. Promtail skips a value that is not valid UTF-8; a line's
 * invalid bytes reach us as U+FFFD (the tailer decodes once), so a value holding U+FFFD is
 * skipped too.
 */
export function extractedLabelValue(extracted: Record<string, unknown>, source: string): string | undefined {
  if (!Object.hasOwn(extracted, source)) return undefined;
  const value = extractedToString(extracted[source]);
  return value !== undefined && isValidLabelValue(value) && !value.includes('\uFFFD') ? value : undefined;
}

// ---- the `stream` label sets and the RFC3339Nano parser (cri, docker) -------------------------

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
  /** Its key in the content index. */
  readonly content: string;
  /** Input label objects alive that map to it; at 0 it leaves the content index. */
  inputs: number;
}

/** How many distinct label sets the content index keeps (Promtail's fudge cache holds 10000). */
const maxLabelSets = 10_000;

/**
 * Maps (input label set, stream) to one shared output label set with per-stream state, so that
 * adding the `stream` label costs no allocation per entry. Label sets are the same by content;
 * looking them up by object identity first is the fast path, since a tailer hands every entry of
 * a file the same label object. A label set leaves the content index once no input object of it
 * is left (its tailers ended): pods that come and go do not pile up label sets (and the client's
 * streams keyed by them) up to the cap.
 */
export class StreamLabels {
  private readonly byInput = new WeakMap<LabelSet, SlotsOf>();
  private readonly byContent = new Map<string, SlotsOf>();
  private readonly inputGone = new FinalizationRegistry<SlotsOf>((slots) => {
    if (--slots.inputs === 0 && this.byContent.get(slots.content) === slots)
      this.byContent.delete(slots.content);
  });
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
        slots = {
          stdout: undefined,
          stderr: undefined,
          none: undefined,
          other: undefined,
          content,
          inputs: 0,
        };
        this.byContent.set(content, slots);
      }
      this.byInput.set(input, slots);
      slots.inputs++;
      this.inputGone.register(input, slots);
    }
    this.lastInput = input;
    this.lastSlots = slots;
    return slots;
  }

  /** Label sets in the content index (for tests). */
  get size(): number {
    return this.byContent.size;
  }

  /** Computes and stores the slot's key. */
  static key(slot: Slot): string {
    slot.key = labelsKey(slot.labels);
    return slot.key;
  }
}

function labelsKey(labels: LabelSet): string {
  const names = Object.keys(labels).sort();
  // One flat string (join), not a tree of pieces: the key is kept as long as the label set lives.
  return names.map((n) => `${n}\u0000${labels[n]}\u0001`).join('');
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
