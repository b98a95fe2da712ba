// The Sprig (Masterminds/sprig v3) template functions Promtail registers with sprig.TxtFuncMap(),
// with Sprig's argument order, Go types and results. Functions that need a clock, the network or
// key material (dates, certificates, bcrypt, semver, urlParse) are listed in `unsupportedSprig`:
// a template that uses one fails at config load with a clear message.

import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { Regex } from '../../regex/regex.js';
import { fn } from './builtins.js';
import type { GoFunc } from './exec.js';
import * as gs from './gostrings.js';
import { goJsonMarshal, goJsonUnmarshal } from './json.js';
import { canBackquote, quote as goQuote, parseGoFloat, parseGoInt, shortestDigits } from './strconv.js';
import { deepEqual, formatV, type GoMap, type GoValue, isGoMap, kindOf, sprintf, typeName } from './value.js';

const s = (v: GoValue) => v as string;
const n = (v: GoValue) => Number(v as bigint);

// ---- conversions (spf13/cast, as Sprig uses it) ------------------------------------------------

function trimZeroDecimal(x: string): string {
  let foundZero = false;
  for (let i = x.length; i > 0; i--) {
    const c = x[i - 1];
    if (c === '.') {
      if (foundZero) return x.slice(0, i - 1);
    } else if (c === '0') foundZero = true;
    else return x;
  }
  return x;
}

function floatToInt64(f: number): bigint {
  if (!Number.isFinite(f) || Math.abs(f) >= 2 ** 63) return -0x8000000000000000n;
  return BigInt(Math.trunc(f));
}

/** cast.ToInt64: numbers truncate, strings parse (base prefixes, "12.0"), anything else is 0. */
export function toInt64(v: GoValue): bigint {
  switch (typeof v) {
    case 'bigint':
      return v;
    case 'number':
      return floatToInt64(v);
    case 'string':
      return parseGoInt(trimZeroDecimal(v)) ?? 0n;
    case 'boolean':
      return v ? 1n : 0n;
    default:
      return 0n;
  }
}

/** cast.ToFloat64. */
export function toFloat64(v: GoValue): number {
  switch (typeof v) {
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
    case 'string':
      return parseGoFloat(v) ?? 0;
    case 'boolean':
      return v ? 1 : 0;
    default:
      return 0;
  }
}

/** Sprig's strval: strings as they are, anything else as fmt's %v. */
export function strval(v: GoValue): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return formatV(v);
}

/** Sprig's empty: the zero value of its type. */
export function empty(v: GoValue): boolean {
  switch (typeof v) {
    case 'string':
      return v.length === 0;
    case 'number':
      return v === 0;
    case 'bigint':
      return v === 0n;
    case 'boolean':
      return !v;
    case 'undefined':
      return true;
    default:
      if (v === null) return true;
      if (Array.isArray(v) || v instanceof Uint8Array) return v.length === 0;
      return Object.keys(v).length === 0;
  }
}

function strslice(v: GoValue): string[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.filter((x) => x !== null && x !== undefined).map(strval);
  return [strval(v)];
}

function list(v: GoValue, what: string): GoValue[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Uint8Array) return [...v].map((b) => BigInt(b));
  throw new Error(`Cannot ${what} on type ${kindName(v)}`);
}

function kindName(v: GoValue): string {
  switch (kindOf(v)) {
    case 'float':
      return 'float64';
    case 'bytes':
    case 'slice':
      return 'slice';
    case 'nil':
    case 'invalid':
      return 'invalid';
    default:
      return kindOf(v);
  }
}

function int64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

// ---- decimal arithmetic (shopspring/decimal, which Sprig's addf/subf/mulf/divf use) -----------

interface Dec {
  c: bigint;
  e: number;
}

function decFromFloat(f: number): Dec {
  if (!Number.isFinite(f))
    throw new Error(`Cannot create a Decimal from ${Number.isNaN(f) ? 'NaN' : f > 0 ? '+Inf' : '-Inf'}`);
  const d = shortestDigits(Math.abs(f));
  if (d.d === '') return { c: 0n, e: 0 };
  const c = BigInt(d.d);
  return { c: f < 0 ? -c : c, e: d.dp - d.d.length };
}

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  const e = Math.min(a.e, b.e);
  return [a.c * 10n ** BigInt(a.e - e), b.c * 10n ** BigInt(b.e - e), e];
}

const decOps: Record<'add' | 'sub' | 'mul' | 'div', (a: Dec, b: Dec) => Dec> = {
  add: (a, b) => {
    const [x, y, e] = align(a, b);
    return { c: x + y, e };
  },
  sub: (a, b) => {
    const [x, y, e] = align(a, b);
    return { c: x - y, e };
  },
  mul: (a, b) => ({ c: a.c * b.c, e: a.e + b.e }),
  div: (a, b) => {
    if (b.c === 0n) throw new Error('decimal division by 0');
    const prec = 16;
    const shift = a.e - b.e + prec;
    let num = a.c;
    let den = b.c;
    if (shift >= 0) num *= 10n ** BigInt(shift);
    else den *= 10n ** BigInt(-shift);
    if (den < 0n) {
      num = -num;
      den = -den;
    }
    let q = num / den;
    const r = num % den;
    // Half away from zero.
    if (2n * (r < 0n ? -r : r) >= den) q += num < 0n ? -1n : 1n;
    return { c: q, e: -prec };
  },
};

function decToFloat(d: Dec): number {
  return Number(`${d.c}e${d.e}`);
}

function decimalOp(first: GoValue, rest: GoValue[], op: keyof typeof decOps): number {
  let acc = decFromFloat(toFloat64(first));
  for (const x of rest) acc = decOps[op](acc, decFromFloat(toFloat64(x)));
  return decToFloat(acc);
}

// ---- regular expressions, compiled once per pattern -------------------------------------------

const regexCache = new Map<string, Regex>();

function compile(pattern: string): Regex {
  let re = regexCache.get(pattern);
  if (!re) {
    re = Regex.compile(pattern);
    if (regexCache.size >= 512) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

/** Go's regexp.MustCompile: a bad pattern panics, which the template reports as an error. */
export function mustCompile(pattern: string): Regex {
  try {
    return compile(pattern);
  } catch (e) {
    const q = canBackquote(pattern) ? `\`${pattern}\`` : goQuote(pattern);
    throw new Error(`regexp: Compile(${q}): ${(e as Error).message}`);
  }
}

function findAll(re: Regex, str: string, limit: number): string[] {
  const all = re.execAll(str).map((m) => str.slice(m.index, m.end));
  return limit < 0 ? all : all.slice(0, limit);
}

function regexSplit(re: Regex, str: string, limit: number): string[] {
  if (limit === 0) return [];
  if (re.source.length > 0 && str.length === 0) return [''];
  const matches = re.execAll(str);
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of matches) {
    if (limit > 0 && out.length === limit - 1) break;
    end = m.index;
    if (m.end !== 0) out.push(str.slice(beg, end));
    beg = m.end;
  }
  if (end !== str.length) out.push(str.slice(beg));
  return out;
}

/** Go's regexp.QuoteMeta. */
function quoteMeta(str: string): string {
  return str.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

// ---- paths (Go's path package) ----------------------------------------------------------------

export function pathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p[0] === '/';
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

function pathBase(p: string): string {
  if (p === '') return '.';
  p = p.replace(/\/+$/, '');
  const i = p.lastIndexOf('/');
  if (i >= 0) p = p.slice(i + 1);
  return p === '' ? '/' : p;
}

function pathDir(p: string): string {
  const i = p.lastIndexOf('/');
  return pathClean(p.slice(0, i + 1));
}

function pathExt(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== '/'; i--) if (p[i] === '.') return p.slice(i);
  return '';
}

// ---- encodings ---------------------------------------------------------------------------------

const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const b32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Decodes padded standard base64/base32 as Go does, with Go's error for the first bad byte. */
function decodeStrict(input: string, alphabet: string, bitsPerChar: 5 | 6, what: string): string {
  const quantum = bitsPerChar === 6 ? 4 : 8;
  const chars: { c: string; at: number }[] = [];
  for (let i = 0; i < input.length; i++)
    if (input[i] !== '\r' && input[i] !== '\n') chars.push({ c: input[i]!, at: i });
  const bad = (at: number) => new Error(`illegal ${what} data at input byte ${at}`);
  let bits = 0;
  let acc = 0;
  const out: number[] = [];
  for (let q = 0; q < chars.length; q += quantum) {
    const group = chars.slice(q, q + quantum);
    let pad = 0;
    for (let j = 0; j < group.length; j++) {
      const { c, at } = group[j]!;
      if (c === '=') {
        // Padding ends the input: the rest of the quantum must be padding too.
        if (j < (bitsPerChar === 6 ? 2 : 2)) throw bad(at);
        for (let k = j; k < quantum; k++) {
          if (!group[k]) throw bad(group[group.length - 1]!.at + 1);
          if (group[k]!.c !== '=') throw bad(group[k]!.at);
        }
        if (q + quantum < chars.length) throw bad(chars[q + quantum]!.at);
        pad = quantum - j;
        break;
      }
      const v = alphabet.indexOf(c);
      if (v < 0) throw bad(at);
      acc = (acc << bitsPerChar) | v;
      bits += bitsPerChar;
      if (bits >= 8) {
        bits -= 8;
        out.push((acc >> bits) & 0xff);
      }
    }
    if (pad === 0 && group.length < quantum)
      throw bad(chars.length > 0 ? chars[chars.length - 1]!.at + 1 : 0);
    bits = 0;
    acc = 0;
  }
  return Buffer.from(out).toString('utf8');
}

function base32Encode(str: string): string {
  const bytes = Buffer.from(str, 'utf8');
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += b32[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += b32[(acc << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

function adler32(str: string): number {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(str, 'utf8')) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return (b * 65536 + a) >>> 0;
}

// ---- goutils / xstrings string helpers ---------------------------------------------------------

function abbreviateFull(str: string, offset: number, maxWidth: number): string {
  if (str === '') return '';
  if (maxWidth < 4) return '';
  const len = gs.byteLength(str);
  if (len <= maxWidth) return str;
  if (offset > len) offset = len;
  if (len - offset < maxWidth - 3) offset = len - (maxWidth - 3);
  if (offset <= 4) return `${gs.byteSlice(str, 0, maxWidth - 3)}...`;
  if (maxWidth < 7) return '';
  if (offset + maxWidth - 3 < len) return `...${abbreviateFull(gs.byteSlice(str, offset), 0, maxWidth - 3)}`;
  return `...${gs.byteSlice(str, len - (maxWidth - 3))}`;
}

function wrapCustom(str: string, wrapLength: number, newLine: string, wrapLongWords: boolean): string {
  if (str === '') return '';
  if (newLine === '') newLine = '\n';
  if (wrapLength < 1) wrapLength = 1;
  const len = str.length;
  let offset = 0;
  let out = '';
  while (len - offset > wrapLength) {
    if (str[offset] === ' ') {
      offset++;
      continue;
    }
    const end = wrapLength + offset + 1;
    let at = str.slice(offset, end).lastIndexOf(' ') + offset;
    if (at >= offset) {
      out += str.slice(offset, at) + newLine;
      offset = at + 1;
    } else if (wrapLongWords) {
      out += str.slice(offset, wrapLength + offset) + newLine;
      offset += wrapLength;
    } else {
      const e = wrapLength + offset;
      const idx = str.slice(e).indexOf(' ');
      if (idx === -1) {
        out += str.slice(offset);
        offset = len;
      } else {
        at = idx + e;
        out += str.slice(offset, at) + newLine;
        offset = at + 1;
      }
    }
  }
  return out + str.slice(offset);
}

/** Splits identifiers into words for the case conversions (camel humps, separators). */
function words(str: string): string[] {
  return str
    .replace(/([\p{Ll}\p{Nd}])(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
    .split(/[^\p{L}\p{Nd}]+/u)
    .filter((w) => w !== '');
}

function randomFrom(alphabet: string, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const digits = '0123456789';
const ascii = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');

// ---- dictionaries ------------------------------------------------------------------------------

function asMap(v: GoValue): GoMap {
  return v === null || v === undefined ? {} : (v as GoMap);
}

function mergeInto(dst: GoMap, src: GoMap, overwrite: boolean): void {
  for (const k of Object.keys(src)) {
    const sv = src[k];
    const dv = Object.hasOwn(dst, k) ? dst[k] : undefined;
    if (isGoMap(dv) && isGoMap(sv)) mergeInto(dv, sv, overwrite);
    else if (dv === undefined || empty(dv) || (overwrite && !empty(sv))) dst[k] = sv;
  }
}

function deepCopy(v: GoValue): GoValue {
  if (Array.isArray(v)) return v.map(deepCopy);
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (isGoMap(v)) {
    const out: GoMap = {};
    for (const k of Object.keys(v)) out[k] = deepCopy(v[k]);
    return out;
  }
  return v;
}

function dig(args: GoValue[]): GoValue {
  if (args.length < 3) throw new Error('dig needs at least three arguments');
  let dict = args[args.length - 1];
  const def = args[args.length - 2];
  const keys = args.slice(0, -2);
  for (let i = 0; i < keys.length; i++) {
    if (!isGoMap(dict))
      throw new Error(`interface conversion: interface {} is ${typeName(dict)}, not map[string]interface {}`);
    const k = keys[i];
    if (typeof k !== 'string')
      throw new Error(`interface conversion: interface {} is ${typeName(k)}, not string`);
    if (!Object.hasOwn(dict, k)) return def;
    if (i === keys.length - 1) return dict[k];
    dict = dict[k];
  }
  return def;
}

// ---- numbers -----------------------------------------------------------------------------------

function untilStep(start: number, stop: number, step: number): bigint[] {
  const v: bigint[] = [];
  if (stop < start) {
    if (step >= 0) return v;
    for (let i = start; i > stop; i += step) v.push(BigInt(i));
    return v;
  }
  if (step <= 0) return v;
  for (let i = start; i < stop; i += step) v.push(BigInt(i));
  return v;
}

function seq(params: number[]): string {
  let increment = 1;
  let out: bigint[];
  switch (params.length) {
    case 1: {
      const end = params[0]!;
      if (end < 1) increment = -1;
      out = untilStep(1, end + increment, increment);
      break;
    }
    case 2: {
      const [start, end] = params as [number, number];
      const step = end < start ? -1 : 1;
      out = untilStep(start, end + step, step);
      break;
    }
    case 3: {
      const [start, step, end] = params as [number, number, number];
      if (end < start) {
        increment = -1;
        if (step > 0) return '';
      }
      out = untilStep(start, end + increment, step);
      break;
    }
    default:
      return '';
  }
  return out.join(' ');
}

function roundTo(a: GoValue, places: number, roundOn = 0.5): number {
  const val = toFloat64(a);
  const pow = 10 ** places;
  const digit = pow * val;
  const frac = digit - Math.trunc(digit);
  const r = frac >= roundOn ? Math.ceil(digit) : Math.floor(digit);
  return r / pow;
}

function maxInt64(values: GoValue[]): bigint {
  let best = toInt64(values[0]);
  for (const v of values) {
    const x = toInt64(v);
    if (x > best) best = x;
  }
  return best;
}

function minInt64(values: GoValue[]): bigint {
  let best = toInt64(values[0]);
  for (const v of values) {
    const x = toInt64(v);
    if (x < best) best = x;
  }
  return best;
}

function intDiv(a: bigint, b: bigint, op: 'div' | 'mod'): bigint {
  if (b === 0n) throw new Error('runtime error: integer divide by zero');
  return op === 'div' ? int64(a / b) : a % b;
}

// ---- the map -----------------------------------------------------------------------------------

const entries: [string, GoFunc][] = [
  ['hello', fn([], () => 'Hello!')],

  // strings
  ['abbrev', fn(['int', 'string'], (a) => (n(a[0]) < 4 ? s(a[1]) : abbreviateFull(s(a[1]), 0, n(a[0]))))],
  [
    'abbrevboth',
    fn(['int', 'int', 'string'], (a) => {
      const [left, right] = [n(a[0]), n(a[1])];
      if (right < 4 || (left > 0 && right < 7)) return s(a[2]);
      return abbreviateFull(s(a[2]), left, right);
    }),
  ],
  [
    'trunc',
    fn(['int', 'string'], (a) => {
      const c = n(a[0]);
      const str = s(a[1]);
      const len = gs.byteLength(str);
      if (c < 0 && len + c > 0) return gs.byteSlice(str, len + c);
      if (c >= 0 && len > c) return gs.byteSlice(str, 0, c);
      return str;
    }),
  ],
  ['trim', fn(['string'], (a) => gs.trimSpace(s(a[0])))],
  ['upper', fn(['string'], (a) => gs.toUpper(s(a[0])))],
  ['lower', fn(['string'], (a) => gs.toLower(s(a[0])))],
  ['title', fn(['string'], (a) => gs.title(s(a[0])))],
  [
    'untitle',
    fn(['string'], (a) => {
      let next = true;
      let out = '';
      for (const ch of s(a[0])) {
        if (gs.isGoSpace(ch)) {
          next = true;
          out += ch;
        } else if (next) {
          out += gs.toLower(ch);
          next = false;
        } else out += ch;
      }
      return out;
    }),
  ],
  [
    'substr',
    fn(['int', 'int', 'string'], (a) => {
      const [start, end, str] = [n(a[0]), n(a[1]), s(a[2])];
      const len = gs.byteLength(str);
      if (start < 0) {
        if (end < 0 || end > len)
          throw new Error(`runtime error: slice bounds out of range [:${end}] with length ${len}`);
        return gs.byteSlice(str, 0, end);
      }
      if (start > len) throw new Error(`runtime error: slice bounds out of range [${start}:${len}]`);
      if (end < 0 || end > len) return gs.byteSlice(str, start);
      if (start > end) throw new Error(`runtime error: slice bounds out of range [${start}:${end}]`);
      return gs.byteSlice(str, start, end);
    }),
  ],
  [
    'repeat',
    fn(['int', 'string'], (a) => {
      if (n(a[0]) < 0) throw new Error('strings: negative Repeat count');
      return s(a[1]).repeat(n(a[0]));
    }),
  ],
  ['trimall', fn(['string', 'string'], (a) => gs.trim(s(a[1]), s(a[0])))],
  ['trimAll', fn(['string', 'string'], (a) => gs.trim(s(a[1]), s(a[0])))],
  ['trimSuffix', fn(['string', 'string'], (a) => gs.trimSuffix(s(a[1]), s(a[0])))],
  ['trimPrefix', fn(['string', 'string'], (a) => gs.trimPrefix(s(a[1]), s(a[0])))],
  ['nospace', fn(['string'], (a) => [...s(a[0])].filter((c) => !gs.isGoSpace(c)).join(''))],
  [
    'initials',
    fn(['string'], (a) => {
      let out = '';
      let gap = true;
      for (const ch of s(a[0])) {
        if (gs.isGoSpace(ch)) gap = true;
        else if (gap) {
          out += ch;
          gap = false;
        }
      }
      return out;
    }),
  ],
  ['randAlphaNum', fn(['int'], (a) => randomFrom(alpha + digits, n(a[0])))],
  ['randAlpha', fn(['int'], (a) => randomFrom(alpha, n(a[0])))],
  ['randAscii', fn(['int'], (a) => randomFrom(ascii, n(a[0])))],
  ['randNumeric', fn(['int'], (a) => randomFrom(digits, n(a[0])))],
  [
    'swapcase',
    fn(['string'], (a) =>
      [...s(a[0])]
        .map((c) => {
          const u = gs.toUpper(c);
          const l = gs.toLower(c);
          if (c === u && c !== l) return l;
          if (c === l && c !== u) return u;
          return c;
        })
        .join(''),
    ),
  ],
  [
    'shuffle',
    fn(['string'], (a) => {
      const chars = [...s(a[0])];
      for (let i = chars.length - 1; i > 0; i--) {
        const j = randomInt(i + 1);
        [chars[i], chars[j]] = [chars[j]!, chars[i]!];
      }
      return chars.join('');
    }),
  ],
  ['snakecase', fn(['string'], (a) => words(s(a[0])).map(gs.toLower).join('_'))],
  ['kebabcase', fn(['string'], (a) => words(s(a[0])).map(gs.toLower).join('-'))],
  [
    'camelcase',
    fn(['string'], (a) =>
      s(a[0])
        .split('_')
        .map((w) => (w === '' ? '' : gs.toUpper([...w][0]!) + [...w].slice(1).join('')))
        .join(''),
    ),
  ],
  ['wrap', fn(['int', 'string'], (a) => wrapCustom(s(a[1]), n(a[0]), '', false))],
  ['wrapWith', fn(['int', 'string', 'string'], (a) => wrapCustom(s(a[2]), n(a[0]), s(a[1]), true))],
  ['contains', fn(['string', 'string'], (a) => s(a[1]).includes(s(a[0])))],
  ['hasPrefix', fn(['string', 'string'], (a) => s(a[1]).startsWith(s(a[0])))],
  ['hasSuffix', fn(['string', 'string'], (a) => s(a[1]).endsWith(s(a[0])))],
  [
    'quote',
    fn(
      [],
      (a) =>
        a
          .filter((x) => x !== null && x !== undefined)
          .map((x) => goQuote(strval(x)))
          .join(' '),
      'any',
    ),
  ],
  [
    'squote',
    fn(
      [],
      (a) =>
        a
          .filter((x) => x !== null && x !== undefined)
          .map((x) => `'${formatV(x)}'`)
          .join(' '),
      'any',
    ),
  ],
  [
    'cat',
    fn(
      [],
      (a) => {
        const v = a.filter((x) => x !== null && x !== undefined);
        return sprintf(v.map(() => '%v').join(' '), v);
      },
      'any',
    ),
  ],
  ['indent', fn(['int', 'string'], (a) => indent(n(a[0]), s(a[1])))],
  ['nindent', fn(['int', 'string'], (a) => `\n${indent(n(a[0]), s(a[1]))}`)],
  ['replace', fn(['string', 'string', 'string'], (a) => gs.replace(s(a[2]), s(a[0]), s(a[1]), -1))],
  ['plural', fn(['string', 'string', 'int'], (a) => (a[2] === 1n ? s(a[0]) : s(a[1])))],
  ['sha1sum', fn(['string'], (a) => createHash('sha1').update(s(a[0]), 'utf8').digest('hex'))],
  ['sha256sum', fn(['string'], (a) => createHash('sha256').update(s(a[0]), 'utf8').digest('hex'))],
  ['adler32sum', fn(['string'], (a) => String(adler32(s(a[0]))))],
  ['toString', fn(['any'], (a) => strval(a[0]))],

  // conversions and numbers
  [
    'atoi',
    fn(['string'], (a) => {
      const m = /^[+-]?\d+$/.test(s(a[0])) ? BigInt(s(a[0])) : 0n;
      return m > 0x7fffffffffffffffn || m < -0x8000000000000000n ? 0n : m;
    }),
  ],
  ['int64', fn(['any'], (a) => toInt64(a[0]))],
  ['int', fn(['any'], (a) => toInt64(a[0]))],
  ['float64', fn(['any'], (a) => toFloat64(a[0]))],
  ['seq', fn([], (a) => seq(a.map((x) => n(x))), 'int')],
  [
    'toDecimal',
    fn(['any'], (a) => {
      const t = formatV(a[0]);
      return /^[+-]?[0-7]+$/.test(t)
        ? int64(BigInt(`${t.startsWith('-') ? '-' : ''}0o${t.replace(/^[+-]/, '')}`))
        : 0n;
    }),
  ],
  ['split', fn(['string', 'string'], (a) => toIndexedMap(gs.split(s(a[1]), s(a[0]))))],
  ['splitList', fn(['string', 'string'], (a) => gs.split(s(a[1]), s(a[0])))],
  ['splitn', fn(['string', 'int', 'string'], (a) => toIndexedMap(gs.split(s(a[2]), s(a[0]), n(a[1]))))],
  ['toStrings', fn(['any'], (a) => strslice(a[0]))],
  ['until', fn(['int'], (a) => untilStep(0, n(a[0]), n(a[0]) < 0 ? -1 : 1))],
  ['untilStep', fn(['int', 'int', 'int'], (a) => untilStep(n(a[0]), n(a[1]), n(a[2])))],
  ['add1', fn(['any'], (a) => int64(toInt64(a[0]) + 1n))],
  ['add', fn([], (a) => int64(a.reduce<bigint>((acc, x) => acc + toInt64(x), 0n)), 'any')],
  ['sub', fn(['any', 'any'], (a) => int64(toInt64(a[0]) - toInt64(a[1])))],
  ['div', fn(['any', 'any'], (a) => intDiv(toInt64(a[0]), toInt64(a[1]), 'div'))],
  ['mod', fn(['any', 'any'], (a) => intDiv(toInt64(a[0]), toInt64(a[1]), 'mod'))],
  [
    'mul',
    fn(['any'], (a) => int64(a.slice(1).reduce<bigint>((acc, x) => acc * toInt64(x), toInt64(a[0]))), 'any'),
  ],
  [
    'randInt',
    fn(['int', 'int'], (a) => {
      const [min, max] = [n(a[0]), n(a[1])];
      if (max - min <= 0) throw new Error('invalid argument to Intn');
      return BigInt(min + randomInt(max - min));
    }),
  ],
  ['add1f', fn(['any'], (a) => decimalOp(a[0], [1n], 'add'))],
  ['addf', fn([], (a) => decimalOp(0, a, 'add'), 'any')],
  ['subf', fn(['any'], (a) => decimalOp(a[0], a.slice(1), 'sub'), 'any')],
  ['divf', fn(['any'], (a) => decimalOp(a[0], a.slice(1), 'div'), 'any')],
  ['mulf', fn(['any'], (a) => decimalOp(a[0], a.slice(1), 'mul'), 'any')],
  ['biggest', fn(['any'], (a) => maxInt64(a), 'any')],
  ['max', fn(['any'], (a) => maxInt64(a), 'any')],
  ['min', fn(['any'], (a) => minInt64(a), 'any')],
  ['maxf', fn(['any'], (a) => a.map(toFloat64).reduce((x, y) => Math.max(x, y)), 'any')],
  ['minf', fn(['any'], (a) => a.map(toFloat64).reduce((x, y) => Math.min(x, y)), 'any')],
  ['ceil', fn(['any'], (a) => Math.ceil(toFloat64(a[0])))],
  ['floor', fn(['any'], (a) => Math.floor(toFloat64(a[0])))],
  [
    'round',
    fn(['any', 'int'], (a) => roundTo(a[0], n(a[1]), a.length > 2 ? (a[2] as number) : 0.5), 'float64'),
  ],

  // string lists
  ['join', fn(['string', 'any'], (a) => strslice(a[1]).join(s(a[0])))],
  [
    'sortAlpha',
    fn(['any'], (a) =>
      Array.isArray(a[0]) ? strslice(a[0]).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)) : [strval(a[0])],
    ),
  ],

  // defaults and JSON
  ['default', fn(['any'], (a) => (a.length < 2 || empty(a[1]) ? a[0] : a[1]), 'any')],
  ['empty', fn(['any'], (a) => empty(a[0]))],
  ['coalesce', fn([], (a) => a.find((x) => !empty(x)) ?? null, 'any')],
  ['all', fn([], (a) => a.every((x) => !empty(x)), 'any')],
  ['any', fn([], (a) => a.some((x) => !empty(x)), 'any')],
  ['compact', fn(['any'], (a) => list(a[0], 'compact').filter((x) => !empty(x)))],
  ['mustCompact', fn(['any'], (a) => list(a[0], 'compact').filter((x) => !empty(x)))],
  [
    'fromJson',
    fn(['string'], (a) => {
      try {
        return goJsonUnmarshal(s(a[0]));
      } catch {
        return null;
      }
    }),
  ],
  ['mustFromJson', fn(['string'], (a) => goJsonUnmarshal(s(a[0])))],
  [
    'toJson',
    fn(['any'], (a) => tryJson(a[0], { escapeHTML: true, sortKeys: true, floats: 'encoding/json' })),
  ],
  [
    'mustToJson',
    fn(['any'], (a) => goJsonMarshal(a[0], { escapeHTML: true, sortKeys: true, floats: 'encoding/json' })),
  ],
  [
    'toPrettyJson',
    fn(['any'], (a) =>
      tryJson(a[0], { escapeHTML: true, sortKeys: true, floats: 'encoding/json', indent: '  ' }),
    ),
  ],
  [
    'mustToPrettyJson',
    fn(['any'], (a) =>
      goJsonMarshal(a[0], { escapeHTML: true, sortKeys: true, floats: 'encoding/json', indent: '  ' }),
    ),
  ],
  [
    'toRawJson',
    fn(['any'], (a) => tryJson(a[0], { escapeHTML: false, sortKeys: true, floats: 'encoding/json' })),
  ],
  [
    'mustToRawJson',
    fn(['any'], (a) => goJsonMarshal(a[0], { escapeHTML: false, sortKeys: true, floats: 'encoding/json' })),
  ],
  ['ternary', fn(['any', 'any', 'bool'], (a) => (a[2] ? a[0] : a[1]))],
  ['deepCopy', fn(['any'], (a) => deepCopy(a[0]))],
  ['mustDeepCopy', fn(['any'], (a) => deepCopy(a[0]))],

  // reflection
  ['typeOf', fn(['any'], (a) => typeName(a[0]))],
  ['typeIs', fn(['string', 'any'], (a) => s(a[0]) === typeName(a[1]))],
  [
    'typeIsLike',
    fn(['string', 'any'], (a) => s(a[0]) === typeName(a[1]) || `*${s(a[0])}` === typeName(a[1])),
  ],
  ['kindOf', fn(['any'], (a) => kindName(a[0]))],
  ['kindIs', fn(['string', 'any'], (a) => s(a[0]) === kindName(a[1]))],
  ['deepEqual', fn(['any', 'any'], (a) => deepEqual(a[0], a[1]))],

  // environment
  ['env', fn(['string'], (a) => process.env[s(a[0])] ?? '')],
  [
    'expandenv',
    fn(['string'], (a) =>
      s(a[0]).replace(
        /\$\{([^}]*)\}|\$([A-Za-z0-9_]+|[*#$@!?-])/g,
        (_m, braced, bare) => process.env[braced ?? bare] ?? '',
      ),
    ),
  ],

  // paths
  ['base', fn(['string'], (a) => pathBase(s(a[0])))],
  ['dir', fn(['string'], (a) => pathDir(s(a[0])))],
  ['clean', fn(['string'], (a) => pathClean(s(a[0])))],
  ['ext', fn(['string'], (a) => pathExt(s(a[0])))],
  ['isAbs', fn(['string'], (a) => s(a[0]).startsWith('/'))],
  ['osBase', fn(['string'], (a) => pathBase(s(a[0])))],
  ['osClean', fn(['string'], (a) => pathClean(s(a[0])))],
  ['osDir', fn(['string'], (a) => pathDir(s(a[0])))],
  ['osExt', fn(['string'], (a) => pathExt(s(a[0])))],
  ['osIsAbs', fn(['string'], (a) => s(a[0]).startsWith('/'))],

  // encodings
  ['b64enc', fn(['string'], (a) => Buffer.from(s(a[0]), 'utf8').toString('base64'))],
  ['b64dec', fn(['string'], (a) => decodeOrMessage(s(a[0]), b64, 6, 'base64'))],
  ['b32enc', fn(['string'], (a) => base32Encode(s(a[0])))],
  ['b32dec', fn(['string'], (a) => decodeOrMessage(s(a[0]), b32, 5, 'base32'))],

  // lists and dictionaries
  ['tuple', fn([], (a) => [...a], 'any')],
  ['list', fn([], (a) => [...a], 'any')],
  [
    'dict',
    fn(
      [],
      (a) => {
        const d: GoMap = {};
        for (let i = 0; i < a.length; i += 2) d[strval(a[i])] = i + 1 < a.length ? a[i + 1] : '';
        return d;
      },
      'any',
    ),
  ],
  ['get', fn(['map', 'string'], (a) => (Object.hasOwn(asMap(a[0]), s(a[1])) ? asMap(a[0])[s(a[1])] : ''))],
  [
    'set',
    fn(['map', 'string', 'any'], (a) => {
      const d = asMap(a[0]);
      d[s(a[1])] = a[2];
      return d;
    }),
  ],
  [
    'unset',
    fn(['map', 'string'], (a) => {
      const d = asMap(a[0]);
      delete d[s(a[1])];
      return d;
    }),
  ],
  ['hasKey', fn(['map', 'string'], (a) => Object.hasOwn(asMap(a[0]), s(a[1])))],
  [
    'pluck',
    fn(
      ['string'],
      (a) => a.slice(1).flatMap((d) => (Object.hasOwn(asMap(d), s(a[0])) ? [asMap(d)[s(a[0])]] : [])),
      'map',
    ),
  ],
  ['keys', fn([], (a) => a.flatMap((d) => Object.keys(asMap(d))), 'map')],
  [
    'pick',
    fn(
      ['map'],
      (a) => {
        const d = asMap(a[0]);
        const out: GoMap = {};
        for (const k of a.slice(1) as string[]) if (Object.hasOwn(d, k)) out[k] = d[k];
        return out;
      },
      'string',
    ),
  ],
  [
    'omit',
    fn(
      ['map'],
      (a) => {
        const d = asMap(a[0]);
        const skip = new Set(a.slice(1) as string[]);
        const out: GoMap = {};
        for (const k of Object.keys(d)) if (!skip.has(k)) out[k] = d[k];
        return out;
      },
      'string',
    ),
  ],
  ...(['merge', 'mustMerge', 'mergeOverwrite', 'mustMergeOverwrite'] as const).map(
    (name): [string, GoFunc] => [
      name,
      fn(
        ['map'],
        (a) => {
          const dst = asMap(a[0]);
          for (const src of a.slice(1)) mergeInto(dst, asMap(src), name.endsWith('Overwrite'));
          return dst;
        },
        'map',
      ),
    ],
  ),
  ['values', fn(['map'], (a) => Object.values(asMap(a[0])))],
  ...listFunctions(),

  // flow control, UUIDs, random bytes
  [
    'fail',
    fn(['string'], (a) => {
      throw new Error(s(a[0]));
    }),
  ],
  ['uuidv4', fn([], () => randomUUID())],
  ['randBytes', fn(['int'], (a) => randomBytes(n(a[0])).toString('base64'))],

  // regular expressions (compiled with RE2 semantics, cached per pattern)
  [
    'regexMatch',
    fn(['string', 'string'], (a) => {
      try {
        return compile(s(a[0])).test(s(a[1]));
      } catch {
        return false;
      }
    }),
  ],
  ['mustRegexMatch', fn(['string', 'string'], (a) => mustCompile(s(a[0])).test(s(a[1])))],
  ...(['regexFindAll', 'mustRegexFindAll'] as const).map((name): [string, GoFunc] => [
    name,
    fn(['string', 'string', 'int'], (a) => findAll(mustCompile(s(a[0])), s(a[1]), n(a[2]))),
  ]),
  ...(['regexFind', 'mustRegexFind'] as const).map((name): [string, GoFunc] => [
    name,
    fn(['string', 'string'], (a) => {
      const m = mustCompile(s(a[0])).exec(s(a[1]));
      return m ? s(a[1]).slice(m.index, m.end) : '';
    }),
  ]),
  ...(['regexReplaceAll', 'mustRegexReplaceAll'] as const).map((name): [string, GoFunc] => [
    name,
    fn(['string', 'string', 'string'], (a) => mustCompile(s(a[0])).replaceAll(s(a[1]), s(a[2]))),
  ]),
  ...(['regexReplaceAllLiteral', 'mustRegexReplaceAllLiteral'] as const).map((name): [string, GoFunc] => [
    name,
    fn(['string', 'string', 'string'], (a) => mustCompile(s(a[0])).replaceAllLiteral(s(a[1]), s(a[2]))),
  ]),
  ...(['regexSplit', 'mustRegexSplit'] as const).map((name): [string, GoFunc] => [
    name,
    fn(['string', 'string', 'int'], (a) => regexSplit(mustCompile(s(a[0])), s(a[1]), n(a[2]))),
  ]),
  ['regexQuoteMeta', fn(['string'], (a) => quoteMeta(s(a[0])))],
];

function indent(spaces: number, v: string): string {
  const pad = ' '.repeat(Math.max(0, spaces));
  return pad + v.replaceAll('\n', `\n${pad}`);
}

function toIndexedMap(parts: string[]): GoMap {
  const out: GoMap = {};
  parts.forEach((p, i) => {
    out[`_${i}`] = p;
  });
  return out;
}

function tryJson(v: GoValue, opts: Parameters<typeof goJsonMarshal>[1]): string {
  try {
    return goJsonMarshal(v, opts);
  } catch {
    return '';
  }
}

function decodeOrMessage(v: string, alphabet: string, bits: 5 | 6, what: string): string {
  try {
    return decodeStrict(v, alphabet, bits, what);
  } catch (e) {
    return (e as Error).message;
  }
}

function listFunctions(): [string, GoFunc][] {
  const both = (name: string, f: GoFunc): [string, GoFunc][] => [
    [name, f],
    [`must${name[0]!.toUpperCase()}${name.slice(1)}`, f],
  ];
  const first = (v: GoValue) => {
    const l = list(v, 'find first');
    return l.length ? l[0] : null;
  };
  const last = (v: GoValue) => {
    const l = list(v, 'find last');
    return l.length ? l[l.length - 1] : null;
  };
  const push = fn(['any', 'any'], (a) => [...list(a[0], 'push'), a[1]]);
  return [
    ['append', push],
    ['push', push],
    ['mustAppend', push],
    ['mustPush', push],
    ...both(
      'prepend',
      fn(['any', 'any'], (a) => [a[1], ...list(a[0], 'prepend')]),
    ),
    ...both(
      'first',
      fn(['any'], (a) => first(a[0])),
    ),
    ...both(
      'rest',
      fn(['any'], (a) => {
        const l = list(a[0], 'find rest');
        return l.slice(1);
      }),
    ),
    ...both(
      'last',
      fn(['any'], (a) => last(a[0])),
    ),
    ...both(
      'initial',
      fn(['any'], (a) => {
        const l = list(a[0], 'find initial');
        return l.slice(0, -1);
      }),
    ),
    ...both(
      'reverse',
      fn(['any'], (a) => [...list(a[0], 'find reverse')].reverse()),
    ),
    ...both(
      'uniq',
      fn(['any'], (a) => {
        const out: GoValue[] = [];
        for (const x of list(a[0], 'find uniq')) if (!out.some((y) => deepEqual(x, y))) out.push(x);
        return out;
      }),
    ),
    ...both(
      'without',
      fn(
        ['any'],
        (a) => list(a[0], 'find without').filter((x) => !a.slice(1).some((y) => deepEqual(x, y))),
        'any',
      ),
    ),
    ...both(
      'has',
      fn(['any', 'any'], (a) => {
        if (a[1] === null || a[1] === undefined) return false;
        return list(a[1], 'find has').some((x) => deepEqual(a[0], x));
      }),
    ),
    ...both(
      'slice',
      fn(
        ['any'],
        (a) => {
          if (!Array.isArray(a[0]))
            throw new Error(`list should be type of slice or array but ${kindName(a[0])}`);
          const l = a[0];
          if (l.length === 0) return null;
          const start = a.length > 1 ? Number(toInt64(a[1])) : 0;
          const end = a.length > 2 ? Number(toInt64(a[2])) : l.length;
          if (start < 0 || end > l.length || start > end)
            throw new Error(`reflect: slice index out of range`);
          return l.slice(start, end);
        },
        'any',
      ),
    ),
    [
      'concat',
      fn(
        [],
        (a) =>
          a.flatMap((x) => {
            if (!Array.isArray(x)) throw new Error(`Cannot concat type ${kindName(x)} as list`);
            return x;
          }),
        'any',
      ),
    ],
    ['dig', fn([], (a) => dig(a), 'any')],
    ...both(
      'chunk',
      fn(['int', 'any'], (a) => {
        const size = n(a[0]);
        const l = list(a[1], 'chunk');
        const out: GoValue[] = [];
        for (let i = 0; i < l.length; i += size) out.push(l.slice(i, i + size));
        return out;
      }),
    ),
  ];
}

export const sprigFunctions: ReadonlyMap<string, GoFunc> = new Map(entries);

/** Sprig functions logferry does not implement, with the reason a config error gives. */
export const unsupportedSprig: ReadonlyMap<string, string> = new Map(
  [
    ...[
      'ago',
      'date',
      'date_in_zone',
      'date_modify',
      'dateInZone',
      'dateModify',
      'duration',
      'durationRound',
      'htmlDate',
      'htmlDateInZone',
      'must_date_modify',
      'mustDateModify',
      'mustToDate',
      'now',
      'toDate',
      'unixEpoch',
    ].map((f) => [f, 'date functions']),
    ...[
      'bcrypt',
      'htpasswd',
      'genPrivateKey',
      'derivePassword',
      'buildCustomCert',
      'genCA',
      'genCAWithKey',
      'genSelfSignedCert',
      'genSelfSignedCertWithKey',
      'genSignedCert',
      'genSignedCertWithKey',
      'encryptAES',
      'decryptAES',
    ].map((f) => [f, 'cryptographic key functions']),
    ['semver', 'semantic version functions'],
    ['semverCompare', 'semantic version functions'],
    ['getHostByName', 'network look-ups'],
    ['urlParse', 'URL functions'],
    ['urlJoin', 'URL functions'],
  ].map(([f, what]) => [f!, `function "${f}" (Sprig ${what}) is not supported by logferry`]),
);
