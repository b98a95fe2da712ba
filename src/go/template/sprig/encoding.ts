// Sprig's encodings: base64, base32 (strict decoding, errors as Go words them) and adler32.

import { fn } from '../builtins.js';
import type { GoFunc } from '../exec.js';
import { s } from './cast.js';

// ---- encodings ---------------------------------------------------------------------------------

export const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
export const b32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Decodes padded standard base64/base32 as Go does, with Go's error for the first bad byte. */
export function decodeStrict(input: string, alphabet: string, bitsPerChar: 5 | 6, what: string): string {
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

export function base32Encode(str: string): string {
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

export function adler32(str: string): number {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(str, 'utf8')) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return (b * 65536 + a) >>> 0;
}

export function decodeOrMessage(v: string, alphabet: string, bits: 5 | 6, what: string): string {
  try {
    return decodeStrict(v, alphabet, bits, what);
  } catch (e) {
    return (e as Error).message;
  }
}

export const encodingFunctions: [string, GoFunc][] = [
  // encodings
  ['b64enc', fn(['string'], (a) => Buffer.from(s(a[0]), 'utf8').toString('base64'))],
  ['b64dec', fn(['string'], (a) => decodeOrMessage(s(a[0]), b64, 6, 'base64'))],
  ['b32enc', fn(['string'], (a) => base32Encode(s(a[0])))],
  ['b32dec', fn(['string'], (a) => decodeOrMessage(s(a[0]), b32, 5, 'base32'))],
];
