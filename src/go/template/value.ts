// Go values as the template engine sees them, and Go's fmt printing of them (Sprint, Sprintln,
// Sprintf), so that `{{ . }}`, `print` and `printf` write exactly what Go writes.
//
// The mapping: string → string, bool → boolean, float64 → number, every Go integer type → bigint,
// nil → null, []interface{} → array, map[string]interface{} → plain object, []byte → Uint8Array.
// `undefined` is Go's invalid reflect.Value: a missing map key, which prints as `<no value>`.

import { canBackquote, formatFloat, formatFloatV, quote } from './strconv.js';

export type GoMap = { [key: string]: GoValue };
export type GoValue = string | number | bigint | boolean | null | undefined | GoValue[] | GoMap | Uint8Array;

export type Kind = 'invalid' | 'nil' | 'string' | 'bool' | 'int' | 'float' | 'slice' | 'map' | 'bytes';

export function kindOf(v: GoValue): Kind {
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'float';
    case 'bigint':
      return 'int';
    case 'boolean':
      return 'bool';
    case 'undefined':
      return 'invalid';
    default:
      if (v === null) return 'nil';
      if (Array.isArray(v)) return 'slice';
      if (v instanceof Uint8Array) return 'bytes';
      return 'map';
  }
}

export function isGoMap(v: GoValue): v is GoMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** The Go type name, as %T and error messages print it. */
export function typeName(v: GoValue): string {
  switch (kindOf(v)) {
    case 'string':
      return 'string';
    case 'float':
      return 'float64';
    case 'int':
      return 'int';
    case 'bool':
      return 'bool';
    case 'slice':
      return '[]interface {}';
    case 'map':
      return 'map[string]interface {}';
    case 'bytes':
      return '[]uint8';
    default:
      return '<nil>';
  }
}

/** A map value by key; undefined (invalid) when absent, never an inherited property. */
export function mapGet(m: GoMap, key: string): GoValue {
  return Object.hasOwn(m, key) ? m[key] : undefined;
}

/** Go's map iteration order for printing and range: keys sorted. */
export function sortedKeys(m: GoMap): string[] {
  return Object.keys(m).sort(compareStrings);
}

/** Byte-wise (UTF-8) string order, as Go compares strings. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  // UTF-16 order differs from UTF-8 order only for code points above U+FFFF vs U+E000..U+FFFF.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy && (x >= 0xe000 || y >= 0xe000)) return sx ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Go's template truth: the zero value of its type is false. `ok` is false for kinds with none. */
export function isTrue(v: GoValue): boolean {
  switch (typeof v) {
    case 'string':
      return v.length > 0;
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    case 'bigint':
      return v !== 0n;
    case 'undefined':
      return false;
    default:
      if (v === null) return false;
      if (Array.isArray(v) || v instanceof Uint8Array) return v.length > 0;
      for (const k in v) if (Object.hasOwn(v, k)) return true;
      return false;
  }
}

/** The length Go's len gives: bytes for strings. */
export function goLen(v: GoValue): number | undefined {
  if (typeof v === 'string') return utf8Length(v);
  if (Array.isArray(v) || v instanceof Uint8Array) return v.length;
  if (isGoMap(v)) return Object.keys(v).length;
  return undefined;
}

export function utf8Length(s: string): number {
  // Fast path: pure ASCII has as many bytes as UTF-16 units.
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8');
  return s.length;
}

/** Deep equality as reflect.DeepEqual sees these values. */
export function deepEqual(a: GoValue, b: GoValue): boolean {
  if (a === b) return true;
  const ka = kindOf(a);
  if (ka !== kindOf(b)) return false;
  if (ka === 'float') return a === b;
  if (ka === 'slice' || ka === 'bytes') {
    const x = a as ArrayLike<GoValue>;
    const y = b as ArrayLike<GoValue>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!deepEqual(x[i], y[i])) return false;
    return true;
  }
  if (ka === 'map') {
    const x = a as GoMap;
    const y = b as GoMap;
    const keys = Object.keys(x);
    if (keys.length !== Object.keys(y).length) return false;
    return keys.every((k) => Object.hasOwn(y, k) && deepEqual(x[k], y[k]));
  }
  return false;
}

// ---- fmt -------------------------------------------------------------------------------------

/** fmt's %v of one value (no flags). */
export function formatV(v: GoValue): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'bigint':
      return v.toString();
    case 'number':
      return formatFloatV(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return '<nil>';
    default:
      if (v === null) return '<nil>';
      if (Array.isArray(v) || v instanceof Uint8Array) {
        let out = '[';
        for (let i = 0; i < v.length; i++) out += (i ? ' ' : '') + formatV(v[i] as GoValue);
        return `${out}]`;
      }
      return `map[${sortedKeys(v)
        .map((k) => `${k}:${formatV(v[k])}`)
        .join(' ')}]`;
  }
}

/** fmt.Sprint: operands are separated by a space when neither side is a string. */
export function sprint(args: GoValue[]): string {
  let out = '';
  let prevString = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const isString = typeof a === 'string';
    if (i > 0 && !isString && !prevString) out += ' ';
    out += formatV(a);
    prevString = isString;
  }
  return out;
}

/** fmt.Sprintln: operands always separated by spaces, newline appended. */
export function sprintln(args: GoValue[]): string {
  return `${args.map(formatV).join(' ')}\n`;
}

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  prec: number | undefined;
}

function pad(s: string, f: Flags, zeroOk = true): string {
  if (f.width === undefined) return s;
  const n = [...s].length;
  if (n >= f.width) return s;
  const fill = f.width - n;
  if (f.minus) return s + ' '.repeat(fill);
  if (f.zero && zeroOk) {
    // Zeros go after a sign.
    if (s[0] === '-' || s[0] === '+' || s[0] === ' ') return s[0] + '0'.repeat(fill) + s.slice(1);
    return '0'.repeat(fill) + s;
  }
  return ' '.repeat(fill) + s;
}

function badVerb(verb: string, v: GoValue): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(v)}=${formatV(v)})`;
}

function fmtInt(v: bigint, verb: string, f: Flags): string {
  const neg = v < 0n;
  const abs = neg ? -v : v;
  let digits: string;
  let prefix = '';
  switch (verb) {
    case 'd':
    case 'v':
      digits = abs.toString(10);
      break;
    case 'b':
      digits = abs.toString(2);
      if (f.sharp) prefix = '0b';
      break;
    case 'o':
    case 'O':
      digits = abs.toString(8);
      if (verb === 'O') prefix = '0o';
      else if (f.sharp && digits !== '0') prefix = '0';
      break;
    case 'x':
      digits = abs.toString(16);
      if (f.sharp) prefix = '0x';
      break;
    case 'X':
      digits = abs.toString(16).toUpperCase();
      if (f.sharp) prefix = '0X';
      break;
    case 'c':
      return pad(
        String.fromCodePoint(Number(v) >= 0 && Number(v) <= 0x10ffff ? Number(v) : 0xfffd),
        f,
        false,
      );
    case 'q':
      return pad(
        quote(
          String.fromCodePoint(Number(v) >= 0 && Number(v) <= 0x10ffff ? Number(v) : 0xfffd),
          f.plus,
          "'",
        ),
        f,
        false,
      );
    case 'U': {
      const h = abs.toString(16).toUpperCase().padStart(4, '0');
      let s = `U+${h}`;
      if (f.sharp && v >= 0n && v <= 0x10ffffn) s += ` '${String.fromCodePoint(Number(v))}'`;
      return pad(s, f, false);
    }
    default:
      return badVerb(verb, v);
  }
  let prec = f.prec;
  if (prec === undefined && f.zero && !f.minus && f.width !== undefined) {
    prec = f.width - prefix.length - (neg || f.plus || f.space ? 1 : 0);
  }
  if (prec !== undefined) {
    if (prec === 0 && abs === 0n) digits = '';
    else if (digits.length < prec) digits = '0'.repeat(prec - digits.length) + digits;
  }
  const sign = neg ? '-' : f.plus ? '+' : f.space ? ' ' : '';
  return pad(sign + prefix + digits, { ...f, zero: false });
}

function fmtFloatVerb(v: number, verb: string, f: Flags): string {
  let s: string;
  switch (verb) {
    case 'v':
    case 'g':
      s = formatFloat(v, 'g', f.prec ?? -1);
      break;
    case 'G':
      s = formatFloat(v, 'G', f.prec ?? -1);
      break;
    case 'e':
    case 'E':
      s = formatFloat(v, verb, f.prec ?? 6);
      break;
    case 'f':
    case 'F':
      s = formatFloat(v, 'f', f.prec ?? 6);
      break;
    default:
      return badVerb(verb, v);
  }
  if (s === '+Inf' && !f.plus) s = f.space ? ' Inf' : 'Inf';
  else if (f.plus && s[0] !== '-' && s[0] !== '+') s = `+${s}`;
  else if (f.space && s[0] !== '-' && s[0] !== '+') s = ` ${s}`;
  const finite = Number.isFinite(v);
  return pad(s, f, finite);
}

function fmtString(s: string, verb: string, f: Flags): string {
  if (f.prec !== undefined && (verb === 's' || verb === 'v' || verb === 'q'))
    s = [...s].slice(0, f.prec).join('');
  switch (verb) {
    case 's':
    case 'v':
      return pad(s, f);
    case 'q':
      return pad(f.sharp && canBackquote(s) ? `\`${s}\`` : quote(s, f.plus), f);
    case 'x':
    case 'X': {
      const bytes = Buffer.from(s, 'utf8');
      const parts: string[] = [];
      for (const b of bytes) {
        let h = b.toString(16).padStart(2, '0');
        if (verb === 'X') h = h.toUpperCase();
        if (f.sharp && (f.space || parts.length === 0)) h = (verb === 'X' ? '0X' : '0x') + h;
        parts.push(h);
      }
      return pad(parts.join(f.space ? ' ' : ''), f);
    }
    default:
      return badVerb(verb, s);
  }
}

/** Formats one operand for one verb. */
function formatArg(v: GoValue, verb: string, f: Flags): string {
  if (verb === 'T') return pad(typeName(v), f);
  if (v === null || v === undefined) return verb === 'v' ? pad('<nil>', f) : badVerb(verb, v);
  switch (typeof v) {
    case 'string':
      return fmtString(v, verb, f);
    case 'boolean':
      return verb === 't' || verb === 'v' ? pad(v ? 'true' : 'false', f) : badVerb(verb, v);
    case 'bigint':
      return fmtInt(v, verb, f);
    case 'number':
      return fmtFloatVerb(v, verb, f);
  }
  if (v instanceof Uint8Array) {
    if (verb === 's' || verb === 'q' || verb === 'x' || verb === 'X')
      return fmtString(Buffer.from(v).toString('utf8'), verb, f);
  }
  if (Array.isArray(v) || v instanceof Uint8Array) {
    const items: string[] = [];
    for (const item of v)
      items.push(
        formatArg(
          typeof item === 'number' && v instanceof Uint8Array ? BigInt(item) : (item as GoValue),
          verb,
          f,
        ),
      );
    return `[${items.join(' ')}]`;
  }
  return `map[${sortedKeys(v)
    .map((k) => `${formatArg(k, verb, f)}:${formatArg(v[k], verb, f)}`)
    .join(' ')}]`;
}

/** fmt.Sprintf, with Go's error notations (%!d(string=x), %!d(MISSING), %!(EXTRA ...)). */
export function sprintf(format: string, args: GoValue[]): string {
  let out = '';
  let argNum = 0;
  let reordered = false;
  const n = format.length;
  let i = 0;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f: Flags = {
      plus: false,
      minus: false,
      sharp: false,
      space: false,
      zero: false,
      width: undefined,
      prec: undefined,
    };
    flags: for (; i < n; i++) {
      switch (format[i]) {
        case '#':
          f.sharp = true;
          break;
        case '0':
          f.zero = !f.minus;
          break;
        case '+':
          f.plus = true;
          break;
        case '-':
          f.minus = true;
          f.zero = false;
          break;
        case ' ':
          f.space = true;
          break;
        default:
          break flags;
      }
    }
    const argIndex = (): void => {
      if (format[i] !== '[') return;
      const close = format.indexOf(']', i);
      const idx = close > 0 ? Number(format.slice(i + 1, close)) : Number.NaN;
      if (Number.isInteger(idx) && idx >= 1) {
        argNum = idx - 1;
        reordered = true;
        i = close + 1;
      }
    };
    argIndex();
    let badWidth = false;
    if (format[i] === '*') {
      i++;
      const w = args[argNum++];
      if (typeof w === 'bigint') {
        f.width = Number(w);
        if (f.width < 0) {
          f.minus = true;
          f.zero = false;
          f.width = -f.width;
        }
      } else badWidth = true;
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) {
        f.width = Number(m[0]);
        i += m[0].length;
      }
    }
    let badPrec = false;
    if (format[i] === '.') {
      i++;
      argIndex();
      if (format[i] === '*') {
        i++;
        const p = args[argNum++];
        if (typeof p === 'bigint' && p >= 0n) f.prec = Number(p);
        else badPrec = true;
      } else {
        const m = /^\d+/.exec(format.slice(i));
        f.prec = m ? Number(m[0]) : 0;
        if (m) i += m[0].length;
      }
    }
    argIndex();
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (badWidth) out += '%!(BADWIDTH)';
    if (badPrec) out += '%!(BADPREC)';
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argNum++];
    if (verb === 'w') out += formatArg(arg, 'v', f);
    else out += formatArg(arg, verb, f);
  }
  if (!reordered && argNum < args.length) {
    out += `%!(EXTRA ${args
      .slice(argNum)
      .map((a) => (a === null || a === undefined ? '<nil>' : `${typeName(a)}=${formatV(a)}`))
      .join(', ')})`;
  }
  return out;
}
