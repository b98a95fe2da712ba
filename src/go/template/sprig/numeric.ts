// Sprig's numeric functions (numeric.go): conversions, integer and float arithmetic (floats with
// shopspring/decimal as addf/subf/mulf/divf use it), sequences and rounding.

import { randomInt } from 'node:crypto';
import { fn } from '../builtins.js';
import type { GoFunc } from '../exec.js';
import * as gs from '../gostrings.js';
import { shortestDigits } from '../strconv.js';
import { formatV, type GoValue } from '../value.js';
import { int64, n, s, strslice, toFloat64, toInt64 } from './cast.js';
import { toIndexedMap } from './strings.js';

// ---- decimal arithmetic (shopspring/decimal, which Sprig's addf/subf/mulf/divf use) -----------

interface Dec {
  c: bigint;
  e: number;
}

export function decFromFloat(f: number): Dec {
  if (!Number.isFinite(f))
    throw new Error(`Cannot create a Decimal from ${Number.isNaN(f) ? 'NaN' : f > 0 ? '+Inf' : '-Inf'}`);
  const d = shortestDigits(Math.abs(f));
  if (d.d === '') return { c: 0n, e: 0 };
  const c = BigInt(d.d);
  return { c: f < 0 ? -c : c, e: d.dp - d.d.length };
}

export function align(a: Dec, b: Dec): [bigint, bigint, number] {
  const e = Math.min(a.e, b.e);
  return [a.c * 10n ** BigInt(a.e - e), b.c * 10n ** BigInt(b.e - e), e];
}

export const decOps: Record<'add' | 'sub' | 'mul' | 'div', (a: Dec, b: Dec) => Dec> = {
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

export function decToFloat(d: Dec): number {
  return Number(`${d.c}e${d.e}`);
}

export function decimalOp(first: GoValue, rest: GoValue[], op: keyof typeof decOps): number {
  let acc = decFromFloat(toFloat64(first));
  for (const x of rest) acc = decOps[op](acc, decFromFloat(toFloat64(x)));
  return decToFloat(acc);
}

// ---- numbers -----------------------------------------------------------------------------------

export function untilStep(start: number, stop: number, step: number): bigint[] {
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

export function seq(params: number[]): string {
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

export function roundTo(a: GoValue, places: number, roundOn = 0.5): number {
  const val = toFloat64(a);
  const pow = 10 ** places;
  const digit = pow * val;
  const frac = digit - Math.trunc(digit);
  const r = frac >= roundOn ? Math.ceil(digit) : Math.floor(digit);
  return r / pow;
}

export function maxInt64(values: GoValue[]): bigint {
  let best = toInt64(values[0]);
  for (const v of values) {
    const x = toInt64(v);
    if (x > best) best = x;
  }
  return best;
}

export function minInt64(values: GoValue[]): bigint {
  let best = toInt64(values[0]);
  for (const v of values) {
    const x = toInt64(v);
    if (x < best) best = x;
  }
  return best;
}

export function intDiv(a: bigint, b: bigint, op: 'div' | 'mod'): bigint {
  if (b === 0n) throw new Error('runtime error: integer divide by zero');
  return op === 'div' ? int64(a / b) : a % b;
}

export const numericFunctions: [string, GoFunc][] = [
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
];
