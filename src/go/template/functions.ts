// The function map Promtail gives its templates (template and replace stages): Go's builtins,
// every Sprig function (sprig.TxtFuncMap), then Promtail's own, which win on a name clash.

import { createHash } from 'node:crypto';
import { builtins, fn } from './builtins.js';
import type { GoFunc } from './exec.js';
import * as gs from './gostrings.js';
import { mustCompile, sprigFunctions } from './sprig.js';
import type { GoValue } from './value.js';

const s = (v: GoValue) => v as string;

const promtailExtras: [string, GoFunc][] = [
  ['ToLower', fn(['string'], (a) => gs.toLower(s(a[0])))],
  ['ToUpper', fn(['string'], (a) => gs.toUpper(s(a[0])))],
  [
    'Replace',
    fn(['string', 'string', 'string', 'int'], (a) => gs.replace(s(a[0]), s(a[1]), s(a[2]), Number(a[3]))),
  ],
  ['Trim', fn(['string', 'string'], (a) => gs.trim(s(a[0]), s(a[1])))],
  ['TrimLeft', fn(['string', 'string'], (a) => gs.trimLeft(s(a[0]), s(a[1])))],
  ['TrimRight', fn(['string', 'string'], (a) => gs.trimRight(s(a[0]), s(a[1])))],
  ['TrimPrefix', fn(['string', 'string'], (a) => gs.trimPrefix(s(a[0]), s(a[1])))],
  ['TrimSuffix', fn(['string', 'string'], (a) => gs.trimSuffix(s(a[0]), s(a[1])))],
  ['TrimSpace', fn(['string'], (a) => gs.trimSpace(s(a[0])))],
  // Hash salt input: the hex SHA3-256 (Sha2Hash: SHA-256) of salt followed by input.
  [
    'Hash',
    fn(['string', 'string'], (a) =>
      createHash('sha3-256')
        .update(s(a[0]) + s(a[1]), 'utf8')
        .digest('hex'),
    ),
  ],
  [
    'Sha2Hash',
    fn(['string', 'string'], (a) =>
      createHash('sha256')
        .update(s(a[0]) + s(a[1]), 'utf8')
        .digest('hex'),
    ),
  ],
  [
    'regexReplaceAll',
    fn(['string', 'string', 'string'], (a) => mustCompile(s(a[0])).replaceAll(s(a[1]), s(a[2]))),
  ],
  [
    'regexReplaceAllLiteral',
    fn(['string', 'string', 'string'], (a) => mustCompile(s(a[0])).replaceAllLiteral(s(a[1]), s(a[2]))),
  ],
];

/** Builtins, Sprig, and Promtail's functions, as Promtail's template and replace stages see them. */
export const promtailFunctions: ReadonlyMap<string, GoFunc> = new Map([
  ...builtins,
  ...sprigFunctions,
  ...promtailExtras,
]);
