// Typed reading of YAML config nodes, so that every error names the file, line and key.
// Each module parses its own part of the config (a stage its options, relabel its rules)
// through a ConfigNode; none sees raw YAML.

import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { redactUrlsIn } from './redact-url.js';
import { type AliasTargets, checkYamlLimits } from './yaml-limits.js';

/** A config error a user can act on: which file, which line, which key, what is wrong. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly key: string,
    readonly reason: string,
  ) {
    // A reason may quote a value (`invalid URL "..."`): URLs in it never show their secrets.
    super(`${file}:${line}: ${key ? `${key}: ` : ''}${redactUrlsIn(reason)}`);
    this.name = 'ConfigError';
  }
}

/**
 * Something Promtail accepts without a word (an unknown key in a stage's options, which Go's
 * mapstructure ignores): logferry loads the config and says so, naming file, line and key.
 */
export interface ConfigWarning {
  file: string;
  line: number;
  key: string;
  reason: string;
  /** logferry's own advice (the cardinality guard), not a key Promtail ignores. */
  advice?: boolean;
}

export function formatWarning(w: ConfigWarning): string {
  return `${w.file}:${w.line}: ${w.key ? `${w.key}: ` : ''}${w.reason}`;
}

/**
 * The warnings of one parsed file. With `strict` (`-config.strict`), a warning is an error
 * instead. The same key is reported once, however often its node is read (a pipeline is built
 * at load and again per target).
 */
export class ConfigWarnings {
  readonly list: ConfigWarning[] = [];
  private readonly seen = new Set<string>();
  constructor(readonly strict = false) {}

  add(w: ConfigWarning): void {
    const id = `${w.file}:${w.line}:${w.key}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.list.push(w);
  }
}

interface Source {
  file: string;
  warnings: ConfigWarnings;
  lines: LineCounter;
  /** For resolving aliases (`*name`) to the node of their anchor. */
  doc?: Document;
  /** Each alias's anchor node, found once at parse time. */
  aliases?: AliasTargets;
  /** Maps a line of the parsed text back to the file's (after `-config.expand-env` added lines). */
  originalLine?: (line: number) => number;
}

export interface ParseOptions {
  /** Maps a line of the parsed text to the line of the file it came from. */
  originalLine?: (line: number) => number;
  /** Where warnings go (default: a new, non-strict collection, see `warnings`). */
  warnings?: ConfigWarnings;
}

/**
 * One value in a YAML config, with where it stands. A node for a key that is absent is
 * "missing": its getters return the default given, or fail when none is.
 */
export class ConfigNode {
  private constructor(
    private readonly source: Source,
    private readonly node: Node | null,
    /** Dotted path of the key, as a user reads it: `scrape_configs[0].pipeline_stages[2].json`. */
    readonly path: string,
    /** Line of the nearest enclosing node that exists, for errors about missing keys. */
    private readonly fallbackLine: number,
  ) {}

  /** Parses YAML text; a syntax error is a ConfigError with the line. */
  static parse(text: string, file: string, options: ParseOptions = {}): ConfigNode {
    const lines = new LineCounter();
    // Duplicate keys are found by checkYamlLimits, in linear time.
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
    const first = doc.errors[0];
    if (first) {
      // linePos is only filled with prettyErrors; pos (offsets) always is.
      const at = first.linePos?.[0]?.line ?? (first.pos ? lines.linePos(first.pos[0]).line : 1);
      // An error at the very end (an unclosed bracket) belongs to the last line with text.
      const line = Math.min(at, text.trimEnd().split('\n').length);
      throw new ConfigError(
        file,
        options.originalLine?.(line) ?? line,
        '',
        first.message.split('\n')[0] ?? 'invalid YAML',
      );
    }
    const checked = checkYamlLimits(doc);
    if (!(checked instanceof Map)) {
      const line = lines.linePos(checked.offset).line;
      throw new ConfigError(file, options.originalLine?.(line) ?? line, '', checked.reason);
    }
    const source: Source = {
      file,
      lines,
      doc,
      aliases: checked,
      warnings: options.warnings ?? new ConfigWarnings(),
    };
    if (options.originalLine) source.originalLine = options.originalLine;
    return new ConfigNode(source, doc.contents as Node | null, '', 1);
  }

  /** Wraps a plain JS value (defaults, flags) so it can be read like YAML. */
  static fromValue(value: unknown, file = '<flags>'): ConfigNode {
    return ConfigNode.parse(JSON.stringify(value ?? null), file);
  }

  get file(): string {
    return this.source.file;
  }

  /** The warnings of the file this node belongs to. */
  get warnings(): ConfigWarnings {
    return this.source.warnings;
  }

  /**
   * Records a warning about this node: an error under `-config.strict`, unless it is `advice`
   * (logferry's own hints, such as the cardinality guard, which no Promtail config would fail).
   */
  warn(reason: string, advice = false): void {
    if (this.source.warnings.strict && !advice) this.fail(reason);
    this.source.warnings.add({
      file: this.source.file,
      line: this.line,
      key: this.path,
      reason,
      ...(advice && { advice }),
    });
  }

  /** 1-based line of this node (or of its parent when the key is absent). */
  get line(): number {
    const offset = this.node?.range?.[0];
    return offset === undefined ? this.fallbackLine : this.lineAt(offset);
  }

  /** True when the key is absent or its value is YAML null (`key:` or `key: null`). */
  get missing(): boolean {
    return this.node === null || (isScalar(this.node) && this.node.value === null);
  }

  isMap(): boolean {
    return isMap(this.node);
  }

  isList(): boolean {
    return isSeq(this.node);
  }

  isScalar(): boolean {
    return isScalar(this.node) && this.node.value !== null;
  }

  /** Throws a ConfigError about this node. */
  fail(reason: string): never {
    throw new ConfigError(this.source.file, this.line, this.path, reason);
  }

  /** The keys of a mapping, in order (empty when missing). */
  keys(): string[] {
    if (this.missing) return [];
    if (!isMap(this.node)) this.fail(`expected a mapping, got ${this.kind()}`);
    return this.node.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key));
  }

  /**
   * Checks that this is a mapping (or missing) whose keys are all in `allowed`; an unknown key
   * fails on its own line. Returns this node for chaining.
   */
  expectKeys(allowed: readonly string[], shown: readonly string[] = allowed): this {
    if (this.missing) return this;
    if (!isMap(this.node)) this.fail(`expected a mapping, got ${this.kind()}`);
    for (const pair of this.node.items) {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      if (!allowed.includes(key)) {
        const child = this.childNode(key, pair.key as Node);
        child.fail(`unknown key (allowed here: ${shown.join(', ')})`);
      }
    }
    return this;
  }

  /**
   * For the mappings Promtail decodes with mapstructure (a stage's options), which ignores keys it
   * does not know: an unknown key is a warning on its own line (an error under
   * `-config.strict`), and otherwise ignored. Returns this node for chaining.
   */
  ignoreUnknownKeys(allowed: readonly string[], shown: readonly string[] = allowed): this {
    if (this.missing) return this;
    if (!isMap(this.node)) this.fail(`expected a mapping, got ${this.kind()}`);
    for (const pair of this.node.items) {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      if (!allowed.includes(key)) {
        this.childNode(key, pair.key as Node).warn(
          `unknown key, ignored as Promtail ignores it (known here: ${shown.length ? shown.join(', ') : 'none'})`,
        );
      }
    }
    return this;
  }

  /** Throws a ConfigError on the line of `key` itself (not of its value, which may start lower). */
  failKey(key: string, reason: string): never {
    if (isMap(this.node)) {
      const pair = this.node.items.find(
        (p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === key,
      );
      if (pair) this.childNode(key, pair.key as Node).fail(reason);
    }
    return this.get(key).fail(reason);
  }

  /** The value of `key` in this mapping (a missing node when absent). */
  get(key: string): ConfigNode {
    if (this.missing) return this.childNode(key, null);
    if (!isMap(this.node)) this.fail(`expected a mapping, got ${this.kind()}`);
    const pair = this.node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === key);
    return this.childNode(
      key,
      this.deref((pair?.value as Node | undefined) ?? null),
      pair?.key as Node | undefined,
    );
  }

  /** The items of a sequence (empty when missing). */
  list(): ConfigNode[] {
    if (this.missing) return [];
    if (!isSeq(this.node)) this.fail(`expected a list, got ${this.kind()}`);
    return this.node.items.map(
      (item, i) => new ConfigNode(this.source, this.deref(item as Node), `${this.path}[${i}]`, this.line),
    );
  }

  /** Entries of a mapping as [key, node] pairs (empty when missing). One pass: 40k labels stay cheap. */
  entries(): [string, ConfigNode][] {
    if (this.missing) return [];
    if (!isMap(this.node)) this.fail(`expected a mapping, got ${this.kind()}`);
    return this.node.items.map((pair) => {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      return [
        key,
        this.childNode(key, this.deref((pair.value as Node | undefined) ?? null), pair.key as Node),
      ];
    });
  }

  string(defaultValue?: string): string {
    if (this.missing) return this.orDefault(defaultValue);
    const v = this.scalar();
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(this.rawSource() ?? v);
    return this.fail(`expected a string, got ${this.kind()}`);
  }

  /**
   * A string as Go's mapstructure decodes one into a stage's option: a YAML number or boolean is
   * refused (Promtail refuses `drop: {source: 1}`); quote it to mean the text.
   */
  strictString(defaultValue?: string): string {
    if (this.missing) return this.orDefault(defaultValue);
    const v = this.scalar();
    if (typeof v !== 'string') this.fail(`expected a string, got ${this.kind()} (quote it: "${String(v)}")`);
    return v;
  }

  optionalString(): string | undefined {
    return this.missing ? undefined : this.string();
  }

  /** A string or a list of strings (Promtail accepts both in places such as `source`). */
  stringOrList(defaultValue?: string[]): string[] {
    if (this.missing) return this.orDefault(defaultValue);
    if (this.isList()) return this.list().map((n) => n.string());
    return [this.string()];
  }

  stringList(defaultValue?: string[]): string[] {
    if (this.missing) return this.orDefault(defaultValue);
    return this.list().map((n) => n.string());
  }

  /** A mapping of strings to strings (labels, headers). */
  stringMap(defaultValue?: Record<string, string>): Record<string, string> {
    if (this.missing) return this.orDefault(defaultValue);
    const out: Record<string, string> = {};
    for (const [k, n] of this.entries()) out[k] = n.missing ? '' : n.string();
    return out;
  }

  number(defaultValue?: number): number {
    if (this.missing) return this.orDefault(defaultValue);
    const v = this.scalar();
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || Number.isNaN(n)) return this.fail(`expected a number, got ${this.kind()}`);
    return n;
  }

  integer(defaultValue?: number): number {
    const n = this.number(defaultValue);
    if (!Number.isInteger(n)) this.fail(`expected an integer, got ${n}`);
    return n;
  }

  boolean(defaultValue?: boolean): boolean {
    if (this.missing) return this.orDefault(defaultValue);
    const v = this.scalar();
    if (typeof v === 'boolean') return v;
    if (v === 'true') return true;
    if (v === 'false') return false;
    return this.fail(`expected true or false, got ${this.kind()}`);
  }

  /**
   * A duration in milliseconds, in one of the grammars of parseDuration (by default Go's
   * time.Duration syntax plus whole `d`, `w`, `y`); a bare number is seconds only when
   * `bareNumberUnit` says so.
   */
  duration(defaultValue?: number, bareNumberUnit?: 's' | 'ms', grammar?: DurationGrammar): number {
    if (this.missing) return this.orDefault(defaultValue);
    const text = this.string().trim();
    const ms = parseDuration(text, bareNumberUnit, grammar);
    if (ms === undefined) return this.fail(`invalid duration "${text}" (use e.g. 500ms, 10s, 1m30s, 1h)`);
    return ms;
  }

  /** A byte size as Promtail's flagext.ByteSize: a whole number with a unit (`512KB`, `2mb`; KB = 1024). */
  byteSize(defaultValue?: number): number {
    if (this.missing) return this.orDefault(defaultValue);
    const v = this.scalar();
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
    const text = this.string().trim();
    const bytes = parseByteSize(text);
    if (bytes === undefined)
      return this.fail(`invalid size "${text}" (use e.g. 1048576, 512KB, 1MB; KB = 1024 bytes)`);
    return bytes;
  }

  /** One of the given values. */
  oneOf<T extends string>(values: readonly T[], defaultValue?: T): T {
    if (this.missing) return this.orDefault(defaultValue);
    const s = this.string();
    if (!(values as readonly string[]).includes(s))
      this.fail(`must be one of ${values.join(', ')}, got "${s}"`);
    return s as T;
  }

  /** The plain JS value of this node (maps as objects, sequences as arrays). */
  toJS(): unknown {
    return this.node === null ? undefined : this.node.toJSON();
  }

  private childNode(key: string, node: Node | null, keyNode?: Node): ConfigNode {
    const keyLine = keyNode?.range?.[0] !== undefined ? this.lineAt(keyNode.range[0]) : this.line;
    const path = this.path ? `${this.path}.${key}` : key;
    const child = new ConfigNode(this.source, node, path, keyLine);
    return child;
  }

  /** An alias stands for its anchor's node (errors then point at the anchor). */
  private deref(node: Node | null): Node | null {
    if (!isAlias(node) || !this.source.doc) return node;
    const target = this.source.aliases?.get(node);
    if (target !== undefined) return target;
    return (node.resolve(this.source.doc) as Node | undefined) ?? null;
  }

  private lineAt(offset: number): number {
    const line = this.source.lines.linePos(offset).line;
    return this.source.originalLine ? this.source.originalLine(line) : line;
  }

  private orDefault<T>(defaultValue: T | undefined): T {
    if (defaultValue === undefined) return this.fail('is required');
    return defaultValue;
  }

  private scalar(): unknown {
    if (!isScalar(this.node)) return this.fail(`expected a single value, got ${this.kind()}`);
    return this.node.value;
  }

  private rawSource(): string | undefined {
    return isScalar(this.node) ? (this.node.source as string | undefined) : undefined;
  }

  private kind(): string {
    if (this.node === null) return 'nothing';
    if (isMap(this.node)) return 'a mapping';
    if (isSeq(this.node)) return 'a list';
    if (isScalar(this.node)) return JSON.stringify(this.node.value);
    return 'an alias';
  }
}

const durationUnits: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};

/**
 * The duration grammars Promtail reads. `go`: Go's time.ParseDuration (`1h2m3.5s`, `250ms`,
 * `10us`, a sign, fractions). `prometheus`: Prometheus's model.ParseDuration (`1y2w3d4h5m6s7ms`,
 * whole numbers, units in that order, each at most once). `either`, for keys where logferry
 * accepts both: Go's grammar plus whole `d`, `w`, `y` (neither Go nor Prometheus reads `1.5d`).
 */
export type DurationGrammar = 'go' | 'prometheus' | 'either';

const goPart = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
const eitherPart = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)|(\d+)(d|w|y)/y;
const prometheusDuration = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const prometheusUnits = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];

/** Parses a duration into milliseconds; undefined when invalid in `grammar`. */
export function parseDuration(
  text: string,
  bareNumberUnit?: 's' | 'ms',
  grammar: DurationGrammar = 'either',
): number | undefined {
  if (text === '0') return 0;
  if (/^\d+(\.\d+)?$/.test(text) && bareNumberUnit) return Number(text) * durationUnits[bareNumberUnit]!;
  if (grammar === 'prometheus') {
    const m = prometheusDuration.exec(text);
    if (m === null || text === '') return undefined;
    let total = 0;
    prometheusUnits.forEach((unit, i) => {
      if (m[i + 1] !== undefined) total += Number(m[i + 1]) * durationUnits[unit]!;
    });
    return total;
  }
  const sign = text.startsWith('-') ? -1 : 1;
  const body = text.replace(/^[-+]/, '');
  const part = grammar === 'go' ? goPart : eitherPart;
  let total = 0;
  let pos = 0;
  while (pos < body.length) {
    part.lastIndex = pos;
    const m = part.exec(body);
    if (!m) return undefined;
    total += m[1] !== undefined ? Number(m[1]) * durationUnits[m[2]!]! : Number(m[3]) * durationUnits[m[4]!]!;
    pos = part.lastIndex;
  }
  return pos === 0 ? undefined : sign * total;
}

/** Formats milliseconds the way Go prints a time.Duration (`1m30s`, `500ms`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  let rest = ms / 1000;
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  rest -= m * 60;
  const s = Number(rest.toFixed(9));
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

// Promtail's flagext.ByteSize (c2h5oh/datasize on the upper-cased text): whole numbers, units in
// any case, every unit binary (`1KB` = `1kb` = `1k` = 1024). logferry also reads the IEC names
// (`1KiB`, `1MiB`), which mean the same and which Promtail refuses.
const sizeUnits: Record<string, number> = {};
['', 'b', 'byte'].forEach((u) => {
  sizeUnits[u] = 1;
});
[
  ['k', 'kilo'],
  ['m', 'mega'],
  ['g', 'giga'],
  ['t', 'tera'],
  ['p', 'peta'],
  ['e', 'exa'],
].forEach(([letter, word], i) => {
  const bytes = 1024 ** (i + 1);
  for (const u of [letter, `${letter}b`, word, `${word}byte`, `${word}bytes`, `${letter}i`, `${letter}ib`])
    sizeUnits[u!] = bytes;
});

/** Parses a byte size as Promtail's flagext.ByteSize does; undefined when invalid. */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+)\s*([a-zA-Z]*)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = sizeUnits[m[2]!.toLowerCase()];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}
