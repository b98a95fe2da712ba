// Sprig's string functions (strings.go, with the goutils and xstrings helpers it calls) and string lists.

import { createHash, randomInt } from 'node:crypto';
import { fn } from '../builtins.js';
import type { GoFunc } from '../exec.js';
import * as gs from '../gostrings.js';
import { quote as goQuote } from '../strconv.js';
import { formatV, type GoMap, sprintf } from '../value.js';
import { n, s, strslice, strval } from './cast.js';
import { adler32 } from './encoding.js';

// ---- goutils / xstrings string helpers ---------------------------------------------------------

export function abbreviateFull(str: string, offset: number, maxWidth: number): string {
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

export function wrapCustom(str: string, wrapLength: number, newLine: string, wrapLongWords: boolean): string {
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
export function words(str: string): string[] {
  return str
    .replace(/([\p{Ll}\p{Nd}])(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
    .split(/[^\p{L}\p{Nd}]+/u)
    .filter((w) => w !== '');
}

export function randomFrom(alphabet: string, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const digits = '0123456789';
export const ascii = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');

export function indent(spaces: number, v: string): string {
  const pad = ' '.repeat(Math.max(0, spaces));
  return pad + v.replaceAll('\n', `\n${pad}`);
}

export function toIndexedMap(parts: string[]): GoMap {
  const out: GoMap = {};
  parts.forEach((p, i) => {
    out[`_${i}`] = p;
  });
  return out;
}

export const stringFunctions: [string, GoFunc][] = [
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
  // Sprig 3.3.0 (Promtail 3.4 and later).
  ['sha512sum', fn(['string'], (a) => createHash('sha512').update(s(a[0]), 'utf8').digest('hex'))],
  ['adler32sum', fn(['string'], (a) => String(adler32(s(a[0]))))],
  ['toString', fn(['any'], (a) => strval(a[0]))],

  // string lists
  ['join', fn(['string', 'any'], (a) => strslice(a[1]).join(s(a[0])))],
  [
    'sortAlpha',
    fn(['any'], (a) =>
      Array.isArray(a[0]) ? strslice(a[0]).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)) : [strval(a[0])],
    ),
  ],
];
