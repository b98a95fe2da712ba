// The RE2 → V8 translator: parses an RE2 pattern (already validated by re2js) and writes a
// flag-less V8 RegExp source that matches exactly what RE2 matches, or throws Untranslatable.
// Classes, `\p{..}`, POSIX classes and case folding come out of re2js's own compiled program as
// code point ranges (so re2js is pinned to an exact version: this reads its program's layout),
// written as UTF-16 code unit alternations. The result must run on V8's linear-time engine (no
// i/u/v/d flags, no lookarounds or backreferences, small counted repetitions); regex.ts runs
// what cannot be written that way on re2js.
//
// The V8 flags this needs (`--enable-experimental-regexp-engine` for the `l` flag that asks V8
// whether a RegExp qualifies, `...-on-excessive-backtracks` for the switch) are process-wide:
// cli.ts sets them; without them every pattern runs on re2js (correct, slower).

import { RE2JS } from 're2js';

// ---------------------------------------------------------------------------------------------
// Translation: parse the (already validated) RE2 pattern, then write a V8 RegExp source.

export class Untranslatable extends Error {}

type Assertion = 'bot' | 'eot' | 'bol' | 'eol' | 'wb' | 'nwb';

type Node =
  | { t: 'lit'; cp: number }
  | { t: 'set'; ranges: number[] }
  | { t: 'assert'; k: Assertion }
  | { t: 'cap'; index: number; sub: Node }
  | { t: 'rep'; min: number; max: number; greedy: boolean; sub: Node }
  | { t: 'cat'; subs: Node[] }
  | { t: 'alt'; subs: Node[] }
  | { t: 'empty' };

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

const MAX_RUNE = 0x10ffff;

// re2js program opcodes (Inst.op).
const OP_FAIL = 5;
const OP_MATCH = 6;
const OP_RUNE = 8;
const OP_RUNE1 = 9;
const OP_RUNE_ANY = 10;
const OP_RUNE_ANY_NOT_NL = 11;

interface ProgInst {
  op: number;
  out: number;
  arg: number;
  runes: ArrayLike<number>;
}

const classCache = new Map<string, number[]>();

/**
 * The code points a single-character pattern (a class, an escape, a case-folded literal) matches,
 * as sorted [lo, hi, lo, hi, ...] ranges, read from the program re2js compiles for it: so the
 * Unicode tables and case folding are exactly re2js's.
 */
function rangesOf(pattern: string): number[] {
  const cached = classCache.get(pattern);
  if (cached) return cached;
  const prog = RE2JS.compile(pattern).re2().prog as { start: number; inst: ProgInst[] };
  const inst = prog.inst[prog.start];
  if (inst === undefined) throw new Untranslatable(`unexpected program for ${pattern}`);
  let out: number[];
  if (inst.op === OP_FAIL) {
    out = [];
  } else {
    if (prog.inst[inst.out]?.op !== OP_MATCH) throw new Untranslatable(`unexpected program for ${pattern}`);
    switch (inst.op) {
      case OP_RUNE1:
        out = [inst.runes[0] as number, inst.runes[0] as number];
        break;
      case OP_RUNE_ANY:
        out = [0, MAX_RUNE];
        break;
      case OP_RUNE_ANY_NOT_NL:
        out = [0, 9, 11, MAX_RUNE];
        break;
      case OP_RUNE:
        if ((inst.arg & 1) !== 0 && inst.runes.length === 1) out = foldOrbit(inst.runes[0] as number);
        else out = Array.from(inst.runes);
        break;
      default:
        throw new Untranslatable(`unexpected program for ${pattern}`);
    }
  }
  classCache.set(pattern, out);
  return out;
}

/** The simple case folding orbit of a code point, as ranges. */
function foldOrbit(cp: number): number[] {
  if (cp === MAX_RUNE) return [cp, cp];
  // With a second, fold-free member the class stays a class instead of a folded literal.
  const r = rangesOf(`(?i:[\\x{${cp.toString(16)}}\\x{10FFFF}])`);
  const out = r.slice();
  if (out[out.length - 1] === MAX_RUNE) {
    out[out.length - 1] = MAX_RUNE - 1;
    if ((out[out.length - 2] as number) > MAX_RUNE - 1) out.length -= 2;
  }
  return out;
}

function hex(cp: number): string {
  return `\\x{${cp.toString(16)}}`;
}

class Parser {
  private pos = 0;
  private flags: Flags = { i: false, m: false, s: false, U: false };
  captures = 0;

  constructor(private readonly p: string) {}

  parse(): Node {
    const n = this.alt();
    if (this.pos !== this.p.length) throw new Untranslatable(`unexpected ${this.p[this.pos]} at ${this.pos}`);
    return n;
  }

  private alt(): Node {
    const subs = [this.concat()];
    while (this.p[this.pos] === '|') {
      this.pos++;
      subs.push(this.concat());
    }
    return subs.length === 1 ? (subs[0] as Node) : { t: 'alt', subs };
  }

  private concat(): Node {
    const items: Node[] = [];
    const p = this.p;
    while (this.pos < p.length) {
      const c = p[this.pos] as string;
      if (c === '|' || c === ')') break;
      switch (c) {
        case '(':
          this.group(items);
          break;
        case '^':
          this.pos++;
          items.push({ t: 'assert', k: this.flags.m ? 'bol' : 'bot' });
          break;
        case '$':
          this.pos++;
          items.push({ t: 'assert', k: this.flags.m ? 'eol' : 'eot' });
          break;
        case '.':
          this.pos++;
          items.push({ t: 'set', ranges: this.flags.s ? [0, MAX_RUNE] : [0, 9, 11, MAX_RUNE] });
          break;
        case '[':
          items.push(this.charClass());
          break;
        case '*':
        case '+':
        case '?': {
          this.pos++;
          const [min, max] = c === '*' ? [0, -1] : c === '+' ? [1, -1] : [0, 1];
          this.repeat(items, min, max);
          break;
        }
        case '{': {
          // Go reads `{` as a literal unless a well-formed count follows (no leading zeros).
          const r = /^\{(0|[1-9]\d*)(?:(,)(0|[1-9]\d*)?)?\}/.exec(p.slice(this.pos));
          if (r === null) {
            this.pos++;
            items.push(this.literal(0x7b));
            break;
          }
          this.pos += r[0].length;
          const min = Number(r[1]);
          const max = r[2] === undefined ? min : r[3] === undefined ? -1 : Number(r[3]);
          this.repeat(items, min, max);
          break;
        }
        case '\\':
          this.escape(items);
          break;
        default: {
          const cp = p.codePointAt(this.pos) as number;
          this.pos += cp > 0xffff ? 2 : 1;
          items.push(this.literal(cp));
        }
      }
    }
    if (items.length === 0) return { t: 'empty' };
    return items.length === 1 ? (items[0] as Node) : { t: 'cat', subs: items };
  }

  private repeat(items: Node[], min: number, max: number): void {
    const sub = items.pop();
    if (sub === undefined) throw new Untranslatable('repetition without argument');
    let lazy = false;
    if (this.p[this.pos] === '?') {
      lazy = true;
      this.pos++;
    }
    items.push({ t: 'rep', min, max, greedy: lazy === this.flags.U, sub });
  }

  private group(items: Node[]): void {
    const p = this.p;
    const saved = { ...this.flags };
    this.pos++;
    if (p[this.pos] !== '?') {
      const index = ++this.captures;
      const sub = this.alt();
      this.close(saved);
      items.push({ t: 'cap', index, sub });
      return;
    }
    const named = /^\?P?<([A-Za-z0-9_]+)>/.exec(p.slice(this.pos));
    if (named) {
      this.pos += named[0].length;
      const index = ++this.captures;
      const sub = this.alt();
      this.close(saved);
      items.push({ t: 'cap', index, sub });
      return;
    }
    const fl = /^\?([imsU-]*)([:)])/.exec(p.slice(this.pos));
    if (fl === null) throw new Untranslatable(`unsupported group at ${this.pos}`);
    this.pos += fl[0].length;
    let on = true;
    for (const f of fl[1] as string) {
      if (f === '-') on = false;
      else this.flags[f as keyof Flags] = on;
    }
    if (fl[2] === ')') return; // flags hold until the enclosing group closes
    const sub = this.alt();
    this.close(saved);
    items.push(sub.t === 'alt' || sub.t === 'cat' || sub.t === 'empty' ? { t: 'cat', subs: [sub] } : sub);
  }

  private close(saved: Flags): void {
    if (this.p[this.pos] !== ')') throw new Untranslatable('missing )');
    this.pos++;
    this.flags = saved;
  }

  private literal(cp: number): Node {
    if (!this.flags.i) return { t: 'lit', cp };
    const r = rangesOf(`(?i:${hex(cp)})`);
    return r.length === 2 && r[0] === r[1] ? { t: 'lit', cp } : { t: 'set', ranges: r };
  }

  private classOf(text: string): Node {
    return { t: 'set', ranges: rangesOf(this.flags.i ? `(?i:${text})` : text) };
  }

  private charClass(): Node {
    const p = this.p;
    const start = this.pos;
    let i = start + 1;
    if (p[i] === '^') i++;
    let first = true;
    while (i < p.length && (p[i] !== ']' || first)) {
      first = false;
      if (p[i] === '[' && p[i + 1] === ':') {
        const close = p.indexOf(':]', i + 2);
        if (close >= 0) {
          i = close + 2;
          continue;
        }
      }
      if (p[i] === '\\') {
        const e = p[i + 1];
        if ((e === 'p' || e === 'P' || e === 'x') && p[i + 2] === '{') {
          const close = p.indexOf('}', i + 3);
          if (close < 0) throw new Untranslatable('unterminated escape');
          i = close + 1;
          continue;
        }
        i++;
      }
      i += (p.codePointAt(i) as number) > 0xffff ? 2 : 1;
    }
    if (p[i] !== ']') throw new Untranslatable('missing ]');
    this.pos = i + 1;
    return this.classOf(p.slice(start, i + 1));
  }

  private escape(items: Node[]): void {
    const p = this.p;
    const e = p[this.pos + 1];
    if (e === undefined) throw new Untranslatable('trailing \\');
    const assertion: Record<string, Assertion> = { A: 'bot', z: 'eot', b: 'wb', B: 'nwb' };
    const a = assertion[e];
    if (a !== undefined) {
      this.pos += 2;
      items.push({ t: 'assert', k: a });
      return;
    }
    if ('dDsSwW'.includes(e)) {
      this.pos += 2;
      items.push(this.classOf(`[\\${e}]`));
      return;
    }
    if (e === 'p' || e === 'P') {
      let end: number;
      if (p[this.pos + 2] === '{') {
        end = p.indexOf('}', this.pos + 3);
        if (end < 0) throw new Untranslatable('unterminated \\p');
        end++;
      } else {
        end = this.pos + 2 + ((p.codePointAt(this.pos + 2) as number) > 0xffff ? 2 : 1);
      }
      items.push(this.classOf(`[${p.slice(this.pos, end)}]`));
      this.pos = end;
      return;
    }
    if (e === 'Q') {
      const end = p.indexOf('\\E', this.pos + 2);
      const text = p.slice(this.pos + 2, end < 0 ? p.length : end);
      this.pos = end < 0 ? p.length : end + 2;
      for (const ch of text) items.push(this.literal(ch.codePointAt(0) as number));
      return;
    }
    if (e === 'E') {
      // A stray \E ends nothing (Go accepts and ignores it).
      this.pos += 2;
      return;
    }
    const simple: Record<string, number> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };
    if (simple[e] !== undefined) {
      this.pos += 2;
      items.push(this.literal(simple[e]));
      return;
    }
    if (e >= '0' && e <= '7') {
      const m = /^[0-7]{1,3}/.exec(p.slice(this.pos + 1)) as RegExpExecArray;
      this.pos += 1 + m[0].length;
      items.push(this.literal(Number.parseInt(m[0], 8)));
      return;
    }
    if (e === 'x') {
      const m = /^x(?:\{([0-9A-Fa-f]+)\}|([0-9A-Fa-f]{2}))/.exec(p.slice(this.pos + 1));
      if (m === null) throw new Untranslatable('bad \\x');
      this.pos += 1 + m[0].length;
      items.push(this.literal(Number.parseInt((m[1] ?? m[2]) as string, 16)));
      return;
    }
    const cp = p.codePointAt(this.pos + 1) as number;
    if (cp < 0x80 && !/[A-Za-z0-9]/.test(e)) {
      this.pos += 2;
      items.push(this.literal(cp));
      return;
    }
    throw new Untranslatable(`unsupported escape \\${e}`);
  }
}

// ---- analysis

function nullable(n: Node): boolean {
  switch (n.t) {
    case 'lit':
    case 'set':
      return false;
    case 'assert':
    case 'empty':
      return true;
    case 'cap':
      return nullable(n.sub);
    case 'rep':
      return n.min === 0 || nullable(n.sub);
    case 'cat':
      return n.subs.every(nullable);
    case 'alt':
      return n.subs.some(nullable);
  }
}

function captures(n: Node, out: Set<number> = new Set()): Set<number> {
  if (n.t === 'cap') out.add(n.index);
  if (n.t === 'cap' || n.t === 'rep') captures(n.sub, out);
  if (n.t === 'cat' || n.t === 'alt') for (const s of n.subs) captures(s, out);
  return out;
}

/** Captures set on every successful path through n. */
function guaranteed(n: Node): Set<number> {
  switch (n.t) {
    case 'cap':
      return new Set([n.index, ...guaranteed(n.sub)]);
    case 'rep':
      return n.min >= 1 ? guaranteed(n.sub) : new Set();
    case 'cat': {
      const out = new Set<number>();
      for (const s of n.subs) for (const c of guaranteed(s)) out.add(c);
      return out;
    }
    case 'alt': {
      let out: Set<number> | undefined;
      for (const s of n.subs) {
        const g = guaranteed(s);
        out = out === undefined ? g : new Set([...out].filter((c) => g.has(c)));
      }
      return out ?? new Set();
    }
    default:
      return new Set();
  }
}

/**
 * JS refuses an iteration that matched empty once the minimum count is reached, and resets a
 * repeated group's captures at each iteration; RE2 accepts the empty iteration and keeps the last
 * value of each capture. The two only disagree when a repeated body can match empty, or when a
 * capture inside a repetition may be skipped by an iteration: those patterns run on re2js.
 */
function checkRepetitions(n: Node): void {
  if (n.t === 'rep') {
    if (nullable(n.sub) && (n.max === -1 || n.max > n.min))
      throw new Untranslatable('repetition of something that can match empty');
    const caps = captures(n.sub);
    if (caps.size > 0 && (n.max === -1 || n.max > 1)) {
      const g = guaranteed(n.sub);
      for (const c of caps) if (!g.has(c)) throw new Untranslatable('optional capture in a repetition');
    }
  }
  if (n.t === 'cap' || n.t === 'rep') checkRepetitions(n.sub);
  if (n.t === 'cat' || n.t === 'alt') for (const s of n.subs) checkRepetitions(s);
}

const BIG_CLASSES = 256;

function classRanges(n: Node): number {
  switch (n.t) {
    case 'set':
      return n.ranges.length / 2;
    case 'cap':
    case 'rep':
      return classRanges(n.sub);
    case 'cat':
    case 'alt':
      return n.subs.reduce((sum, s) => sum + classRanges(s), 0);
    default:
      return 0;
  }
}

function nestedRepetition(n: Node, inside: boolean): boolean {
  switch (n.t) {
    case 'rep': {
      const many = n.max === -1 || n.max > 1;
      if (many && inside) return true;
      return nestedRepetition(n.sub, inside || many);
    }
    case 'cap':
      return nestedRepetition(n.sub, inside);
    case 'cat':
    case 'alt':
      return n.subs.some((s) => nestedRepetition(s, inside));
    default:
      return false;
  }
}

function assertions(n: Node, out: Set<Assertion> = new Set()): Set<Assertion> {
  if (n.t === 'assert') out.add(n.k);
  if (n.t === 'cap' || n.t === 'rep') assertions(n.sub, out);
  if (n.t === 'cat' || n.t === 'alt') for (const s of n.subs) assertions(s, out);
  return out;
}

// ---- emission

const MAX_SOURCE = 200_000;

function unit(u: number): string {
  if ((u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5a) || (u >= 0x61 && u <= 0x7a) || u === 0x5f)
    return String.fromCharCode(u);
  return `\\u${u.toString(16).padStart(4, '0')}`;
}

function unitRange(lo: number, hi: number): string {
  if (lo === hi) return unit(lo);
  if (hi === lo + 1) return unit(lo) + unit(hi);
  return `${unit(lo)}-${unit(hi)}`;
}

/** Whether the node is written as a single JS atom that a quantifier can follow. */
function isAtom(src: string, n: Node): boolean {
  if (n.t === 'cap') return true;
  if (n.t === 'lit') return n.cp <= 0xffff;
  // setSource writes one class, or an alternation already in a group.
  if (n.t === 'set') return /^\[[^\]]*\]$/.test(src) || src.startsWith('(?:');
  return false;
}

/**
 * Code point ranges as UTF-16: BMP code points as one class, astral ones as high/low surrogate
 * pairs. A high surrogate alone never matches, so a surrogate pair is never split; a lone low
 * surrogate is a code point of its own, as re2js reads it.
 */
function setSource(ranges: number[]): string {
  const bmp: string[] = [];
  const astral: string[] = [];
  for (let k = 0; k < ranges.length; k += 2) {
    const lo = ranges[k] as number;
    const hi = ranges[k + 1] as number;
    // BMP, without high surrogates.
    const pieces: [number, number][] = [
      [lo, Math.min(hi, 0xd7ff)],
      [Math.max(lo, 0xdc00), Math.min(hi, 0xffff)],
    ];
    for (const [a, b] of pieces) if (a <= b) bmp.push(unitRange(a, b));
    if (hi >= 0x10000) astralSource(Math.max(lo, 0x10000), hi, astral);
  }
  const alts: string[] = [];
  if (bmp.length > 0) alts.push(`[${bmp.join('')}]`);
  alts.push(...astral);
  if (alts.length === 0) return '[]';
  return alts.length === 1 ? (alts[0] as string) : `(?:${alts.join('|')})`;
}

function astralSource(lo: number, hi: number, out: string[]): void {
  const hiOf = (cp: number) => 0xd800 + ((cp - 0x10000) >> 10);
  const loOf = (cp: number) => 0xdc00 + ((cp - 0x10000) & 0x3ff);
  const h1 = hiOf(lo);
  const h2 = hiOf(hi);
  if (h1 === h2) {
    out.push(`${unit(h1)}[${unitRange(loOf(lo), loOf(hi))}]`);
    return;
  }
  let midStart = h1;
  let midEnd = h2;
  if (loOf(lo) !== 0xdc00) {
    out.push(`${unit(h1)}[${unitRange(loOf(lo), 0xdfff)}]`);
    midStart++;
  }
  const tail = loOf(hi) !== 0xdfff ? `${unit(h2)}[${unitRange(0xdc00, loOf(hi))}]` : undefined;
  if (tail !== undefined) midEnd--;
  if (midStart <= midEnd) out.push(`[${unitRange(midStart, midEnd)}][\\udc00-\\udfff]`);
  if (tail !== undefined) out.push(tail);
}

function quantifier(min: number, max: number, greedy: boolean): string {
  let q: string;
  if (min === 0 && max === -1) q = '*';
  else if (min === 1 && max === -1) q = '+';
  else if (min === 0 && max === 1) q = '?';
  else if (max === -1) q = `{${min},}`;
  else if (min === max) q = `{${min}}`;
  else q = `{${min},${max}}`;
  return greedy ? q : `${q}?`;
}

class Emitter {
  constructor(
    /** Expand counted repetitions of capture-free bodies into copies (V8's linear engine refuses big counts). */
    private readonly expandCounts: boolean,
  ) {}

  emit(n: Node): string {
    switch (n.t) {
      case 'lit':
        return n.cp <= 0xffff
          ? unit(n.cp)
          : unit(0xd800 + ((n.cp - 0x10000) >> 10)) + unit(0xdc00 + ((n.cp - 0x10000) & 0x3ff));
      case 'set':
        return setSource(n.ranges);
      case 'assert':
        switch (n.k) {
          case 'bot':
          case 'bol':
            return '^';
          case 'eot':
          case 'eol':
            return '$';
          case 'wb':
            return '\\b';
          case 'nwb':
            return '\\B';
        }
        break;
      case 'empty':
        return '(?:)';
      case 'cap':
        return `(${this.emit(n.sub)})`;
      case 'cat':
        return n.subs.map((s) => (s.t === 'alt' ? `(?:${this.emit(s)})` : this.emit(s))).join('');
      case 'alt':
        return n.subs.map((s) => this.emit(s)).join('|');
      case 'rep':
        return this.rep(n);
    }
    throw new Untranslatable('unknown node');
  }

  private rep(n: Extract<Node, { t: 'rep' }>): string {
    const body = this.emit(n.sub);
    const atom = isAtom(body, n.sub) ? body : `(?:${body})`;
    const { min, max, greedy } = n;
    const simple = (min <= 1 && (max === -1 || max <= 1)) || !this.expandCounts;
    if (simple || captures(n.sub).size > 0) return atom + quantifier(min, max, greedy);
    // RE2's own simplification: x{n,m} is n copies of x, then m-n nested optional copies.
    let out = atom.repeat(min);
    if (max === -1) return out + atom + quantifier(0, -1, greedy);
    let opt = '';
    for (let k = 0; k < max - min; k++) {
      opt = `(?:${atom}${opt})${greedy ? '?' : '??'}`;
      if (opt.length > MAX_SOURCE) throw new Untranslatable('expression too large to expand');
    }
    out += opt;
    if (out.length > MAX_SOURCE) throw new Untranslatable('expression too large to expand');
    return out;
  }
}

export interface Translation {
  source: string;
  lineAnchors: boolean;
  anchoredStart: boolean;
  captures: number;
}

/** Every match of n starts with \A (or ^ outside multi-line mode). */
function startsAnchored(n: Node): boolean {
  switch (n.t) {
    case 'assert':
      return n.k === 'bot';
    case 'cap':
      return startsAnchored(n.sub);
    case 'cat':
      return n.subs.length > 0 && startsAnchored(n.subs[0] as Node);
    case 'alt':
      return n.subs.every(startsAnchored);
    default:
      return false;
  }
}

export function translate(pattern: string): Translation {
  const parser = new Parser(pattern);
  const ast = parser.parse();
  checkRepetitions(ast);
  // V8's linear engine steps through a class range by range: with classes as big as \pL it is
  // far slower than re2js, so a pattern shaped to backtrack (a repetition inside a repetition)
  // with big classes runs on re2js from the start.
  if (classRanges(ast) > BIG_CLASSES && nestedRepetition(ast, false))
    throw new Untranslatable('nested repetition over large character classes');
  const as = assertions(ast);
  const lineAnchors = as.has('bol') || as.has('eol');
  // With the m flag JS has no text anchors left to write \A and \z with.
  if (lineAnchors && (as.has('bot') || as.has('eot')))
    throw new Untranslatable('line anchors mixed with text anchors');
  const flags = lineAnchors ? 'm' : '';
  let source = new Emitter(false).emit(ast);
  if (!linearCapable(source, flags)) {
    source = new Emitter(true).emit(ast);
    if (source.length > MAX_SOURCE || !linearCapable(source, flags))
      throw new Untranslatable("V8's linear-time engine cannot run it");
  }
  return { source, lineAnchors, anchoredStart: startsAnchored(ast), captures: parser.captures };
}

function linearCapable(source: string, flags: string): boolean {
  try {
    new RegExp(source, `l${flags}`);
    return true;
  } catch {
    return false;
  }
}
