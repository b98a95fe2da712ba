// Go's Time.Format: renders a Unix-nanosecond instant in a zone with a Go layout, for stages
// (template) that print times the way Promtail's Go templates do.

import { type CompiledLayout, compileLayout, Std } from './layout.js';
import { longDays, longMonths, wallClock } from './parse.js';
import { UTC, type Zone } from './zone.js';

/** Go's appendInt: decimal, zero-padded to `width` digits, sign first. */
function pad(x: number, width: number): string {
  const digits = String(Math.abs(x)).padStart(width, '0');
  return x < 0 ? `-${digits}` : digits;
}

function fraction(nanosecond: number, digits: number, separator: string, trim: boolean): string {
  if (trim && (digits === 0 || nanosecond === 0)) return '';
  let s = pad(nanosecond, 9);
  if (digits < 9) s = s.slice(0, digits);
  if (trim) s = s.replace(/0+$/, '');
  return trim && s === '' ? '' : separator + s;
}

/** Formats an instant (Unix ns) in `zone` (UTC by default) with a Go layout. */
export function formatTime(unixNanos: bigint, layout: CompiledLayout | string, zone: Zone = UTC): string {
  const compiled = typeof layout === 'string' ? compileLayout(layout) : layout;
  const w = wallClock(unixNanos, zone);
  let out = '';
  for (const chunk of compiled.chunks) {
    out += chunk.prefix;
    switch (chunk.std) {
      case 0:
        break;
      case Std.Year:
        out += pad(Math.abs(w.year) % 100, 2);
        break;
      case Std.LongYear:
        out += pad(w.year, 4);
        break;
      case Std.Month:
        out += longMonths[w.month - 1]!.slice(0, 3);
        break;
      case Std.LongMonth:
        out += longMonths[w.month - 1]!;
        break;
      case Std.NumMonth:
        out += String(w.month);
        break;
      case Std.ZeroMonth:
        out += pad(w.month, 2);
        break;
      case Std.WeekDay:
        out += longDays[w.weekday]!.slice(0, 3);
        break;
      case Std.LongWeekDay:
        out += longDays[w.weekday]!;
        break;
      case Std.Day:
        out += String(w.day);
        break;
      case Std.UnderDay:
        out += (w.day < 10 ? ' ' : '') + String(w.day);
        break;
      case Std.ZeroDay:
        out += pad(w.day, 2);
        break;
      case Std.UnderYearDay:
        out += String(w.yday).padStart(3, ' ');
        break;
      case Std.ZeroYearDay:
        out += pad(w.yday, 3);
        break;
      case Std.Hour:
        out += pad(w.hour, 2);
        break;
      case Std.Hour12:
        out += String(w.hour % 12 || 12);
        break;
      case Std.ZeroHour12:
        out += pad(w.hour % 12 || 12, 2);
        break;
      case Std.Minute:
        out += String(w.minute);
        break;
      case Std.ZeroMinute:
        out += pad(w.minute, 2);
        break;
      case Std.Second:
        out += String(w.second);
        break;
      case Std.ZeroSecond:
        out += pad(w.second, 2);
        break;
      case Std.PM:
        out += w.hour >= 12 ? 'PM' : 'AM';
        break;
      case Std.pm:
        out += w.hour >= 12 ? 'pm' : 'am';
        break;
      case Std.TZ: {
        const name = zone.abbreviationAt(Number(unixNanos / 1_000_000_000n));
        if (name !== '') {
          out += name;
          break;
        }
        // A zone without a name prints as -0700.
        const minutes = Math.trunc(w.offset / 60);
        out +=
          (minutes < 0 ? '-' : '+') +
          pad(Math.floor(Math.abs(minutes) / 60), 2) +
          pad(Math.abs(minutes) % 60, 2);
        break;
      }
      case Std.FracSecond0:
      case Std.FracSecond9:
        out += fraction(w.nanosecond, chunk.digits, chunk.separator, chunk.std === Std.FracSecond9);
        break;
      default:
        out += formatOffset(chunk.std, w.offset);
    }
  }
  return out;
}

function formatOffset(std: number, offset: number): string {
  const iso =
    std === Std.ISO8601TZ ||
    std === Std.ISO8601ColonTZ ||
    std === Std.ISO8601SecondsTZ ||
    std === Std.ISO8601ShortTZ ||
    std === Std.ISO8601ColonSecondsTZ;
  if (offset === 0 && iso) return 'Z';
  const minutes = Math.abs(Math.trunc(offset / 60));
  const seconds = Math.abs(offset) % 60;
  // Go takes the sign from the whole minutes, so -30s prints as +00:00.
  let s = Math.trunc(offset / 60) < 0 ? '-' : '+';
  s += pad(Math.floor(minutes / 60), 2);
  const colon =
    std === Std.ISO8601ColonTZ ||
    std === Std.NumColonTZ ||
    std === Std.ISO8601ColonSecondsTZ ||
    std === Std.NumColonSecondsTZ;
  if (colon) s += ':';
  if (std !== Std.NumShortTZ && std !== Std.ISO8601ShortTZ) s += pad(minutes % 60, 2);
  if (
    std === Std.ISO8601SecondsTZ ||
    std === Std.NumSecondsTZ ||
    std === Std.NumColonSecondsTZ ||
    std === Std.ISO8601ColonSecondsTZ
  ) {
    if (std === Std.NumColonSecondsTZ || std === Std.ISO8601ColonSecondsTZ) s += ':';
    s += pad(seconds, 2);
  }
  return s;
}
