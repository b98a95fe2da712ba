// Go reference-time layouts ("2006-01-02T15:04:05Z07:00"): the named layouts of Go's time
// package and a tokenizer that splits a layout into literal text and elements exactly as Go's
// nextStdChunk does, so a layout means here what it means to Promtail.

export const Std = {
  LongMonth: 1, // January
  Month: 2, // Jan
  NumMonth: 3, // 1
  ZeroMonth: 4, // 01
  LongWeekDay: 5, // Monday
  WeekDay: 6, // Mon
  Day: 7, // 2
  UnderDay: 8, // _2
  ZeroDay: 9, // 02
  UnderYearDay: 10, // __2
  ZeroYearDay: 11, // 002
  Hour: 12, // 15
  Hour12: 13, // 3
  ZeroHour12: 14, // 03
  Minute: 15, // 4
  ZeroMinute: 16, // 04
  Second: 17, // 5
  ZeroSecond: 18, // 05
  LongYear: 19, // 2006
  Year: 20, // 06
  PM: 21, // PM
  pm: 22, // pm
  TZ: 23, // MST
  ISO8601TZ: 24, // Z0700
  ISO8601SecondsTZ: 25, // Z070000
  ISO8601ShortTZ: 26, // Z07
  ISO8601ColonTZ: 27, // Z07:00
  ISO8601ColonSecondsTZ: 28, // Z07:00:00
  NumTZ: 29, // -0700
  NumSecondsTZ: 30, // -070000
  NumShortTZ: 31, // -07
  NumColonTZ: 32, // -07:00
  NumColonSecondsTZ: 33, // -07:00:00
  FracSecond0: 34, // .000 (exact digits)
  FracSecond9: 35, // .999 (trailing zeros trimmed)
} as const;

export type StdCode = (typeof Std)[keyof typeof Std];

/** One element of a layout: the literal text before it, then the element (absent at the end). */
export interface LayoutChunk {
  prefix: string;
  std: StdCode | 0;
  /** The element as written in the layout ("2006", ".000"), for error messages. */
  text: string;
  /** Fraction digits for FracSecond0/9. */
  digits: number;
  /** Fraction separator for FracSecond0/9: "." or ",". */
  separator: string;
}

/** Go's named layouts (time.ANSIC, ...), by the names Promtail accepts. */
export const namedLayouts: Readonly<Record<string, string>> = {
  Layout: "01/02 03:04:05PM '06 -0700",
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
  Kitchen: '3:04PM',
  Stamp: 'Jan _2 15:04:05',
  StampMilli: 'Jan _2 15:04:05.000',
  StampMicro: 'Jan _2 15:04:05.000000',
  StampNano: 'Jan _2 15:04:05.000000000',
  DateTime: '2006-01-02 15:04:05',
  DateOnly: '2006-01-02',
  TimeOnly: '15:04:05',
};

const std0x: StdCode[] = [
  Std.ZeroMonth,
  Std.ZeroDay,
  Std.ZeroHour12,
  Std.ZeroMinute,
  Std.ZeroSecond,
  Std.Year,
];

function isLower(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 97 && c <= 122;
}

function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

interface Found {
  start: number;
  end: number;
  std: StdCode;
  /** For "_2006": the underscore stays literal. */
  literalEnd?: number;
  digits?: number;
  separator?: string;
}

/** The first element in `layout` at or after `from`, as Go's nextStdChunk. */
function nextStd(layout: string, from: number): Found | undefined {
  const n = layout.length;
  const at = (i: number, s: string) => layout.startsWith(s, i);
  for (let i = from; i < n; i++) {
    switch (layout[i]) {
      case 'J':
        if (at(i, 'Jan')) {
          if (at(i, 'January')) return { start: i, end: i + 7, std: Std.LongMonth };
          if (!isLower(layout, i + 3)) return { start: i, end: i + 3, std: Std.Month };
        }
        break;
      case 'M':
        if (at(i, 'Mon')) {
          if (at(i, 'Monday')) return { start: i, end: i + 6, std: Std.LongWeekDay };
          if (!isLower(layout, i + 3)) return { start: i, end: i + 3, std: Std.WeekDay };
        }
        if (at(i, 'MST')) return { start: i, end: i + 3, std: Std.TZ };
        break;
      case '0': {
        const d = layout.charCodeAt(i + 1);
        if (d >= 49 && d <= 54) return { start: i, end: i + 2, std: std0x[d - 49]! };
        if (at(i + 1, '02')) return { start: i, end: i + 3, std: Std.ZeroYearDay };
        break;
      }
      case '1':
        if (layout[i + 1] === '5') return { start: i, end: i + 2, std: Std.Hour };
        return { start: i, end: i + 1, std: Std.NumMonth };
      case '2':
        if (at(i, '2006')) return { start: i, end: i + 4, std: Std.LongYear };
        return { start: i, end: i + 1, std: Std.Day };
      case '_':
        if (layout[i + 1] === '2') {
          if (at(i + 1, '2006')) return { start: i + 1, end: i + 5, std: Std.LongYear };
          return { start: i, end: i + 2, std: Std.UnderDay };
        }
        if (at(i + 1, '_2')) return { start: i, end: i + 3, std: Std.UnderYearDay };
        break;
      case '3':
        return { start: i, end: i + 1, std: Std.Hour12 };
      case '4':
        return { start: i, end: i + 1, std: Std.Minute };
      case '5':
        return { start: i, end: i + 1, std: Std.Second };
      case 'P':
        if (layout[i + 1] === 'M') return { start: i, end: i + 2, std: Std.PM };
        break;
      case 'p':
        if (layout[i + 1] === 'm') return { start: i, end: i + 2, std: Std.pm };
        break;
      case '-':
        if (at(i, '-070000')) return { start: i, end: i + 7, std: Std.NumSecondsTZ };
        if (at(i, '-07:00:00')) return { start: i, end: i + 9, std: Std.NumColonSecondsTZ };
        if (at(i, '-0700')) return { start: i, end: i + 5, std: Std.NumTZ };
        if (at(i, '-07:00')) return { start: i, end: i + 6, std: Std.NumColonTZ };
        if (at(i, '-07')) return { start: i, end: i + 3, std: Std.NumShortTZ };
        break;
      case 'Z':
        if (at(i, 'Z070000')) return { start: i, end: i + 7, std: Std.ISO8601SecondsTZ };
        if (at(i, 'Z07:00:00')) return { start: i, end: i + 9, std: Std.ISO8601ColonSecondsTZ };
        if (at(i, 'Z0700')) return { start: i, end: i + 5, std: Std.ISO8601TZ };
        if (at(i, 'Z07:00')) return { start: i, end: i + 6, std: Std.ISO8601ColonTZ };
        if (at(i, 'Z07')) return { start: i, end: i + 3, std: Std.ISO8601ShortTZ };
        break;
      case '.':
      case ',': {
        const ch = layout[i + 1];
        if (ch === '0' || ch === '9') {
          let j = i + 1;
          while (j < n && layout[j] === ch) j++;
          // Only a run of digits that ends here is a fraction ("05.000" but not ".0001").
          if (!isDigitAt(layout, j)) {
            return {
              start: i,
              end: j,
              std: ch === '0' ? Std.FracSecond0 : Std.FracSecond9,
              // Go keeps 12 bits of the digit count.
              digits: (j - (i + 1)) & 0xfff,
              separator: layout[i]!,
            };
          }
        }
        break;
      }
    }
  }
  return undefined;
}

/** A layout split once into chunks, for parsing and formatting many values. */
export interface CompiledLayout {
  readonly layout: string;
  /** The last chunk has std 0 and holds the trailing text. */
  readonly chunks: readonly LayoutChunk[];
}

export function compileLayout(layout: string): CompiledLayout {
  const chunks: LayoutChunk[] = [];
  let pos = 0;
  for (;;) {
    const found = nextStd(layout, pos);
    if (!found) {
      chunks.push({ prefix: layout.slice(pos), std: 0, text: '', digits: 0, separator: '' });
      return { layout, chunks };
    }
    chunks.push({
      prefix: layout.slice(pos, found.start),
      std: found.std,
      text: layout.slice(found.start, found.end),
      digits: found.digits ?? 0,
      separator: found.separator ?? '',
    });
    pos = found.end;
  }
}

/** True when the layout has a year element (Promtail's test: it contains "06" or "2006"). */
export function layoutHasYear(layout: string): boolean {
  return layout.includes('06');
}
