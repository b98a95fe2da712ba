// Sprig's path functions (Go's path package; the os* ones as on Linux).

import { fn } from '../builtins.js';
import type { GoFunc } from '../exec.js';
import { s } from './cast.js';

// ---- paths (Go's path package) ----------------------------------------------------------------

export function pathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p[0] === '/';
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

export function pathBase(p: string): string {
  if (p === '') return '.';
  p = p.replace(/\/+$/, '');
  const i = p.lastIndexOf('/');
  if (i >= 0) p = p.slice(i + 1);
  return p === '' ? '/' : p;
}

export function pathDir(p: string): string {
  const i = p.lastIndexOf('/');
  return pathClean(p.slice(0, i + 1));
}

export function pathExt(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== '/'; i--) if (p[i] === '.') return p.slice(i);
  return '';
}

export const pathFunctions: [string, GoFunc][] = [
  // paths
  ['base', fn(['string'], (a) => pathBase(s(a[0])))],
  ['dir', fn(['string'], (a) => pathDir(s(a[0])))],
  ['clean', fn(['string'], (a) => pathClean(s(a[0])))],
  ['ext', fn(['string'], (a) => pathExt(s(a[0])))],
  ['isAbs', fn(['string'], (a) => s(a[0]).startsWith('/'))],
  ['osBase', fn(['string'], (a) => pathBase(s(a[0])))],
  ['osClean', fn(['string'], (a) => pathClean(s(a[0])))],
  ['osDir', fn(['string'], (a) => pathDir(s(a[0])))],
  ['osExt', fn(['string'], (a) => pathExt(s(a[0])))],
  ['osIsAbs', fn(['string'], (a) => s(a[0]).startsWith('/'))],
];
