// RFC 5424 message parsing, straight from the bytes of one frame, with the rules of go-syslog's
// RFC 5424 machine as Promtail uses it: any violation is an error (Promtail drops the message and
// counts it), NILVALUE fields are absent, an empty MSG is no message, SD values must be valid
// UTF-8 (MSG may be anything). Also the message printed back as go-syslog does for `use_rfc5424_message`.

import { isUtf8 } from 'node:buffer';
import type { ParseResult, SyslogMessage } from './message.js';

const SP = 0x20;
const LT = 0x3c;
const GT = 0x3e;
const DASH = 0x2d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const EQUALS = 0x3d;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Reads `<PRI>` at `p`. Returns the priority and the index after `>`, or an error text.
 * PRIVAL is 0, or 1-191 without a leading zero, as go-syslog's grammar has it.
 */
export function readPriority(buf: Buffer, p: number, end: number, col0: number): [number, number] | string {
  if (p >= end || buf[p] !== LT) return `expecting a priority value within angle brackets [col ${p - col0}]`;
  p++;
  const digits = p;
  let value = 0;
  while (p < end && isDigit(buf[p]!) && p - digits < 3) value = value * 10 + buf[p++]! - 0x30;
  const n = p - digits;
  if (n === 0 || (n > 1 && buf[digits] === 0x30) || value > 191)
    return `expecting a priority value in the range 1-191 or equal to 0 [col ${p - col0}]`;
  if (p >= end || buf[p] !== GT) return `expecting a priority value within angle brackets [col ${p - col0}]`;
  return [value, p + 1];
}

/** Index of the end of a run of printable US-ASCII (0x21-0x7e) starting at `p`. */
function printRun(buf: Buffer, p: number, end: number): number {
  while (p < end) {
    const c = buf[p]!;
    if (c < 0x21 || c > 0x7e) break;
    p++;
  }
  return p;
}

const headerFields = [
  ['hostname', 255, 'an hostname (from 1 to max 255 US-ASCII characters)'],
  ['appName', 48, 'an app-name (from 1 to max 48 US-ASCII characters)'],
  ['procId', 128, 'a procid (from 1 to max 128 US-ASCII characters)'],
  ['msgId', 32, 'a msgid (from 1 to max 32 US-ASCII characters)'],
] as const;

/** Parses bytes [start, end) of `buf` as one RFC 5424 message. */
export function parseRfc5424(buf: Buffer, start: number, end: number): ParseResult {
  const pri = readPriority(buf, start, end, start);
  if (typeof pri === 'string') return pri;
  let p = pri[1];
  // VERSION: NONZERO-DIGIT 0*2DIGIT
  let version = 0;
  const vStart = p;
  if (p < end && buf[p]! > 0x30 && buf[p]! <= 0x39) {
    while (p < end && isDigit(buf[p]!) && p - vStart < 3) version = version * 10 + buf[p++]! - 0x30;
  }
  if (version === 0 || p >= end || buf[p] !== SP)
    return `expecting a version value in the range 1-999 [col ${p - start}]`;
  p++;
  const msg: SyslogMessage = { priority: pri[0], version };
  // TIMESTAMP
  if (p < end && buf[p] === DASH && (p + 1 >= end || buf[p + 1] === SP)) {
    p++;
  } else {
    const tsEnd = printRun(buf, p, end);
    const ts = parseTimestamp(buf, p, tsEnd);
    if (ts === undefined) return `expecting a RFC3339MICRO timestamp or a nil value [col ${p - start}]`;
    msg.timestamp = ts.nanos;
    msg.timestampText = ts.text;
    p = tsEnd;
  }
  // HOSTNAME APP-NAME PROCID MSGID, each NILVALUE or 1..max printable characters
  for (const [field, max, what] of headerFields) {
    if (p >= end || buf[p] !== SP) return `expecting ${what} or a nil value [col ${p - start}]`;
    p++;
    const e = printRun(buf, p, end);
    if (e === p || e - p > max || (e < end && buf[e] !== SP))
      return `expecting ${what} or a nil value [col ${p - start}]`;
    if (!(e - p === 1 && buf[p] === DASH)) msg[field] = buf.toString('latin1', p, e);
    p = e;
  }
  // STRUCTURED-DATA
  if (p >= end || buf[p] !== SP) return `parsing error [col ${p - start}]`;
  p++;
  if (p < end && buf[p] === DASH) {
    p++;
  } else if (p < end && buf[p] === LBRACKET) {
    const sd = new Map<string, Map<string, string>>();
    const r = parseStructuredData(buf, p, end, start, sd);
    if (typeof r === 'string') return r;
    p = r;
    msg.structuredData = sd;
  } else {
    return `expecting a structured data section containing one or more elements (\`[id( key="value")*]+\`) or a nil value [col ${p - start}]`;
  }
  // [SP MSG]
  if (p < end) {
    if (buf[p] !== SP) return `parsing error [col ${p - start}]`;
    p++;
    // go-syslog takes any octets here (Promtail passes non-UTF-8 messages on); a JS string
    // cannot hold them, so invalid sequences become U+FFFD.
    if (p < end) msg.message = buf.toString('utf8', p, end);
  }
  return msg;
}

/** SD-NAME: 1-32 printable US-ASCII except `=`, space, `]` and `"`. Returns its end. */
function sdNameEnd(buf: Buffer, p: number, end: number): number {
  const s = p;
  while (p < end) {
    const c = buf[p]!;
    if (c < 0x21 || c > 0x7e || c === EQUALS || c === RBRACKET || c === DQUOTE) break;
    p++;
  }
  return p - s > 32 ? s : p;
}

function parseStructuredData(
  buf: Buffer,
  p: number,
  end: number,
  col0: number,
  sd: Map<string, Map<string, string>>,
): number | string {
  const sdError = (at: number) =>
    `expecting a structured data parameter (\`key="value"\`, both part from 1 to max 32 US-ASCII characters; key cannot contain \`=\`, \` \`, \`]\`, and \`"\`, while value cannot contain \`]\`, backslash, and \`"\` unless escaped) [col ${at - col0}]`;
  while (p < end && buf[p] === LBRACKET) {
    p++;
    const idEnd = sdNameEnd(buf, p, end);
    if (idEnd === p)
      return `expecting a structured data element id (from 1 to max 32 US-ASCII characters; except \`=\`, \` \`, \`]\`, and \`"\` [col ${p - col0}]`;
    const id = buf.toString('latin1', p, idEnd);
    if (sd.has(id)) return `duplicate structured data element id [col ${idEnd - col0}]`;
    const params = new Map<string, string>();
    sd.set(id, params);
    p = idEnd;
    for (;;) {
      if (p >= end) return sdError(p);
      const c = buf[p]!;
      if (c === RBRACKET) {
        p++;
        break;
      }
      if (c !== SP) return sdError(p);
      p++;
      const nameEnd = sdNameEnd(buf, p, end);
      if (nameEnd === p || buf[nameEnd] !== EQUALS || buf[nameEnd + 1] !== DQUOTE) return sdError(p);
      const name = buf.toString('latin1', p, nameEnd);
      p = nameEnd + 2;
      const valueStart = p;
      let escaped = false;
      while (p < end) {
        const v = buf[p]!;
        if (v === DQUOTE) break;
        if (v === RBRACKET) return sdError(p);
        if (v === BACKSLASH) {
          const next = buf[p + 1];
          if (next !== DQUOTE && next !== RBRACKET && next !== BACKSLASH)
            return `expecting chars \`]\`, \`"\`, and \`\\\` to be escaped within param value [col ${p + 1 - col0}]`;
          escaped = true;
          p += 2;
          continue;
        }
        p++;
      }
      if (p >= end) return sdError(p);
      const raw = buf.subarray(valueStart, p);
      if (!isUtf8(raw)) return sdError(valueStart);
      let value = raw.toString('utf8');
      if (escaped) value = value.replace(/\\(["\]\\])/g, '$1');
      params.set(name, value);
      p++; // closing quote
    }
  }
  return p;
}

const daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number of the two ASCII digits at buf[p], or -1. */
export function two(buf: Buffer, p: number): number {
  const a = buf[p]! - 0x30;
  const b = buf[p + 1]! - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** hh:mm:ss within a day (a leap second is not), each -1 when its digits were not digits. */
export function validClock(h: number, mi: number, s: number): boolean {
  return h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 59;
}

/**
 * RFC 3339 with at most 6 fractional digits (go-syslog's RFC3339MICRO): `2003-10-11T22:14:15.003Z`,
 * `...+02:00`. Returns Unix nanoseconds and the text go-syslog prints back.
 */
export function parseTimestamp(
  buf: Buffer,
  p: number,
  end: number,
): { nanos: bigint; text: string } | undefined {
  if (end - p < 20) return undefined;
  const y = two(buf, p) * 100 + two(buf, p + 2);
  const mo = two(buf, p + 5);
  const d = two(buf, p + 8);
  const h = two(buf, p + 11);
  const mi = two(buf, p + 14);
  const s = two(buf, p + 17);
  if (
    two(buf, p) < 0 ||
    two(buf, p + 2) < 0 ||
    buf[p + 4] !== DASH ||
    buf[p + 7] !== DASH ||
    buf[p + 10] !== 0x54 ||
    buf[p + 13] !== 0x3a ||
    buf[p + 16] !== 0x3a ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    !validClock(h, mi, s)
  )
    return undefined;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (d > (mo === 2 && leap ? 29 : daysInMonth[mo - 1]!)) return undefined;
  let q = p + 19;
  let fracNanos = 0;
  let fracDigits = '';
  if (buf[q] === 0x2e) {
    q++;
    const fs = q;
    while (q < end && isDigit(buf[q]!)) q++;
    const n = q - fs;
    if (n < 1 || n > 6) return undefined;
    fracDigits = buf.toString('latin1', fs, q);
    fracNanos = Number(fracDigits.padEnd(9, '0'));
    fracDigits = fracDigits.replace(/0+$/, '');
  }
  let offsetMinutes = 0;
  let offsetText = 'Z';
  if (q + 1 === end && buf[q] === 0x5a) {
    q++;
  } else if (q + 6 === end && (buf[q] === 0x2b || buf[q] === DASH) && buf[q + 3] === 0x3a) {
    const oh = two(buf, q + 1);
    const om = two(buf, q + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
    offsetMinutes = (oh * 60 + om) * (buf[q] === DASH ? -1 : 1);
    if (offsetMinutes !== 0) offsetText = buf.toString('latin1', q, q + 6);
    q += 6;
  } else {
    return undefined;
  }
  // Date.UTC maps years 0-99 to 1900-1999: compute 400 years later (same calendar) and shift back.
  const shift = y < 100 ? 400 : 0;
  let ms = Date.UTC(y + shift, mo - 1, d, h, mi, s) - offsetMinutes * 60_000;
  if (shift) ms -= 146_097 * 86_400_000;
  const nanos = BigInt(ms) * 1_000_000n + BigInt(fracNanos);
  const text = `${buf.toString('latin1', p, p + 19)}${fracDigits ? `.${fracDigits}` : ''}${offsetText}`;
  return { nanos, text };
}

function escapeParam(value: string): string {
  return value.replace(/["\\\]]/g, '\\$&');
}

/** The message printed back as go-syslog's String() does (Promtail's `use_rfc5424_message`). */
export function formatRfc5424(m: SyslogMessage): string {
  let sd = '-';
  if (m.structuredData) {
    sd = '';
    for (const id of [...m.structuredData.keys()].sort()) {
      sd += `[${id}`;
      const params = m.structuredData.get(id)!;
      for (const name of [...params.keys()].sort()) sd += ` ${name}="${escapeParam(params.get(name)!)}"`;
      sd += ']';
    }
  }
  return `<${m.priority}>${m.version} ${m.timestampText ?? '-'} ${m.hostname ?? '-'} ${m.appName ?? '-'} ${m.procId ?? '-'} ${m.msgId ?? '-'} ${sd}${m.message === undefined ? '' : ` ${m.message}`}`;
}
