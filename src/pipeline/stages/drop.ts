// The `drop` stage: drops entries that meet every condition given (length, age, extracted
// values, regex), as Promtail's drop stage does; several drop stages give an OR.

import { type ConfigNode, parseByteSize, parseDuration } from '../../config/reader.js';
import { Regex, RegexSyntaxError } from '../../regex/regex.js';
import { type Entry, nowNanos } from '../../types.js';
import { extractedToString } from '../extracted.js';
import type { Stage, StageDefinition, StageOutput } from '../stage.js';

const keys = [
  'source',
  'separator',
  'value',
  'expression',
  'older_than',
  'longer_than',
  'drop_counter_reason',
] as const;

export const dropStage: StageDefinition = {
  type: 'drop',
  create(options) {
    if (!options.isMap())
      options.fail(
        'drop stage config must contain at least one of `source`, `expression`, `older_than` or `longer_than`',
      );
    options.ignoreUnknownKeys(keys);
    const source = options.get('source');
    const expression = options.get('expression');
    const olderThan = options.get('older_than');
    const longerThan = options.get('longer_than');
    const value = options.get('value');
    if (source.missing && expression.missing && olderThan.missing && longerThan.missing)
      options.fail(
        'drop stage config must contain at least one of `source`, `expression`, `older_than` or `longer_than`',
      );

    let sources: string[] | undefined;
    if (!source.missing) {
      // Promtail's WeakDecode turns `value: 1` into "1", but `source` is an interface{} it
      // type-switches on: a number there (`source: 1`) is refused (and crashes Promtail in a list).
      const isText = (n: ConfigNode): boolean => n.isScalar() && typeof n.toJS() === 'string';
      if (source.isList() ? !source.list().every(isText) : !isText(source))
        source.fail('drop stage source invalid type should be string or list of strings');
      sources = source.stringOrList();
    }

    let olderThanNs: bigint | undefined;
    if (!olderThan.missing) {
      const text = olderThan.string();
      const ms = parseDuration(text.trim(), undefined, 'go');
      if (ms === undefined)
        return olderThan.fail(
          `drop stage invalid duration, ${text} cannot be converted to a duration: invalid duration`,
        );
      olderThanNs = BigInt(Math.round(ms * 1e6));
    }

    if (!value.missing && source.missing)
      value.fail('drop stage config must contain `source` if `value` is specified');
    if (!value.missing && !expression.missing)
      value.fail(
        'drop stage config error, `value` and `expression` cannot both be defined at the same time.',
      );

    let regex: Regex | undefined;
    if (!expression.missing) {
      try {
        regex = Regex.compile(expression.string());
      } catch (e) {
        if (!(e instanceof RegexSyntaxError)) throw e;
        expression.fail(`drop stage regex compilation error: ${e.message}`);
      }
    }

    let maxBytes: number | undefined;
    if (!longerThan.missing) {
      const text = longerThan.string();
      maxBytes = parseByteSize(text);
      if (maxBytes === undefined)
        longerThan.fail(`drop stage failed to parse longer_than to bytes: invalid size "${text}"`);
    }

    const reason = options.get('drop_counter_reason').string('') || 'drop_stage';
    return new DropStage({
      sources,
      separator: options.get('separator').string(';'),
      // Promtail turns `value` into the regex ^QuoteMeta(value)$: an exact comparison.
      value: value.missing ? undefined : value.string(),
      regex,
      olderThanNs,
      maxBytes,
      reason,
    });
  },
};

interface DropOptions {
  sources: string[] | undefined;
  separator: string;
  value: string | undefined;
  regex: Regex | undefined;
  olderThanNs: bigint | undefined;
  maxBytes: number | undefined;
  reason: string;
}

class DropStage implements Stage {
  readonly type = 'drop';

  constructor(private readonly o: DropOptions) {}

  process(entry: Entry, out: StageOutput): void {
    if (this.shouldDrop(entry)) out.drop(entry, this.o.reason);
    else out.emit(entry);
  }

  /** Every configured condition must hold; checked cheapest first, as Promtail does. */
  private shouldDrop(entry: Entry): boolean {
    const { sources, regex, value, maxBytes, olderThanNs } = this.o;
    if (maxBytes !== undefined && !longerThan(entry.line, maxBytes)) return false;
    if (olderThanNs !== undefined && !(entry.timestamp < nowNanos() - olderThanNs)) return false;
    if (sources === undefined) return regex === undefined || regex.test(entry.line);

    const extracted = entry.extracted;
    if (regex === undefined && value === undefined) {
      // Drop when every source is present, whatever its value.
      for (const s of sources) if (!Object.hasOwn(extracted, s)) return false;
      return true;
    }
    // Values of the present sources, joined; absent ones are skipped and a value with no
    // string form (null, object) keeps the entry, as in Promtail.
    let joined = '';
    let first = true;
    for (const s of sources) {
      if (!Object.hasOwn(extracted, s)) continue;
      const v = extractedToString(extracted[s]);
      if (v === undefined) return false;
      joined = first ? v : joined + this.o.separator + v;
      first = false;
    }
    return regex ? regex.test(joined) : joined === value;
  }
}

/** True when the line's UTF-8 length is more than `max` bytes, without encoding it when the length decides. */
function longerThan(line: string, max: number): boolean {
  if (line.length > max) return true;
  if (line.length * 3 <= max) return false;
  return Buffer.byteLength(line, 'utf8') > max;
}
