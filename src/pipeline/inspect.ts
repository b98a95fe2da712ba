// The `-inspect` printer: shows, for each entry and each stage, what the stage changed
// (extracted values added, changed or removed; labels, timestamp, line and structured metadata
// before and after), or that it held or dropped the entry. The layout follows Promtail's
// inspector (`[inspect: <stage> stage]:` then one `<field>:` heading with `-:`/`+:` lines per
// change), but covers every stage, match/drop/multiline included. The Pipeline wraps each
// stage with `wrap` when given an Inspector, so stages know nothing of it.

import type { Entry, LabelSet } from '../types.js';
import { observeStage, type Snapshot } from './observe.js';
import type { Stage } from './stage.js';

export interface InspectorOptions {
  /** Colour the output; by default only when the stream is a TTY. */
  color?: boolean;
}

interface Writable {
  write(text: string): unknown;
  isTTY?: boolean;
}

type Paint = (text: string) => string;
const plain: Paint = (t) => t;
const sgr =
  (code: string): Paint =>
  (t) =>
    `\u001b[${code}m${t}\u001b[0m`;

export class Inspector {
  private readonly red: Paint;
  private readonly yellow: Paint;
  private readonly green: Paint;
  private readonly bold: Paint;

  constructor(
    private readonly out: Writable,
    options: InspectorOptions = {},
  ) {
    const color = options.color ?? out.isTTY === true;
    this.red = color ? sgr('31') : plain;
    this.yellow = color ? sgr('33') : plain;
    this.green = color ? sgr('32') : plain;
    this.bold = color ? sgr('1') : plain;
  }

  /** A stage that behaves as `stage` and prints what it does. */
  wrap(stage: Stage): Stage {
    const type = stage.type;
    return observeStage<void>(stage, {
      entered: () => {},
      left: (entry, before, _call, dropReason) => {
        if (dropReason !== undefined) {
          this.print(type, this.dropped(type, dropReason));
          return;
        }
        const diff = this.diff(before, entry);
        // An entry the stage made itself (a multiline block): every field of it is new.
        if (before === undefined) this.print(type, `new entry\n${diff}`);
        else this.print(type, diff === undefined ? this.none() : `\n${diff}`);
      },
      held: () => this.print(type, 'not passed on: held or merged into another entry'),
      failed: (err) => this.print(type, `failed: ${err instanceof Error ? err.message : String(err)}`),
    });
  }

  /** Marks an entry entering the pipeline. */
  entry(e: Entry): void {
    this.out.write(
      `${this.bold('[inspect: entry]')} ${formatTimestamp(e.timestamp)} ${formatLabels(e.labels)}\n\t${showText(e.line)}\n`,
    );
  }

  /** Marks the pipeline passing on what its stages hold. */
  flush(): void {
    this.out.write(`${this.bold('[inspect: flush]')}\n`);
  }

  /** @internal */
  print(stage: string, body: string): void {
    this.out.write(`[inspect: ${this.bold(stage)} stage]:${body.startsWith('\n') ? '' : ' '}${body}\n`);
  }

  /**
   * @internal The changes from `before` to `after` (every field of `after` when there is no
   * `before`), or undefined when there are none.
   */
  diff(before: Snapshot | undefined, after: Entry): string | undefined {
    const lines: string[] = [];
    const change = (name: string, from: string | undefined, to: string | undefined) => {
      if (from === to) return;
      if (from === undefined) {
        lines.push(this.green(`${name}:`), this.green(`\t+: ${to}`));
      } else if (to === undefined) {
        lines.push(this.red(`${name}:`), this.red(`\t-: ${from}`));
      } else {
        lines.push(this.yellow(`${name}:`), this.yellow(`\t-: ${from}`), this.green(`\t+: ${to}`));
      }
    };
    const extracted = before?.extracted ?? {};
    const names = new Set([...Object.keys(extracted), ...Object.keys(after.extracted)]);
    for (const name of [...names].sort()) {
      change(
        `extracted[${JSON.stringify(name)}]`,
        showValue(extracted, name),
        showValue(after.extracted, name),
      );
    }
    change('labels', before && formatLabels(before.labels), formatLabels(after.labels));
    change(
      'structured_metadata',
      before?.structuredMetadata && formatLabels(before.structuredMetadata),
      after.structuredMetadata && formatLabels(after.structuredMetadata),
    );
    change('timestamp', before && formatTimestamp(before.timestamp), formatTimestamp(after.timestamp));
    change('line', before && showText(before.line), showText(after.line));
    return lines.length ? lines.join('\n') : undefined;
  }

  /** @internal */
  none(): string {
    return this.red('none');
  }

  /** @internal */
  dropped(stage: string, reason: string): string {
    return this.red(`dropped by ${stage} (${reason})`);
  }
}

function showValue(values: Record<string, unknown>, name: string): string | undefined {
  if (!Object.hasOwn(values, name)) return undefined;
  const v = values[name];
  if (typeof v === 'string') return showText(v);
  if (v === null) return 'null';
  if (typeof v === 'object') return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x));
  return String(v);
}

/** Text as it is, unless it holds control characters (a multi-line block): then quoted. */
function showText(s: string): string {
  return /[\u0000-\u001f\u007f]/.test(s) ? JSON.stringify(s) : s;
}

/** `{a="1", b="2"}`, sorted by name, as Prometheus prints a label set. */
export function formatLabels(labels: LabelSet): string {
  const parts = Object.keys(labels)
    .sort()
    .map((n) => `${n}=${JSON.stringify(labels[n])}`);
  return `{${parts.join(', ')}}`;
}

/** Unix nanoseconds as RFC 3339 in UTC with the fraction trimmed, as Go's RFC3339Nano prints. */
export function formatTimestamp(ns: bigint): string {
  let seconds = ns / 1_000_000_000n;
  let nanos = ns % 1_000_000_000n;
  if (nanos < 0n) {
    nanos += 1_000_000_000n;
    seconds -= 1n;
  }
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  if (nanos === 0n) return `${base}Z`;
  return `${base}.${nanos.toString().padStart(9, '0').replace(/0+$/, '')}Z`;
}
