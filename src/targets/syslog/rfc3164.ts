// RFC 3164 (BSD syslog) message parsing with the rules of go-syslog's RFC 3164 machine as
// Promtail 3 uses it (no options): `<PRI>` spaces `Mmm dd hh:mm:ss` spaces, then an optional
// HOSTNAME, an optional `TAG[PID]: ` and the message (printable characters and bytes >= 0x80).
// TAG becomes the app name and the bracketed part the proc id, as in Promtail.

import type { ParseResult, SyslogMessage } from './message.js';
import { readPriority, two, validClock } from './rfc5424.js';

const SP = 0x20;
const COLON = 0x3a;
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function digit(buf: Buffer, p: number): number {
  const c = buf[p]! - 0x30;
  return c >= 0 && c <= 9 ? c : -1;
}

/**
 * The stamp has no year: the current one is taken, or the previous one when that would put the
 * message more than a month in the future (a December message read in January).
 */
function stampNanos(
  month: number,
  day: number,
  h: number,
  mi: number,
  s: number,
  now: number,
): bigint | undefined {
  const year = new Date(now).getUTCFullYear();
  let ms = Date.UTC(year, month, day, h, mi, s);
  if (new Date(ms).getUTCDate() !== day) return undefined; // Feb 30
  if (ms - now > 31 * 86_400_000) ms = Date.UTC(year - 1, month, day, h, mi, s);
  return BigInt(ms) * 1_000_000n;
}

/** Parses bytes [start, end) of `buf` as one RFC 3164 message. */
export function parseRfc3164(buf: Buffer, start: number, end: number, now = Date.now()): ParseResult {
  const pri = readPriority(buf, start, end, start);
  if (typeof pri === 'string') return pri;
  let p = pri[1];
  while (p < end && buf[p] === SP) p++;
  // Mmm dd hh:mm:ss, the day padded with a space or a zero.
  const stampError = `expecting a Stamp timestamp [col ${p - start}]`;
  if (end - p < 15) return stampError;
  const month = months.indexOf(buf.toString('latin1', p, p + 3));
  if (month < 0 || buf[p + 3] !== SP) return stampError;
  p += 4;
  const day = buf[p] === SP ? digit(buf, p + 1) : two(buf, p);
  p += 2;
  const h = two(buf, p + 1);
  const mi = two(buf, p + 4);
  const s = two(buf, p + 7);
  if (
    buf[p] !== SP ||
    buf[p + 3] !== COLON ||
    buf[p + 6] !== COLON ||
    day < 1 ||
    day > 31 ||
    !validClock(h, mi, s)
  )
    return stampError;
  p += 9;
  const timestamp = stampNanos(month, day, h, mi, s, now);
  if (timestamp === undefined) return stampError;
  if (p >= end || buf[p] !== SP) return `parsing error [col ${p - start}]`;
  while (p < end && buf[p] === SP) p++;
  if (end > p && buf[end - 1] === 0x0a) end--; // one trailing newline is allowed
  // Every remaining byte must be printable (0x20-0x7e) or >= 0x80.
  for (let i = p; i < end; i++) {
    const c = buf[i]!;
    if (c < 0x20 || c === 0x7f)
      return `expecting a content part composed by visible characters only [col ${i - start}]`;
  }
  if (p >= end) return `parsing error [col ${p - start}]`;
  const msg: SyslogMessage = { priority: pri[0], version: 0, timestamp };
  // HOSTNAME: a first word without ':' followed by spaces and more text.
  let wordEnd = p;
  while (wordEnd < end && buf[wordEnd] !== SP) wordEnd++;
  if (
    wordEnd < end &&
    wordEnd - p <= 255 &&
    !hasByte(buf, p, wordEnd, COLON) &&
    !hasNonAscii(buf, p, wordEnd)
  ) {
    let q = wordEnd;
    while (q < end && buf[q] === SP) q++;
    if (q < end) {
      msg.hostname = buf.toString('latin1', p, wordEnd);
      p = q;
    }
  }
  // TAG (1-48 printable, no space, ':' or '['), optional [CONTENT], then ": " and the message.
  let t = p;
  while (t < end && t - p < 48) {
    const c = buf[t]!;
    if (c <= SP || c >= 0x7f || c === COLON || c === 0x5b) break;
    t++;
  }
  if (t > p) {
    let q = t;
    let content: string | undefined;
    if (buf[q] === 0x5b) {
      const cs = q + 1;
      let r = cs;
      while (r < end && buf[r]! > SP && buf[r]! < 0x7f && buf[r] !== 0x5b && buf[r] !== 0x5d) r++;
      if (buf[r] === 0x5d) {
        content = buf.toString('latin1', cs, r);
        q = r + 1;
      } else {
        q = -1;
      }
    }
    if (q > 0 && buf[q] === COLON && buf[q + 1] === SP && q + 2 < end) {
      msg.appName = buf.toString('latin1', p, t);
      if (content) msg.procId = content;
      p = q + 2;
    }
  }
  msg.message = buf.toString('utf8', p, end);
  return msg;
}

function hasByte(buf: Buffer, p: number, end: number, b: number): boolean {
  const i = buf.indexOf(b, p);
  return i !== -1 && i < end;
}

function hasNonAscii(buf: Buffer, p: number, end: number): boolean {
  for (let i = p; i < end; i++) if (buf[i]! > 0x7e) return true;
  return false;
}
