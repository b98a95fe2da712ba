// From one exported journal entry to what Promtail makes of it: the fields as sd-journal returns
// them (data fields only, the last of repeated fields wins, compressed values cut at 64 KiB),
// the `__journal_*` labels, the MESSAGE line, and the JSON line of `json: true`.

import { isUtf8 } from 'node:buffer';
import { type RelabelRule, relabel } from '../../relabel/relabel.js';
import type { LabelSet } from '../../types.js';
import type { JournalConfig } from './config.js';
import type { ExportRecord } from './export-parser.js';

/**
 * sd-journal's default data threshold: Promtail (go-systemd, which never changes it) gets at most
 * this many bytes of `FIELD=value` for a compressed field; journald compresses every large field.
 */
export const dataThreshold = 64 * 1024;

/** An entry as Promtail's journal target sees it. */
export interface JournalEntryData {
  cursor: string | undefined;
  /** `__REALTIME_TIMESTAMP`, in microseconds. */
  realtimeUs: bigint | undefined;
  /** Data fields in stream order, values as raw bytes (`_BOOT_ID` included, `__` address fields not). */
  fields: Map<string, Buffer>;
}

export function entryData(record: ExportRecord): JournalEntryData {
  let cursor: string | undefined;
  let realtimeUs: bigint | undefined;
  const fields = new Map<string, Buffer>();
  const { names, values } = record;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    let value = values[i]!;
    if (name.charCodeAt(0) === 95 && name.charCodeAt(1) === 95) {
      if (name === '__CURSOR') cursor = value.toString('latin1');
      else if (name === '__REALTIME_TIMESTAMP') realtimeUs = parseMicros(value);
      continue;
    }
    const limit = dataThreshold - name.length - 1;
    if (value.length > limit) value = value.subarray(0, limit);
    fields.set(name, value);
  }
  return { cursor, realtimeUs, fields };
}

function parseMicros(value: Buffer): bigint | undefined {
  const text = value.toString('latin1');
  return /^\d{1,20}$/.test(text) ? BigInt(text) : undefined;
}

/**
 * What Promtail's journal target makes of an entry's fields: its stream labels (the job's
 * `labels`, relabeled, without `__` labels) and its line, or why it is skipped (the reasons are
 * Promtail's `promtail_journal_target_parsing_errors_total` labels). The timestamp is the entry's
 * realtime timestamp. Pure: the target and the dry-run tools share it.
 */
export function promtailEntry(
  fields: Map<string, Buffer>,
  config: Pick<JournalConfig, 'json' | 'labels'>,
  relabelConfigs: readonly RelabelRule[],
): { labels: LabelSet; line: string } | 'no_message' | 'empty_labels' {
  let line: string;
  if (config.json) {
    line = entryJson(fields);
  } else {
    const message = fields.get('MESSAGE');
    if (message === undefined) return 'no_message';
    line = goString(message);
  }
  const discovered = journalLabels(fields);
  for (const name in config.labels) discovered[name] = config.labels[name]!;
  const relabeled = relabel(discovered, relabelConfigs);
  const labels: LabelSet = {};
  let any = false;
  if (relabeled !== null) {
    for (const name in relabeled) {
      if (name.startsWith('__')) continue;
      labels[name] = relabeled[name]!;
      any = true;
    }
  }
  return any ? { labels, line } : 'empty_labels';
}

/**
 * An entry of `journalctl --output=json` (for the dry-run tools): strings, arrays of byte values
 * for binary fields, arrays for repeated fields (the last value counts, as in the export), and
 * null for fields journalctl left out as too large (dropped).
 */
export function entryDataFromJson(entry: Record<string, unknown>): JournalEntryData {
  const fields = new Map<string, Buffer>();
  let cursor: string | undefined;
  let realtimeUs: bigint | undefined;
  for (const [name, raw] of Object.entries(entry)) {
    if (name === '__CURSOR') {
      if (typeof raw === 'string') cursor = raw;
      continue;
    }
    if (name === '__REALTIME_TIMESTAMP') {
      if (typeof raw === 'string' && /^\d{1,20}$/.test(raw)) realtimeUs = BigInt(raw);
      continue;
    }
    if (name.startsWith('__')) continue;
    const value =
      Array.isArray(raw) && raw.length > 0 && typeof raw[0] !== 'number' ? raw[raw.length - 1] : raw;
    let bytes: Buffer | undefined;
    if (typeof value === 'string') bytes = Buffer.from(value);
    else if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255))
      bytes = Buffer.from(value as number[]);
    if (bytes === undefined) continue;
    const limit = dataThreshold - name.length - 1;
    fields.set(name, bytes.length > limit ? bytes.subarray(0, limit) : bytes);
  }
  return { cursor, realtimeUs, fields };
}

const priorityKeywords = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'];

/** Promtail's makeJournalFields: `__journal_<field lowercased>` per field, plus `__journal_priority_keyword`. */
export function journalLabels(fields: Map<string, Buffer>): LabelSet {
  const labels: LabelSet = {};
  for (const [name, raw] of fields) {
    const value = goString(raw);
    if (name === 'PRIORITY') {
      const n = value.length === 1 ? value.charCodeAt(0) - 48 : -1;
      labels.__journal_priority_keyword = n >= 0 && n <= 7 ? priorityKeywords[n]! : value;
    }
    labels[`__journal_${name.toLowerCase()}`] = value;
  }
  return labels;
}

/**
 * Bytes as the string a Go program shows for them: valid UTF-8 as is, each byte of an invalid
 * sequence as U+FFFD (Go's utf8.DecodeRune rule, which differs from TextDecoder's).
 */
export function goString(buf: Buffer): string {
  if (isUtf8(buf)) return buf.toString('utf8');
  let out = '';
  let start = 0;
  let i = 0;
  while (i < buf.length) {
    const size = runeSize(buf, i);
    if (size > 0) {
      i += size;
      continue;
    }
    out += `${buf.toString('utf8', start, i)}\ufffd`;
    i++;
    start = i;
  }
  return out + buf.toString('utf8', start, i);
}

/**
 * The entry as Promtail's `json: true` writes it: jsoniter's standard-library mode over the
 * field map: keys sorted, HTML characters and U+2028/U+2029 escaped, each invalid UTF-8 byte
 * written as `\ufffd`.
 */
export function entryJson(fields: Map<string, Buffer>): string {
  const names = [...fields.keys()].sort(compareBytes);
  let out = '{';
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (i > 0) out += ',';
    out += jsonString(Buffer.from(name, 'latin1'));
    out += ':';
    out += jsonString(fields.get(name)!);
  }
  return `${out}}`;
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const hex = '0123456789abcdef';

/** Go's encoding/json string encoding with HTML escaping, over raw bytes. */
export function jsonString(buf: Buffer): string {
  let out = '"';
  let start = 0;
  let i = 0;
  const n = buf.length;
  while (i < n) {
    const c = buf[i]!;
    if (c < 0x80) {
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c && c !== 0x3c && c !== 0x3e && c !== 0x26) {
        i++;
        continue;
      }
      out += buf.toString('utf8', start, i);
      if (c === 0x22) out += '\\"';
      else if (c === 0x5c) out += '\\\\';
      else if (c === 0x0a) out += '\\n';
      else if (c === 0x0d) out += '\\r';
      else if (c === 0x09) out += '\\t';
      else out += `\\u00${hex[c >> 4]}${hex[c & 0xf]}`;
      i++;
      start = i;
      continue;
    }
    const size = runeSize(buf, i);
    if (size === 0) {
      out += `${buf.toString('utf8', start, i)}\\ufffd`;
      i++;
      start = i;
      continue;
    }
    // U+2028 and U+2029 (E2 80 A8 / E2 80 A9) break JavaScript string literals: Go escapes them.
    if (size === 3 && c === 0xe2 && buf[i + 1] === 0x80 && (buf[i + 2] === 0xa8 || buf[i + 2] === 0xa9)) {
      out += `${buf.toString('utf8', start, i)}\\u202${buf[i + 2] === 0xa8 ? '8' : '9'}`;
      i += 3;
      start = i;
      continue;
    }
    i += size;
  }
  return `${out + buf.toString('utf8', start, n)}"`;
}

/** Length of the valid UTF-8 sequence at `i` (Go's acceptance ranges), or 0 when it is invalid. */
function runeSize(buf: Buffer, i: number): number {
  const b0 = buf[i]!;
  if (b0 < 0x80) return 1;
  const n = buf.length;
  const cont = (j: number, lo = 0x80, hi = 0xbf) => j < n && buf[j]! >= lo && buf[j]! <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}
