// Sprig's defaults, JSON, reflection and environment functions (defaults.go, reflect.go).

import { fn } from '../builtins.js';
import type { GoFunc } from '../exec.js';
import { goJsonMarshal, goJsonUnmarshal } from '../json.js';
import { deepEqual, type GoValue, typeName } from '../value.js';
import { empty, kindName, list, s } from './cast.js';
import { deepCopy } from './dict.js';

export function tryJson(v: GoValue, opts: Parameters<typeof goJsonMarshal>[1]): string {
  try {
    return goJsonMarshal(v, opts);
  } catch {
    return '';
  }
}

export const defaultFunctions: [string, GoFunc][] = [
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
];
