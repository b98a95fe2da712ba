// RE2-syntax regular expressions, as Go's regexp reads them, that never backtrack catastrophically.
// Every regex in a config (relabel rules, stages, LogQL selectors) is compiled here.
//
// How: re2js (a port of Go's regexp) validates every pattern, so what Go rejects is rejected with
// Go's message. The pattern is then parsed again and translated into a flag-less V8 RegExp
// that matches exactly what RE2 matches: classes, `\p{..}`, POSIX classes and case folding come
// out of re2js's own compiled program as code point ranges, and are written as UTF-16 code unit
// alternations (translate.ts). V8 runs such a RegExp with its backtracking engine (fast) and, once it backtracks
// too much, switches to its linear-time engine, which only accepts RegExps without the i/u/v/d
// flags, without lookarounds and backreferences, and with small counted repetitions. A pattern
// that cannot be written that way, or whose captures JS would report differently, runs on re2js.

import { RE2JS } from 're2js';
import { translate, Untranslatable } from './translate.js';

/** A pattern RE2 does not accept; the message reads as Go's (`error parsing regexp: ...`). */
export class RegexSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegexSyntaxError';
  }
}

export interface RegexMatch {
  /** Byte-agnostic: offsets are JS string indexes of the whole match. */
  index: number;
  end: number;
  /** groups[0] is the whole match; groups[i] is group i, undefined when it did not take part. */
  groups: (string | undefined)[];
}

/** Which engine runs a pattern: a translated V8 RegExp, or re2js. */
export type RegexEngine = 'regexp' | 're2js';

export interface RegexOptions {
  /** Force an engine (tests compare the two); by default the V8 RegExp whenever it is exact. */
  engine?: RegexEngine;
}

export class Regex {
  /** Group names by number (index 0 unused; unnamed groups undefined). */
  readonly groupNames: (string | undefined)[];
  /** The engine that runs this pattern. */
  readonly engine: RegexEngine;
  /** The translated V8 RegExp source, when engine is 'regexp' (for diagnostics and tests). */
  readonly jsSource: string | undefined;
  /** Why the pattern runs on re2js, when it does. */
  readonly fallbackReason: string | undefined;
  private readonly re: RE2JS;
  private readonly js: RegExp | undefined;
  /** The RegExp uses the m flag, whose ^ and $ also see \r, \u2028, \u2029: such inputs go to re2js. */
  private readonly lineAnchors: boolean;
  private readonly nameIndex: Map<string, number>;
  private readonly anchoredStart: boolean;

  private constructor(
    readonly source: string,
    options?: RegexOptions,
  ) {
    try {
      this.re = RE2JS.compile(source);
    } catch (e) {
      throw new RegexSyntaxError((e as Error).message);
    }
    const count = this.re.groupCount();
    this.groupNames = new Array<string | undefined>(count + 1).fill(undefined);
    this.nameIndex = new Map();
    for (const [name, i] of Object.entries(this.re.namedGroups() as Record<string, number>)) {
      this.groupNames[i] = name;
      this.nameIndex.set(name, i);
    }
    let js: RegExp | undefined;
    let lineAnchors = false;
    let anchoredStart = false;
    let reason: string | undefined;
    if (options?.engine === 're2js') {
      reason = 'forced';
    } else {
      try {
        const t = translate(source);
        if (t.captures !== count) throw new Untranslatable('group count differs from re2js');
        js = new RegExp(t.source, t.lineAnchors ? 'gm' : 'g');
        lineAnchors = t.lineAnchors;
        anchoredStart = t.anchoredStart;
      } catch (e) {
        // Anything the translator does not understand runs on re2js: correct, only slower.
        reason = e instanceof Untranslatable ? e.message : `translator error: ${(e as Error).message}`;
        if (options?.engine === 'regexp')
          throw new Error(`pattern ${source} cannot be translated: ${reason}`);
      }
    }
    this.js = js;
    this.jsSource = js?.source;
    this.lineAnchors = lineAnchors;
    this.anchoredStart = anchoredStart;
    this.engine = js ? 'regexp' : 're2js';
    this.fallbackReason = reason;
  }

  /** Compiles an RE2 pattern; throws RegexSyntaxError. */
  static compile(source: string, options?: RegexOptions): Regex {
    return new Regex(source, options);
  }

  /**
   * Compiles `^(?s:source)$`, the way Prometheus 3 (vendored by Promtail 3.x) anchors relabel
   * regexes: `.` matches a newline too (Prometheus 2 and Promtail 2.9 used `^(?:source)$`).
   */
  static compileAnchored(source: string, options?: RegexOptions): Regex {
    return new Regex(`^(?s:${source})$`, options);
  }

  get groupCount(): number {
    return this.groupNames.length - 1;
  }

  /** True when the pattern matches somewhere in s. */
  test(s: string): boolean {
    const js = this.jsFor(s);
    if (js === undefined) return this.re.matcher(s).find();
    if (!this.anchoredStart) return this.execAt(s, 0) !== null;
    // Anchored at the start of the text, a match cannot start inside a surrogate pair.
    js.lastIndex = 0;
    return js.test(s);
  }

  /** The leftmost match (Go's FindStringSubmatchIndex), or null. */
  exec(s: string): RegexMatch | null {
    return this.execAt(s, 0);
  }

  /** All non-overlapping matches, as Go's FindAllStringSubmatch(s, -1). */
  execAll(s: string): RegexMatch[] {
    return allMatches(s, (pos) => this.execAt(s, pos));
  }

  /**
   * Go's FindAllStringSubmatchIndex(s, -1): per match, `[start0, end0, start1, end1, ...]`, a
   * group's pair -1, -1 when it did not take part. Offsets are JS string indexes (Go's are bytes
   * of the same text). The offsets come from re2js, which runs Go's algorithm; a text the V8
   * RegExp finds no match in is not handed to re2js.
   */
  execAllIndex(s: string): number[][] {
    if (this.js !== undefined && !this.test(s)) return [];
    return allMatches(s, (pos) => this.execIndexAt(s, pos)).map((m) => m.offsets);
  }

  /**
   * Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; `$1x` names the group `1x`; a
   * group that does not exist or did not take part expands to nothing; a malformed `$` is kept.
   */
  expand(template: string, match: RegexMatch): string {
    let out = '';
    let i = 0;
    for (;;) {
      const dollar = template.indexOf('$', i);
      if (dollar < 0) break;
      out += template.slice(i, dollar);
      i = dollar + 1;
      if (template.charCodeAt(i) === 0x24) {
        out += '$';
        i++;
        continue;
      }
      const ref = extractRef(template, i);
      if (ref === undefined) {
        out += '$';
        continue;
      }
      i = ref.end;
      const index = ref.num >= 0 ? ref.num : (this.nameIndex.get(ref.name) ?? -1);
      if (index >= 0 && index < match.groups.length) out += match.groups[index] ?? '';
    }
    return out + template.slice(i);
  }

  /** Go's ReplaceAllString (template expanded per match). */
  replaceAll(s: string, template: string): string {
    if (template.indexOf('$') < 0) return this.replaceAllLiteral(s, template);
    return this.replaceEach(s, (m) => this.expand(template, m));
  }

  /** Go's ReplaceAllLiteralString. */
  replaceAllLiteral(s: string, literal: string): string {
    return this.replaceEach(s, () => literal);
  }

  /** Replaces each match with what `fn` returns, visiting matches as Go's ReplaceAllStringFunc does. */
  replaceEach(s: string, fn: (m: RegexMatch) => string): string {
    let out = '';
    let lastEnd = 0;
    let pos = 0;
    let count = 0;
    while (pos <= s.length) {
      const m = this.execAt(s, pos);
      if (m === null) break;
      out += s.slice(lastEnd, m.index);
      // No replacement for an empty match right after the previous match, so that a pattern
      // matching both empty and non-empty text does not replace twice.
      if (m.end > lastEnd || m.index === 0) {
        out += fn(m);
        count++;
      }
      lastEnd = m.end;
      const width = codePointWidth(s, pos);
      if (pos + width > m.end) pos += width;
      else if (pos + 1 > m.end) pos++;
      else pos = m.end;
    }
    if (count === 0 && lastEnd === 0) return s;
    return out + s.slice(lastEnd);
  }

  /** The leftmost match starting at or after `pos`, seeing the whole string as context. */
  private execAt(s: string, pos: number): RegexMatch | null {
    const js = this.jsFor(s);
    if (js === undefined) return this.execRe2(s, pos);
    js.lastIndex = pos;
    let m = js.exec(s);
    // RE2 only starts matches on code point boundaries; the RegExp may start one on the low half
    // of a surrogate pair (only ever an empty match or a lone-low-surrogate one).
    while (m !== null && isInsidePair(s, m.index)) {
      js.lastIndex = m.index + 1;
      m = js.exec(s);
    }
    if (m === null) return null;
    const groups: (string | undefined)[] = new Array(m.length);
    for (let i = 0; i < m.length; i++) groups[i] = m[i];
    return { index: m.index, end: m.index + (m[0] as string).length, groups };
  }

  private execRe2(s: string, pos: number): RegexMatch | null {
    const m = this.re.matcher(s);
    if (!m.find(pos)) return null;
    const groups: (string | undefined)[] = [];
    for (let i = 0; i <= this.groupCount; i++)
      groups.push(m.start(i) < 0 ? undefined : (m.group(i) ?? undefined));
    return { index: m.start(), end: m.end(), groups };
  }

  private execIndexAt(s: string, pos: number): SubmatchIndex | null {
    const m = this.re.matcher(s);
    if (!m.find(pos)) return null;
    const offsets: number[] = [];
    for (let i = 0; i <= this.groupCount; i++) offsets.push(m.start(i), m.end(i));
    return { index: offsets[0]!, end: offsets[1]!, offsets };
  }

  private jsFor(s: string): RegExp | undefined {
    if (this.js === undefined) return undefined;
    if (this.lineAnchors && otherLineTerminators.test(s)) return undefined;
    return this.js;
  }
}

interface SubmatchIndex {
  index: number;
  end: number;
  offsets: number[];
}

/**
 * Go's allMatches: the leftmost match from each position on; an empty match right where the
 * previous match ended is refused, and the search steps one code point past an empty match.
 */
function allMatches<M extends { index: number; end: number }>(s: string, at: (pos: number) => M | null): M[] {
  const out: M[] = [];
  let pos = 0;
  let prevEnd = -1;
  while (pos <= s.length) {
    const m = at(pos);
    if (m === null) break;
    let accept = true;
    if (m.end === m.index) {
      if (m.index === prevEnd) accept = false;
      pos = m.index + codePointWidth(s, m.index);
    } else {
      pos = m.end;
    }
    prevEnd = m.end;
    if (accept) out.push(m);
  }
  return out;
}

const otherLineTerminators = /[\r\u2028\u2029]/;

function isInsidePair(s: string, i: number): boolean {
  if (i === 0) return false;
  const c = s.charCodeAt(i);
  if (c < 0xdc00 || c > 0xdfff) return false;
  const p = s.charCodeAt(i - 1);
  return p >= 0xd800 && p <= 0xdbff;
}

function codePointWidth(s: string, i: number): number {
  if (i >= s.length) return 1;
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/** Go's regexp `extract`: a `$` reference's name (letters, digits, `_`), its number or -1. */
function extractRef(t: string, start: number): { name: string; num: number; end: number } | undefined {
  let i = start;
  const brace = t.charCodeAt(i) === 0x7b;
  if (brace) i++;
  const nameStart = i;
  while (i < t.length) {
    const cp = t.codePointAt(i) as number;
    const ch = String.fromCodePoint(cp);
    if (!(cp === 0x5f || letterOrDigit.test(ch))) break;
    i += ch.length;
  }
  if (i === nameStart) return undefined;
  const name = t.slice(nameStart, i);
  if (brace) {
    if (t.charCodeAt(i) !== 0x7d) return undefined;
    i++;
  }
  let num = -1;
  if (/^[0-9]+$/.test(name) && !(name.length > 1 && name[0] === '0') && name.length <= 8) num = Number(name);
  return { name, num, end: i };
}

// Go's unicode.IsLetter / unicode.IsDigit.
const letterOrDigit = /^[\p{L}\p{Nd}]$/u;
