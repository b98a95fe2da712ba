// The functions every Go template has (text/template's builtins), with Go's results and errors.

import type { GoFunc, ParamType } from './exec.js';
import { isPrint } from './strconv.js';
import {
  compareStrings,
  formatV,
  type GoValue,
  goLen,
  isGoMap,
  isTrue,
  kindOf,
  mapGet,
  sprint,
  sprintf,
  sprintln,
  typeName,
} from './value.js';

/** Declares a function with Go parameter types. */
export function fn(
  params: readonly ParamType[],
  call: (a: GoValue[]) => GoValue,
  variadic?: ParamType,
): GoFunc {
  return variadic ? { params, call, variadic } : { params, call };
}

type BasicKind = 'bool' | 'int' | 'float' | 'string' | 'invalid';

function basicKind(v: GoValue): BasicKind {
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'string';
    default:
      return 'invalid';
  }
}

/** Go's template `eq` (arg1 == any of the others). */
export function eq(arg1: GoValue, others: GoValue[]): boolean {
  if (arg1 === null) arg1 = undefined;
  if (others.length === 0) throw new Error('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (let arg of others) {
    if (arg === null) arg = undefined;
    const k2 = basicKind(arg);
    let truth = false;
    if (k1 !== k2) {
      if (arg1 !== undefined && arg !== undefined)
        throw new Error(`incompatible types for comparison: ${typeName(arg1)} and ${typeName(arg)}`);
    } else if (k1 !== 'invalid') {
      truth = arg1 === arg;
    } else {
      // Neither is a basic kind: nil compares with nil; slices and maps do not compare.
      const n1 = arg1 === undefined;
      const n2 = arg === undefined;
      if (n1 || n2) truth = n1 === n2;
      else if (kindOf(arg1) !== kindOf(arg))
        throw new Error(
          `non-comparable types ${formatV(arg1)}: ${typeName(arg1)}, ${typeName(arg)}: ${formatV(arg)}`,
        );
      else throw new Error(`non-comparable type ${formatV(arg)}: ${typeName(arg)}`);
    }
    if (truth) return true;
  }
  return false;
}

/** Go's template `lt`. */
export function lt(a: GoValue, b: GoValue): boolean {
  const k1 = basicKind(a === null ? undefined : a);
  if (k1 === 'invalid') throw new Error('invalid type for comparison');
  const k2 = basicKind(b === null ? undefined : b);
  if (k2 === 'invalid') throw new Error('invalid type for comparison');
  if (k1 !== k2) throw new Error(`incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`);
  if (k1 === 'bool') throw new Error('invalid type for comparison');
  if (k1 === 'string') return compareStrings(a as string, b as string) < 0;
  return (a as number | bigint) < (b as number | bigint);
}

function le(a: GoValue, b: GoValue): boolean {
  return lt(a, b) || eq(a, [b]);
}

/** fmt.Sprint with text/template's printableValue: a missing value prints as `<no value>`. */
function evalArgs(args: GoValue[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  let out = '';
  let prevString = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const isString = typeof a === 'string' || a === null || a === undefined;
    if (i > 0 && !isString && !prevString) out += ' ';
    out += a === null || a === undefined ? '<no value>' : formatV(a);
    prevString = isString;
  }
  return out;
}

/** text/template's HTMLEscapeString. */
export function htmlEscape(s: string): string {
  if (!/['"&<>\0]/.test(s)) return s;
  return s.replace(/['"&<>\0]/g, (c) =>
    c === "'"
      ? '&#39;'
      : c === '"'
        ? '&#34;'
        : c === '&'
          ? '&amp;'
          : c === '<'
            ? '&lt;'
            : c === '>'
              ? '&gt;'
              : '\ufffd',
  );
}

/** text/template's JSEscapeString. */
export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '\\':
        out += '\\\\';
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case '<':
        out += '\\u003C';
        continue;
      case '>':
        out += '\\u003E';
        continue;
      case '&':
        out += '\\u0026';
        continue;
      case '=':
        out += '\\u003D';
        continue;
    }
    if (cp < 0x20) out += `\\u00${cp.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (cp < 0x80 || isPrint(cp)) out += ch;
    else out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return out;
}

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function indexArg(index: GoValue, cap: number): number {
  if (index === undefined || index === null) throw new Error('cannot index slice/array with nil');
  if (typeof index !== 'bigint') throw new Error(`cannot index slice/array with type ${typeName(index)}`);
  if (index < 0n || index > BigInt(cap)) throw new Error(`index out of range: ${index}`);
  return Number(index);
}

function bytesOf(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function index(item: GoValue, indexes: GoValue[]): GoValue {
  if (item === undefined || item === null) throw new Error('index of untyped nil');
  for (const idx of indexes) {
    if (item === undefined || item === null) throw new Error('index of nil pointer');
    if (typeof item === 'string') {
      const bytes: Buffer | undefined = isAscii(item) ? undefined : bytesOf(item);
      const len = bytes ? bytes.length : item.length;
      const x = indexArg(idx, len);
      if (x >= len) throw new Error('reflect: string index out of range');
      item = BigInt(bytes ? bytes[x]! : item.charCodeAt(x));
    } else if (Array.isArray(item) || item instanceof Uint8Array) {
      const x = indexArg(idx, item.length);
      if (x >= item.length) throw new Error('reflect: slice index out of range');
      const v: GoValue = item[x] as GoValue;
      item = typeof v === 'number' && item instanceof Uint8Array ? BigInt(v) : v;
    } else if (isGoMap(item)) {
      if (idx === undefined || idx === null) throw new Error('value is nil; should be of type string');
      if (typeof idx !== 'string') throw new Error(`value has type ${typeName(idx)}; should be string`);
      const v = mapGet(item, idx);
      item = v === undefined ? null : v;
    } else {
      throw new Error(`can't index item of type ${typeName(item)}`);
    }
  }
  return item;
}

function slice(item: GoValue, indexes: GoValue[]): GoValue {
  if (item === undefined || item === null) throw new Error('slice of untyped nil');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  let len: number;
  let bytes: Buffer | undefined;
  if (typeof item === 'string') {
    if (indexes.length === 3) throw new Error('cannot 3-index slice a string');
    bytes = isAscii(item) ? undefined : bytesOf(item);
    len = bytes ? bytes.length : item.length;
  } else if (Array.isArray(item) || item instanceof Uint8Array) {
    len = item.length;
  } else throw new Error(`can't slice item of type ${typeName(item)}`);
  const idx = [0, len, len];
  indexes.forEach((v, i) => {
    idx[i] = indexArg(v, len);
  });
  if (idx[0]! > idx[1]!) throw new Error(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!)
    throw new Error(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (typeof item === 'string')
    return bytes ? bytes.subarray(idx[0], idx[1]).toString('utf8') : item.slice(idx[0], idx[1]);
  return item.slice(idx[0], idx[1]) as GoValue;
}

function length(item: GoValue): bigint {
  if (item === null) throw new Error('len of nil pointer');
  if (item === undefined) throw new Error('reflect: call of reflect.Value.Type on zero Value');
  const n = goLen(item);
  if (n === undefined) throw new Error(`len of type ${typeName(item)}`);
  return BigInt(n);
}

export const builtins: ReadonlyMap<string, GoFunc> = new Map<string, GoFunc>([
  ['and', { params: ['value'], variadic: 'value', shortCircuit: 'and', call: () => undefined }],
  ['or', { params: ['value'], variadic: 'value', shortCircuit: 'or', call: () => undefined }],
  [
    'call',
    fn(
      ['value'],
      (a) => {
        const f = a[0];
        if (f === undefined || f === null) throw new Error('call of nil');
        throw new Error(`non-function of type ${typeName(f)}`);
      },
      'value',
    ),
  ],
  ['html', fn([], (a) => htmlEscape(evalArgs(a)), 'any')],
  ['js', fn([], (a) => jsEscape(evalArgs(a)), 'any')],
  ['urlquery', fn([], (a) => queryEscape(evalArgs(a)), 'any')],
  ['index', fn(['value'], (a) => index(a[0], a.slice(1)), 'value')],
  ['slice', fn(['value'], (a) => slice(a[0], a.slice(1)), 'value')],
  ['len', fn(['value'], (a) => length(a[0]))],
  ['not', fn(['value'], (a) => !isTrue(a[0]))],
  ['print', fn([], (a) => sprint(a), 'any')],
  ['printf', fn(['string'], (a) => sprintf(a[0] as string, a.slice(1)), 'any')],
  ['println', fn([], (a) => sprintln(a), 'any')],
  ['eq', fn(['value'], (a) => eq(a[0], a.slice(1)), 'value')],
  ['ne', fn(['value', 'value'], (a) => !eq(a[0], [a[1]]))],
  ['lt', fn(['value', 'value'], (a) => lt(a[0], a[1]))],
  ['le', fn(['value', 'value'], (a) => le(a[0], a[1]))],
  ['gt', fn(['value', 'value'], (a) => !le(a[0], a[1]))],
  ['ge', fn(['value', 'value'], (a) => !lt(a[0], a[1]))],
]);
