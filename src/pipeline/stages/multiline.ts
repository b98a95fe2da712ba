// The `multiline` stage: joins the lines of one stream into a block that starts at a line
// matching `firstline`, as Promtail's multiline stage does. A block is passed on when the next
// first line arrives, when it holds `max_lines` lines, or `max_wait_time` after its last line.

import { parseDuration } from '../../config/reader.js';
import { Regex, RegexSyntaxError } from '../../regex/regex.js';
import { timerDelay } from '../../timers.js';
import type { Entry, LabelSet } from '../../types.js';
import type { Stage, StageDefinition, StageOutput } from '../stage.js';

export const multilineStage: StageDefinition = {
  type: 'multiline',
  create(options) {
    options.ignoreUnknownKeys(['firstline', 'max_lines', 'max_wait_time']);
    const firstline = options.get('firstline');
    if (firstline.missing)
      firstline.fail('multiline stage config must define `firstline` regular expression');
    let regex: Regex;
    try {
      regex = Regex.compile(firstline.string());
    } catch (e) {
      if (!(e instanceof RegexSyntaxError)) throw e;
      return firstline.fail(`multiline stage first line regex compilation error: ${e.message}`);
    }
    const maxLinesNode = options.get('max_lines');
    const maxLines = maxLinesNode.integer(128);
    if (maxLines < 0) maxLinesNode.fail(`must be a non-negative integer, got ${maxLines}`);
    const waitNode = options.get('max_wait_time');
    let maxWaitMs = 3000;
    if (!waitNode.missing) {
      const text = waitNode.string().trim();
      const ms = parseDuration(text, undefined, 'go');
      if (ms === undefined)
        return waitNode.fail(
          `multiline stage \`max_wait_time\` parse error: time: invalid duration "${text}"`,
        );
      maxWaitMs = Math.max(0, ms);
    }
    return new MultilineStage(regex, maxLines, maxWaitMs);
  },
};

interface Block {
  readonly key: string;
  /** The entry that opened the block: its labels, timestamp, extracted data and delivery go on. */
  readonly first: Entry;
  line: string;
  count: number;
  /** Date.now() when the last line was added (the clock node:test's mock timers drive). */
  lastAt: number;
  timer: NodeJS.Timeout | undefined;
}

const streamKeys = new WeakMap<LabelSet, string>();

/** A key per label set; label sets are shared per stream and never mutated, so it is cached. */
function streamKey(labels: LabelSet): string {
  let key = streamKeys.get(labels);
  if (key === undefined) {
    key = Object.keys(labels)
      .sort()
      .map((n) => `${n}\xff${labels[n]}`)
      .join('\xfe');
    streamKeys.set(labels, key);
  }
  return key;
}

class MultilineStage implements Stage {
  readonly type = 'multiline';
  /** Streams that have seen a first line; before that, their lines pass through untouched. */
  private readonly started = new Set<string>();
  private readonly blocks = new Map<string, Block>();
  private out: StageOutput | undefined;

  constructor(
    private readonly firstline: Regex,
    /** 0 means no limit, as in Promtail. */
    private readonly maxLines: number,
    private readonly maxWaitMs: number,
  ) {}

  process(entry: Entry, out: StageOutput): void {
    this.out = out;
    const key = streamKey(entry.labels);
    const isFirst = this.firstline.test(entry.line);
    if (!this.started.has(key)) {
      if (!isFirst) {
        out.emit(entry);
        return;
      }
      this.started.add(key);
    }
    let block = this.blocks.get(key);
    if (isFirst && block) {
      this.pass(block, out);
      block = undefined;
    }
    const now = Date.now();
    if (block) {
      block.line += `\n${entry.line}`;
      block.count++;
      block.lastAt = now;
      // The block keeps the first entry's delivery, so the position stays before every line of it.
      entry.delivery?.release();
    } else {
      // After a block was passed on (max_lines, max_wait_time), a continuation line opens the next
      // block itself; Promtail would reuse the previous first line's timestamp and extracted data.
      block = { key, first: entry, line: entry.line, count: 1, lastAt: now, timer: undefined };
      this.blocks.set(key, block);
    }
    if (block.count === this.maxLines) this.pass(block, out);
    else if (block.timer === undefined) this.arm(block, this.maxWaitMs);
  }

  flush(out: StageOutput): void {
    this.out = out;
    for (const block of [...this.blocks.values()]) this.pass(block, out);
  }

  close(): void {
    for (const block of this.blocks.values()) clearTimeout(block.timer);
    this.blocks.clear();
  }

  /** One timer per block, re-armed on expiry rather than reset on every line (cheaper on the hot path). */
  private arm(block: Block, delay: number): void {
    block.timer = setTimeout(() => {
      block.timer = undefined;
      if (this.blocks.get(block.key) !== block) return;
      const idle = Date.now() - block.lastAt;
      // Node may fire a timer up to 1 ms early; a wall clock set back never waits longer than max_wait_time.
      if (idle >= this.maxWaitMs - 1) this.pass(block, this.out!);
      else this.arm(block, Math.min(this.maxWaitMs, this.maxWaitMs - idle));
    }, timerDelay(delay));
    block.timer.unref();
  }

  private pass(block: Block, out: StageOutput): void {
    clearTimeout(block.timer);
    block.timer = undefined;
    this.blocks.delete(block.key);
    const first = block.first;
    if (block.count === 1) {
      out.emit(first);
      return;
    }
    const joined: Entry = {
      labels: first.labels,
      timestamp: first.timestamp,
      line: block.line,
      extracted: { ...first.extracted },
    };
    if (first.structuredMetadata) joined.structuredMetadata = first.structuredMetadata;
    if (first.delivery) joined.delivery = first.delivery;
    out.emit(joined);
  }
}
