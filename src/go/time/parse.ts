// Go's time.Parse and time.ParseInLocation, step for step, with nanosecond results as bigint:
// what a layout accepts, how it fills in missing fields and how it resolves zones is what
// Promtail users already rely on.

import { civilFromDays, daysBefore, daysFromCivil, daysIn, isLeap, secondsPerDay } from './calendar.js';
import { type CompiledLayout, compileLayout, Std } from './layout.js';
import { FixedZone, localZone, UTC, type Zone } from './zone.js';

/** A parsed instant and the zone Go would attach to it. */
export interface ParsedTime {
  /** Unix time in nanoseconds. */
  unixNanos: bigint;
  /** The location of the result: UTC, a fixed offset, the local zone, or the default zone. */
  zone: Zone;
}

/** Why a value does not match a layout; the message reads as Go's ParseError. */
export class TimeParseError {
  constructor(readonly message: string) {}
  toString(): string {
    return this.message;
  }
}

export interface ParseOptions {
  /** Zone for values without zone information (Parse: UTC; ParseInLocation: the location). */
  defaultZone?: Zone;
  /** Zone whose offsets and abbreviations are recognised (Parse: Local; ParseInLocation: the location). */
  local?: Zone;
}

export const shortMonths = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
];
export const longMonths = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
export const shortDays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
export const longDays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const BAD = -1;

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

function commaOrPeriod(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c === 46 || c === 44;
}

/** Go's leadingInt: the leading [0-9]* of s[from:to); undefined on overflow past 2^63. */
function leadingInt(s: string, from: number, to: number): { value: number; end: number } | undefined {
  let i = from;
  let x = 0;
  while (i < to && isDigit(s, i)) x = x * 10 + s.charCodeAt(i++) - 48;
  // Up to 15 digits are exact in a double; longer runs are checked against Go's int64 limit.
  if (i - from > 15 && BigInt(s.slice(from, i)) > 1n << 63n) return undefined;
  return { value: x, end: i };
}

/** Go's time.atoi over s[from:to): optional sign, then digits only (an empty number is 0). */
function atoi(s: string, from: number, to: number): number | undefined {
  let neg = false;
  if (from < to && (s[from] === '-' || s[from] === '+')) {
    neg = s[from] === '-';
    from++;
  }
  const r = leadingInt(s, from, to);
  if (!r || r.end !== to) return undefined;
  return neg ? -r.value : r.value;
}

/** ASCII case-insensitive comparison of letters, exact for everything else (Go's match). */
function matchFold(value: string, at: number, word: string): boolean {
  if (value.length - at < word.length) return false;
  for (let i = 0; i < word.length; i++) {
    let c1 = value.charCodeAt(at + i);
    let c2 = word.charCodeAt(i);
    if (c1 !== c2) {
      c1 |= 0x20;
      c2 |= 0x20;
      if (c1 !== c2 || c1 < 97 || c1 > 122) return false;
    }
  }
  return true;
}

/** Index of the first name matching at `at`, or -1 (Go's lookup). */
function lookupName(table: string[], value: string, at: number): number {
  for (let i = 0; i < table.length; i++) if (matchFold(value, at, table[i]!)) return i;
  return -1;
}

/** Go's parseTimeZone: length of a zone abbreviation at `at`, or 0. */
function timeZoneLength(value: string, at: number): number {
  const rest = value.length - at;
  if (rest < 3) return 0;
  if (rest >= 4 && (value.startsWith('ChST', at) || value.startsWith('MeST', at))) return 4;
  if (value.startsWith('GMT', at)) {
    if (rest === 3) return 3;
    return 3 + signedOffsetLength(value, at + 3);
  }
  if (value[at] === '+' || value[at] === '-') return signedOffsetLength(value, at);
  let upper = 0;
  while (upper < 6 && upper < rest) {
    const c = value.charCodeAt(at + upper);
    if (c < 65 || c > 90) break;
    upper++;
  }
  switch (upper) {
    case 5:
      return value[at + 4] === 'T' ? 5 : 0;
    case 4:
      return value[at + 3] === 'T' || value.startsWith('WITA', at) ? 4 : 0;
    case 3:
      return 3;
    default:
      return 0;
  }
}

/** Go's parseSignedOffset: "+3", "-04" (-23..+23); 0 when there is none. */
function signedOffsetLength(value: string, at: number): number {
  const sign = value[at];
  if (sign !== '-' && sign !== '+') return 0;
  const r = leadingInt(value, at + 1, value.length);
  if (!r || r.end === at + 1 || r.value > 23) return 0;
  return r.end - at;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

/**
 * Go's getnum at value[at]: one or two digits (exactly two when fixed). Returns BAD, or the
 * number shifted left by 2 with the digits consumed in the low bits (no allocation per call).
 */
function getnum(value: string, at: number, fixed: boolean): number {
  if (!isDigit(value, at)) return BAD;
  if (!isDigit(value, at + 1)) return fixed ? BAD : ((value.charCodeAt(at) - 48) << 2) | 1;
  return (((value.charCodeAt(at) - 48) * 10 + value.charCodeAt(at + 1) - 48) << 2) | 2;
}

/** Two digits at value[at], or BAD. */
function twoDigits(value: string, at: number): number {
  return isDigit(value, at) && isDigit(value, at + 1)
    ? (value.charCodeAt(at) - 48) * 10 + value.charCodeAt(at + 1) - 48
    : BAD;
}

/** Go's parseNanoseconds over value[at, at+nbytes): a separator, then digits; -2 when negative. */
function nanos(value: string, at: number, nbytes: number): number {
  if (!commaOrPeriod(value, at)) return BAD;
  const digits = Math.min(nbytes, 10);
  let ns = atoi(value, at + 1, at + digits);
  if (ns === undefined) return BAD;
  if (ns < 0) return -2;
  for (let i = 0; i < 10 - digits; i++) ns *= 10;
  return ns;
}

function parseFailure(value: string, layout: string, elem: string, at: number): TimeParseError {
  return new TimeParseError(
    `parsing time ${quote(value)} as ${quote(layout)}: cannot parse ${quote(value.slice(at))} as ${quote(elem)}`,
  );
}

function rangeFailure(value: string, what: string): TimeParseError {
  return new TimeParseError(`parsing time ${quote(value)}: ${what} out of range`);
}

/**
 * Parses `value` with a Go layout, as time.Parse (no options) or time.ParseInLocation
 * (`{ defaultZone: loc, local: loc }`). Returns a TimeParseError rather than throwing: a value
 * that does not match is an everyday event on the hot path.
 */
export function parseTime(
  layout: CompiledLayout | string,
  value: string,
  options: ParseOptions = {},
): ParsedTime | TimeParseError {
  const compiled = typeof layout === 'string' ? compileLayout(layout) : layout;
  const defaultZone = options.defaultZone ?? UTC;
  const chunks = compiled.chunks;
  const n = value.length;
  let year = 0;
  let month = -1;
  let day = -1;
  let yday = -1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nsec = 0;
  let utc = false;
  let zoneOffset = -1;
  let zoneName = '';
  let amSet = false;
  let pmSet = false;
  let p = 0;

  for (let k = 0; k < chunks.length; k++) {
    const chunk = chunks[k]!;
    // Literal text: a run of spaces in the layout matches any run of spaces in the value.
    const prefix = chunk.prefix;
    for (let i = 0; i < prefix.length; ) {
      if (prefix[i] === ' ') {
        if (p < n && value[p] !== ' ') return parseFailure(value, compiled.layout, prefix, p);
        while (i < prefix.length && prefix[i] === ' ') i++;
        while (p < n && value[p] === ' ') p++;
        continue;
      }
      if (p >= n || value[p] !== prefix[i]) return parseFailure(value, compiled.layout, prefix, p);
      i++;
      p++;
    }
    const std = chunk.std;
    if (std === 0) {
      if (p !== n)
        return new TimeParseError(`parsing time ${quote(value)}: extra text: ${quote(value.slice(p))}`);
      break;
    }
    const hold = p;
    let bad = false;
    let range = '';
    switch (std) {
      case Std.Year: {
        if (n - p < 2) {
          bad = true;
          break;
        }
        const y = atoi(value, p, p + 2);
        p += 2;
        if (y === undefined) bad = true;
        else year = y >= 69 ? y + 1900 : y + 2000;
        break;
      }
      case Std.LongYear: {
        if (n - p < 4 || !isDigit(value, p)) {
          bad = true;
          break;
        }
        const y = atoi(value, p, p + 4);
        p += 4;
        if (y === undefined) bad = true;
        else year = y;
        break;
      }
      case Std.Month:
      case Std.LongMonth: {
        const table = std === Std.Month ? shortMonths : longMonths;
        const i = lookupName(table, value, p);
        if (i < 0) bad = true;
        else {
          month = i + 1;
          p += table[i]!.length;
        }
        break;
      }
      case Std.NumMonth:
      case Std.ZeroMonth:
        month = getnum(value, p, std === Std.ZeroMonth);
        if (month !== BAD) {
          p += month & 3;
          month >>= 2;
        }
        if (month === BAD) bad = true;
        else if (month <= 0 || month > 12) range = 'month';
        break;
      case Std.WeekDay:
      case Std.LongWeekDay: {
        const table = std === Std.WeekDay ? shortDays : longDays;
        const i = lookupName(table, value, p);
        if (i < 0) bad = true;
        else p += table[i]!.length;
        break;
      }
      case Std.Day:
      case Std.UnderDay:
      case Std.ZeroDay:
        if (std === Std.UnderDay && value[p] === ' ') p++;
        day = getnum(value, p, std === Std.ZeroDay);
        if (day !== BAD) {
          p += day & 3;
          day >>= 2;
        }
        if (day === BAD) bad = true;
        break;
      case Std.UnderYearDay:
      case Std.ZeroYearDay: {
        for (let i = 0; i < 2; i++) if (std === Std.UnderYearDay && value[p] === ' ') p++;
        let v = 0;
        let i = 0;
        for (; i < 3 && isDigit(value, p + i); i++) v = v * 10 + value.charCodeAt(p + i) - 48;
        if (i === 0 || (std === Std.ZeroYearDay && i !== 3)) bad = true;
        else {
          yday = v;
          p += i;
        }
        break;
      }
      case Std.Hour:
        hour = getnum(value, p, false);
        if (hour !== BAD) {
          p += hour & 3;
          hour >>= 2;
        }
        if (hour === BAD) bad = true;
        else if (hour >= 24) range = 'hour';
        break;
      case Std.Hour12:
      case Std.ZeroHour12:
        hour = getnum(value, p, std === Std.ZeroHour12);
        if (hour !== BAD) {
          p += hour & 3;
          hour >>= 2;
        }
        if (hour === BAD) bad = true;
        else if (hour > 12) range = 'hour';
        break;
      case Std.Minute:
      case Std.ZeroMinute:
        min = getnum(value, p, std === Std.ZeroMinute);
        if (min !== BAD) {
          p += min & 3;
          min >>= 2;
        }
        if (min === BAD) bad = true;
        else if (min >= 60) range = 'minute';
        break;
      case Std.Second:
      case Std.ZeroSecond: {
        sec = getnum(value, p, std === Std.ZeroSecond);
        if (sec !== BAD) {
          p += sec & 3;
          sec >>= 2;
        }
        if (sec === BAD) {
          bad = true;
          break;
        }
        if (sec >= 60) {
          range = 'second';
          break;
        }
        // A fraction in the value that the layout does not mention is read anyway.
        if (n - p >= 2 && commaOrPeriod(value, p) && isDigit(value, p + 1)) {
          const next = chunks[k + 1]?.std;
          if (next === Std.FracSecond0 || next === Std.FracSecond9) break;
          let end = p + 2;
          while (end < n && isDigit(value, end)) end++;
          const ns = nanos(value, p, end - p);
          if (ns === BAD) bad = true;
          else if (ns === -2) range = 'fractional second';
          else nsec = ns;
          p = end;
        }
        break;
      }
      case Std.PM:
      case Std.pm: {
        if (n - p < 2) {
          bad = true;
          break;
        }
        const mark = value.slice(p, p + 2);
        p += 2;
        if (mark === (std === Std.PM ? 'PM' : 'pm')) pmSet = true;
        else if (mark === (std === Std.PM ? 'AM' : 'am')) amSet = true;
        else bad = true;
        break;
      }
      case Std.ISO8601TZ:
      case Std.ISO8601ShortTZ:
      case Std.ISO8601ColonTZ:
      case Std.ISO8601SecondsTZ:
      case Std.ISO8601ColonSecondsTZ:
      case Std.NumTZ:
      case Std.NumShortTZ:
      case Std.NumColonTZ:
      case Std.NumSecondsTZ:
      case Std.NumColonSecondsTZ: {
        if (std >= Std.ISO8601TZ && std <= Std.ISO8601ColonSecondsTZ && value[p] === 'Z') {
          p++;
          utc = true;
          break;
        }
        const rest = n - p;
        let h: number;
        let m = p;
        let s = p;
        let mFixed = false;
        let sFixed = false;
        let width: number;
        if (std === Std.ISO8601ColonTZ || std === Std.NumColonTZ) {
          if (rest < 6 || value[p + 3] !== ':') {
            bad = true;
            break;
          }
          h = p + 1;
          m = p + 4;
          mFixed = true;
          width = 6;
        } else if (std === Std.NumShortTZ || std === Std.ISO8601ShortTZ) {
          if (rest < 3) {
            bad = true;
            break;
          }
          h = p + 1;
          width = 3;
        } else if (std === Std.ISO8601ColonSecondsTZ || std === Std.NumColonSecondsTZ) {
          if (rest < 9 || value[p + 3] !== ':' || value[p + 6] !== ':') {
            bad = true;
            break;
          }
          h = p + 1;
          m = p + 4;
          s = p + 7;
          mFixed = sFixed = true;
          width = 9;
        } else if (std === Std.ISO8601SecondsTZ || std === Std.NumSecondsTZ) {
          if (rest < 7) {
            bad = true;
            break;
          }
          h = p + 1;
          m = p + 3;
          s = p + 5;
          mFixed = sFixed = true;
          width = 7;
        } else {
          if (rest < 5) {
            bad = true;
            break;
          }
          h = p + 1;
          m = p + 3;
          mFixed = true;
          width = 5;
        }
        const sign = value[p];
        const hr = twoDigits(value, h);
        const mm = mFixed ? twoDigits(value, m) : 0;
        const ss = sFixed ? twoDigits(value, s) : 0;
        p += width;
        if (hr === BAD || mm === BAD || ss === BAD) {
          bad = true;
          break;
        }
        // Go allows offsets of exactly 24 hours, 60 minutes or 60 seconds.
        if (hr > 24) range = 'time zone offset hour';
        if (mm > 60) range = 'time zone offset minute';
        if (ss > 60) range = 'time zone offset second';
        zoneOffset = (hr * 60 + mm) * 60 + ss;
        if (sign === '-') zoneOffset = -zoneOffset;
        else if (sign !== '+') bad = true;
        break;
      }
      case Std.TZ: {
        if (value.startsWith('UTC', p)) {
          utc = true;
          p += 3;
          break;
        }
        const len = timeZoneLength(value, p);
        if (len === 0) {
          bad = true;
          break;
        }
        zoneName = value.slice(p, p + len);
        p += len;
        break;
      }
      case Std.FracSecond0: {
        const ndigit = 1 + chunk.digits;
        if (n - p < ndigit) {
          bad = true;
          break;
        }
        const ns = nanos(value, p, ndigit);
        p += ndigit;
        if (ns === BAD) bad = true;
        else if (ns === -2) range = 'fractional second';
        else nsec = ns;
        break;
      }
      case Std.FracSecond9: {
        if (n - p < 2 || !commaOrPeriod(value, p) || !isDigit(value, p + 1)) break;
        let i = 0;
        while (p + i + 1 < n && isDigit(value, p + i + 1)) i++;
        const ns = nanos(value, p, 1 + i);
        p += 1 + i;
        if (ns === BAD) bad = true;
        else if (ns === -2) range = 'fractional second';
        else nsec = ns;
        break;
      }
    }
    if (range) return rangeFailure(value, range);
    if (bad) return parseFailure(value, compiled.layout, chunk.text, hold);
  }

  if (pmSet && hour < 12) hour += 12;
  else if (amSet && hour === 12) hour = 0;

  if (yday >= 0) {
    let d = 0;
    let m = 0;
    if (isLeap(year)) {
      if (yday === 31 + 29) {
        m = 2;
        d = 29;
      } else if (yday > 31 + 29) {
        yday--;
      }
    }
    if (yday < 1 || yday > 365)
      return new TimeParseError(`parsing time ${quote(value)}: day-of-year out of range`);
    if (m === 0) {
      m = Math.floor((yday - 1) / 31) + 1;
      if (daysBefore(m + 1) < yday) m++;
      d = yday - daysBefore(m);
    }
    if (month >= 0 && month !== m) {
      return new TimeParseError(`parsing time ${quote(value)}: day-of-year does not match month`);
    }
    month = m;
    if (day >= 0 && day !== d) {
      return new TimeParseError(`parsing time ${quote(value)}: day-of-year does not match day`);
    }
    day = d;
  } else {
    if (month < 0) month = 1;
    if (day < 0) day = 1;
  }
  if (day < 1 || day > daysIn(month, year))
    return new TimeParseError(`parsing time ${quote(value)}: day out of range`);

  // Seconds of the wall clock read as if it were UTC.
  const wall = daysFromCivil(year, month, day) * secondsPerDay + hour * 3600 + min * 60 + sec;
  if (utc) return result(wall, nsec, UTC);
  const local = options.local ?? localZone();
  if (zoneOffset !== -1) {
    const t = wall - zoneOffset;
    // Go reuses the local zone when it has this offset (and name) at that instant.
    if (local.offsetAt(t) === zoneOffset && (zoneName === '' || local.abbreviationAt(t) === zoneName)) {
      return result(t, nsec, local);
    }
    return result(t, nsec, new FixedZone(zoneName, zoneOffset));
  }
  if (zoneName !== '') {
    const offset = local.lookupName(zoneName, wall);
    if (offset !== undefined) return result(wall - offset, nsec, local);
    // An unknown abbreviation keeps the wall clock as UTC; Go records "GMT+3" as a +3h zone
    // without moving the instant.
    let fake = 0;
    if (zoneName.length > 3 && zoneName.startsWith('GMT'))
      fake = (atoi(zoneName, 3, zoneName.length) ?? 0) * 3600;
    return result(wall, nsec, new FixedZone(zoneName, fake));
  }
  return result(wallToUnix(wall, defaultZone), nsec, defaultZone);
}

function result(unixSec: number, nsec: number, zone: Zone): ParsedTime {
  return { unixNanos: BigInt(unixSec) * 1_000_000_000n + BigInt(nsec), zone };
}

/**
 * The instant of a wall-clock time in a zone, as Go's time.Date resolves it: in a gap (spring
 * forward) or an overlap (fall back) it picks the same instant Go does.
 */
export function wallToUnix(wallSec: number, zone: Zone): number {
  const first = zone.offsetAt(wallSec);
  if (first === 0) return wallSec;
  return wallSec - zone.offsetAt(wallSec - first);
}

/** The wall clock of an instant in a zone (Go's Time.Date/Clock in the time's location). */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanosecond: number;
  yday: number;
  weekday: number;
  /** Seconds east of UTC. */
  offset: number;
}

export function wallClock(unixNanos: bigint, zone: Zone): WallClock {
  let secs = unixNanos / 1_000_000_000n;
  let nanosecond = Number(unixNanos - secs * 1_000_000_000n);
  if (nanosecond < 0) {
    nanosecond += 1_000_000_000;
    secs -= 1n;
  }
  const unixSec = Number(secs);
  const offset = zone.offsetAt(unixSec);
  const local = unixSec + offset;
  const days = Math.floor(local / secondsPerDay);
  const rem = local - days * secondsPerDay;
  const date = civilFromDays(days);
  return {
    year: date.year,
    month: date.month,
    day: date.day,
    hour: Math.floor(rem / 3600),
    minute: Math.floor((rem % 3600) / 60),
    second: rem % 60,
    nanosecond,
    yday: date.yday,
    weekday: date.weekday,
    offset,
  };
}

/**
 * Go's Time.AddDate(years, months, days) on a parsed time: the wall clock in the time's zone
 * moves by calendar units (Feb 29 plus a year is Mar 1) and is resolved again in that zone.
 * `wall` is the time's wall clock when the caller has it already.
 */
export function addDate(
  time: ParsedTime,
  years: number,
  months: number,
  days: number,
  wall?: WallClock,
): ParsedTime {
  const w = wall ?? wallClock(time.unixNanos, time.zone);
  const local =
    daysFromCivil(w.year + years, w.month + months, w.day + days) * secondsPerDay +
    w.hour * 3600 +
    w.minute * 60 +
    w.second;
  return result(wallToUnix(local, time.zone), w.nanosecond, time.zone);
}
