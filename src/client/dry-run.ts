// The -dry-run "client": prints each entry as Promtail 3.6 does (clients/pkg/promtail/client/
// logger.go: `<time>\t<labels>\t<line>` through Go's tabwriter, so a time or labels cell whose width
// is a multiple of 8 is followed by no tab; structured metadata is not printed) instead of
// sending it, and acknowledges it at once.

import type { Entry } from '../types.js';
import { tabwriterFormat } from './tabwriter.js';

const blue = (s: string) => `\x1b[34m${s}\x1b[0m`;
const yellow = (s: string) => `\x1b[33m${s}\x1b[0m`;

/**
 * Whether Promtail would colour the output (fatih/color): only on a terminal, and not with
 * `NO_COLOR` set or `TERM=dumb`.
 */
export function dryRunColour(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return isTTY && !env.NO_COLOR && env.TERM !== 'dumb';
}

export class DryRunPrinter {
  constructor(
    private readonly write: (text: string) => void,
    private readonly colour: boolean,
    private readonly formatLabels: (labels: Entry['labels']) => string,
  ) {}

  send(entry: Entry): void {
    const ts = formatGoTimestamp(entry.timestamp);
    const labels = this.formatLabels(entry.labels);
    // Promtail writes the three cells to a tabwriter and flushes it after each entry.
    this.write(
      tabwriterFormat(
        `${this.colour ? blue(ts) : ts}\t${this.colour ? yellow(labels) : labels}\t${entry.line}\n`,
      ),
    );
    entry.delivery?.release();
  }
}

/** Formats Unix nanoseconds as Go's "2006-01-02T15:04:05.999999999-0700" in local time. */
export function formatGoTimestamp(ns: bigint, offsetMinutes?: number): string {
  const ms = Number(ns / 1_000_000n);
  const nanos = Number(((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n);
  const offset = offsetMinutes ?? -new Date(ms).getTimezoneOffset();
  const local = new Date(ms + offset * 60_000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const date = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const fraction = nanos === 0 ? '' : `.${pad(nanos, 9).replace(/0+$/, '')}`;
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${date}T${time}${fraction}${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}
