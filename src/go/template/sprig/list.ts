// Sprig's list functions (list.go); each `mustX` twin behaves as `x` here.

import { fn } from '../builtins.js';
import type { GoFunc } from '../exec.js';
import { deepEqual, type GoValue } from '../value.js';
import { kindName, list, n, toInt64 } from './cast.js';
import { dig } from './dict.js';

export function listFunctions(): [string, GoFunc][] {
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
