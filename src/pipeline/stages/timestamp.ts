// The `timestamp` stage: sets the entry's timestamp from an extracted value, as Promtail's
// timestamp stage. `format` (then each of `fallback_formats`) is a Go layout, one of Go's
// named layouts, or Unix/UnixMs/UnixUs/UnixNs; `location` is the IANA zone of layouts without
// a zone. On failure, `action_on_failure: fudge` (the default) gives the entry the last good
// timestamp of its stream plus 1 ns, and `skip` keeps the timestamp it has.

import type { ConfigNode } from '../../config/reader.js';
import {
  addDate,
  compileLayout,
  layoutHasYear,
  loadLocation,
  namedLayouts,
  type ParsedTime,
  parseTime,
  TimeParseError,
  wallClock,
  type Zone,
} from '../../go/time/index.js';
import type { LabelSet } from '../../types.js';
import { extractedToString } from '../extracted.js';
import type { StageDefinition } from '../stage.js';

/** The named formats Promtail knows (time.Parse, without the location). */
const promtailNamedFormats = [
  'ANSIC',
  'UnixDate',
  'RubyDate',
  'RFC822',
  'RFC822Z',
  'RFC850',
  'RFC1123',
  'RFC1123Z',
  'RFC3339',
  'RFC3339Nano',
];

const actions = ['skip', 'fudge'] as const;

/** Promtail keeps the last good timestamp of at most this many streams. */
const maxLastKnownTimestamps = 10_000;

/** Parses a timestamp string to Unix nanoseconds, or explains why it cannot. */
export type TimestampParser = (value: string) => bigint | string;

/** Go's strconv.ParseInt(s, 10, 64); undefined when not a base-10 int64. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v > 0x7fffffffffffffffn || v < -0x8000000000000000n ? undefined : v;
}

function unixParser(scale: bigint): TimestampParser {
  return (value) => {
    const i = parseInt64(value);
    if (i === undefined) return `cannot parse "${value}" as an integer`;
    // Go multiplies in int64 and wraps around.
    return BigInt.asIntN(64, i * scale);
  };
}

/** `Unix`: seconds, with an optional fraction ("1562708916.000000123"), as Promtail reads it. */
function parseUnixSeconds(value: string): bigint | string {
  const dot = value.indexOf('.');
  if (dot >= 0 && value.indexOf('.', dot + 1) < 0) {
    const intPart = value.slice(0, dot);
    const fracPart = value.slice(dot + 1);
    const sec = parseInt64(intPart);
    const frac = parseInt64(fracPart);
    if (sec === undefined || frac === undefined) return `cannot parse "${value}" as Unix seconds`;
    // Promtail scales the fraction in float64 and truncates: int64(float64(frac) * 10^(9-len)).
    const scale = 9 - fracPart.length;
    const f = Number(frac);
    const nsec = Math.trunc(scale >= 0 ? f * 10 ** scale : f * (1 / 10 ** -scale));
    return sec * 1_000_000_000n + BigInt(nsec);
  }
  const sec = parseInt64(value);
  if (sec === undefined) return `cannot parse "${value}" as Unix seconds`;
  return sec * 1_000_000_000n;
}

/**
 * The parser for one format, as Promtail's convertDateLayout: named layouts ignore the
 * location (Promtail parses them with time.Parse); custom layouts use it; layouts without a
 * year get the current one, or the previous/next one around New Year.
 */
export function formatParser(
  format: string,
  location: Zone | undefined,
  now: () => Date = () => new Date(),
): TimestampParser {
  switch (format) {
    case 'Unix':
      return parseUnixSeconds;
    case 'UnixMs':
      return unixParser(1_000_000n);
    case 'UnixUs':
      return unixParser(1_000n);
    case 'UnixNs':
      return unixParser(1n);
  }
  if (promtailNamedFormats.includes(format)) {
    const layout = compileLayout(namedLayouts[format]!);
    return (value) => {
      const t = parseTime(layout, value);
      return t instanceof TimeParseError ? t.message : t.unixNanos;
    };
  }
  const layout = compileLayout(format);
  const options = location ? { defaultZone: location, local: location } : {};
  if (layoutHasYear(format)) {
    return (value) => {
      const t = parseTime(layout, value, options);
      return t instanceof TimeParseError ? t.message : t.unixNanos;
    };
  }
  return (value) => {
    const t = parseTime(layout, value, options);
    if (t instanceof TimeParseError) return t.message;
    return withCurrentYear(t, value, now());
  };
}

/** Promtail's parseTimestampWithoutYear: the year is "now"'s, except across New Year. */
function withCurrentYear(t: ParsedTime, value: string, now: Date): bigint | string {
  const w = wallClock(t.unixNanos, t.zone);
  if (w.year !== 0) return `timestamp '${value}' is expected to not contain the year date component`;
  // Go's time.Now() is in the local zone, as Date's getters are.
  const nowMonth = now.getMonth() + 1;
  let year = now.getFullYear();
  if (w.month === 12 && nowMonth === 1) year--;
  else if (w.month === 1 && nowMonth === 12) year++;
  return addDate(t, year, 0, 0, w).unixNanos;
}

/** A small LRU of the last good timestamp per stream, as Promtail's (golang-lru) cache. */
class LastTimestamps {
  private readonly map = new Map<string, bigint>();
  constructor(private readonly size: number) {}
  get(key: string): bigint | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, value: bigint): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.size) this.map.delete(this.map.keys().next().value!);
  }
}

// Label sets are shared by the entries of a stream: their key is computed once per object.
const streamKeys = new WeakMap<LabelSet, string>();

/** A stream's identity, as Promtail's labels.String(): sorted name="value" pairs. */
function streamKey(labels: LabelSet): string {
  let key = streamKeys.get(labels);
  if (key === undefined) {
    const names = Object.keys(labels).sort();
    key = `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ')}}`;
    streamKeys.set(labels, key);
  }
  return key;
}

function readFormats(options: ConfigNode): { format: string; fallbacks: string[] } {
  const formatNode = options.get('format');
  const format = formatNode.string('');
  if (format === '') formatNode.fail('timestamp format is required');
  const fallbackNode = options.get('fallback_formats');
  if (!fallbackNode.missing && !fallbackNode.isList()) fallbackNode.fail('expected a list of formats');
  return { format, fallbacks: fallbackNode.stringList([]) };
}

export const timestampStage: StageDefinition = {
  type: 'timestamp',
  create(options, ctx) {
    if (options.missing) options.fail('timestamp stage config cannot be empty');
    options.ignoreUnknownKeys(['source', 'format', 'fallback_formats', 'location', 'action_on_failure']);
    const sourceNode = options.get('source');
    const source = sourceNode.string('');
    if (source === '') sourceNode.fail('timestamp source value is required if timestamp is specified');
    const { format, fallbacks } = readFormats(options);

    let location: Zone | undefined;
    const locationNode = options.get('location');
    if (!locationNode.missing) {
      try {
        location = loadLocation(locationNode.string());
      } catch (e) {
        locationNode.fail(`invalid location specified: ${(e as Error).message}`);
      }
      const named = [format, ...fallbacks].filter((f) => promtailNamedFormats.includes(f));
      if (named.length > 0) {
        ctx.logger.warn('timestamp stage: location does not apply to named formats, as in Promtail', {
          job: ctx.jobName,
          formats: named.join(','),
        });
      }
    }
    const actionNode = options.get('action_on_failure');
    if (!actionNode.missing && !(actions as readonly string[]).includes(actionNode.string()))
      actionNode.fail(`invalid action on failure (supported values are [${actions.join(' ')}])`);
    const fudge = actionNode.string('fudge') === 'fudge';

    const first = formatParser(format, location);
    const rest = fallbacks.map((f) => formatParser(f, location));
    // Promtail reports the first format's error when every format fails.
    const parse: TimestampParser =
      rest.length === 0
        ? first
        : (value) => {
            const t = first(value);
            if (typeof t === 'bigint') return t;
            for (const p of rest) {
              const u = p(value);
              if (typeof u === 'bigint') return u;
            }
            return t;
          };

    const last = fudge ? new LastTimestamps(maxLastKnownTimestamps) : undefined;
    const logger = ctx.logger;
    return {
      type: 'timestamp',
      process(entry, out) {
        let failure: string | undefined;
        if (!Object.hasOwn(entry.extracted, source)) {
          failure = 'extracted data did not contain a timestamp';
        } else {
          const text = extractedToString(entry.extracted[source]);
          if (text === undefined) failure = 'failed to convert extracted time to string';
          else {
            const t = parse(text);
            if (typeof t === 'bigint') entry.timestamp = t;
            else failure = `failed to parse time: ${t}`;
          }
        }
        if (failure === undefined) {
          last?.set(streamKey(entry.labels), entry.timestamp);
        } else {
          logger.debug(failure, { stage: 'timestamp', source, format });
          if (last) {
            const key = streamKey(entry.labels);
            const previous = last.get(key);
            // Without a good timestamp for the stream yet, the entry keeps its own.
            if (previous !== undefined) {
              entry.timestamp = previous + 1n;
              last.set(key, entry.timestamp);
            }
          }
        }
        out.emit(entry);
      },
    };
  },
};
