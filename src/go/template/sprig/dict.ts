// Sprig's dictionary functions (dict.go) and the list constructors.

import { fn } from '../builtins.js';
import type { GoFunc } from '../exec.js';
import { type GoMap, type GoValue, isGoMap, typeName } from '../value.js';
import { empty, s, strval } from './cast.js';

// ---- dictionaries ------------------------------------------------------------------------------

export function asMap(v: GoValue): GoMap {
  return v === null || v === undefined ? {} : (v as GoMap);
}

export function mergeInto(dst: GoMap, src: GoMap, overwrite: boolean): void {
  for (const k of Object.keys(src)) {
    const sv = src[k];
    const dv = Object.hasOwn(dst, k) ? dst[k] : undefined;
    if (isGoMap(dv) && isGoMap(sv)) mergeInto(dv, sv, overwrite);
    else if (dv === undefined || empty(dv) || (overwrite && !empty(sv))) dst[k] = sv;
  }
}

export function deepCopy(v: GoValue): GoValue {
  if (Array.isArray(v)) return v.map(deepCopy);
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (isGoMap(v)) {
    const out: GoMap = {};
    for (const k of Object.keys(v)) out[k] = deepCopy(v[k]);
    return out;
  }
  return v;
}

export function dig(args: GoValue[]): GoValue {
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

export const dictFunctions: [string, GoFunc][] = [
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
];
