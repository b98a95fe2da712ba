// Sprig's conversions (spf13/cast, as Sprig uses it) and the argument helpers every family uses.

import { parseGoFloat, parseGoInt } from '../strconv.js';
import { formatV, type GoValue, kindOf } from '../value.js';

export const s = (v: GoValue) => v as string;
export const n = (v: GoValue) => Number(v as bigint);

// ---- conversions (spf13/cast, as Sprig uses it) ------------------------------------------------

export function trimZeroDecimal(x: string): string {
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

export function floatToInt64(f: number): bigint {
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

export function strslice(v: GoValue): string[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.filter((x) => x !== null && x !== undefined).map(strval);
  return [strval(v)];
}

export function list(v: GoValue, what: string): GoValue[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Uint8Array) return [...v].map((b) => BigInt(b));
  throw new Error(`Cannot ${what} on type ${kindName(v)}`);
}

export function kindName(v: GoValue): string {
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

export function int64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}
