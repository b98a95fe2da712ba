// Sprig's flow control, UUID and random byte functions (crypto.go, functions.go).

import { randomBytes, randomUUID } from 'node:crypto';
import { fn } from '../builtins.js';
import type { GoFunc } from '../exec.js';
import { n, s } from './cast.js';

export const cryptoFunctions: [string, GoFunc][] = [
  // flow control, UUIDs, random bytes
  [
    'fail',
    fn(['string'], (a) => {
      throw new Error(s(a[0]));
    }),
  ],
  ['uuidv4', fn([], () => randomUUID())],
  ['randBytes', fn(['int'], (a) => randomBytes(n(a[0])).toString('base64'))],
];
