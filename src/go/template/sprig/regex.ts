// Sprig's regular expression functions (regex.go), compiled with RE2 semantics and cached per pattern.

import { Regex } from '../../../regex/regex.js';
import { fn } from '../builtins.js';
import type { GoFunc } from '../exec.js';
import { canBackquote, quote as goQuote } from '../strconv.js';
import { n, s } from './cast.js';

// ---- regular expressions, compiled once per pattern -------------------------------------------

export const regexCache = new Map<string, Regex>();

export function compile(pattern: string): Regex {
  let re = regexCache.get(pattern);
  if (!re) {
    re = Regex.compile(pattern);
    if (regexCache.size >= 512) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

/** Go's regexp.MustCompile: a bad pattern panics, which the template reports as an error. */
export function mustCompile(pattern: string): Regex {
  try {
    return compile(pattern);
  } catch (e) {
    const q = canBackquote(pattern) ? `\`${pattern}\`` : goQuote(pattern);
    throw new Error(`regexp: Compile(${q}): ${(e as Error).message}`);
  }
}

export function findAll(re: Regex, str: string, limit: number): string[] {
  const all = re.execAll(str).map((m) => str.slice(m.index, m.end));
  return limit < 0 ? all : all.slice(0, limit);
}

export function regexSplit(re: Regex, str: string, limit: number): string[] {
  if (limit === 0) return [];
  if (re.source.length > 0 && str.length === 0) return [''];
  const matches = re.execAll(str);
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of matches) {
    if (limit > 0 && out.length === limit - 1) break;
    end = m.index;
    if (m.end !== 0) out.push(str.slice(beg, end));
    beg = m.end;
  }
  if (end !== str.length) out.push(str.slice(beg));
  return out;
}

/** Go's regexp.QuoteMeta. */
export function quoteMeta(str: string): string {
  return str.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

export const regexFunctions: [string, GoFunc][] = [
  // regular expressions (compiled with RE2 semantics, cached per pattern)
  [
    'regexMatch',
    fn(['string', 'string'], (a) => {
      try {
        return compile(s(a[0])).test(s(a[1]));
      } catch {
        return false;
      }
    }),
  ],
  ['mustRegexMatch', fn(['string', 'string'], (a) => mustCompile(s(a[0])).test(s(a[1])))],
  ...(['regexFindAll', 'mustRegexFindAll'] as const).map((name): [string, GoFunc] => [
    name,
    fn(['string', 'string', 'int'], (a) => findAll(mustCompile(s(a[0])), s(a[1]), n(a[2]))),
  ]),
  ...(['regexFind', 'mustRegexFind'] as const).map((name): [string, GoFunc] => [
    name,
    fn(['string', 'string'], (a) => {
      const m = mustCompile(s(a[0])).exec(s(a[1]));
      return m ? s(a[1]).slice(m.index, m.end) : '';
    }),
  ]),
  ...(['regexReplaceAll', 'mustRegexReplaceAll'] as const).map((name): [string, GoFunc] => [
    name,
    fn(['string', 'string', 'string'], (a) => mustCompile(s(a[0])).replaceAll(s(a[1]), s(a[2]))),
  ]),
  ...(['regexReplaceAllLiteral', 'mustRegexReplaceAllLiteral'] as const).map((name): [string, GoFunc] => [
    name,
    fn(['string', 'string', 'string'], (a) => mustCompile(s(a[0])).replaceAllLiteral(s(a[1]), s(a[2]))),
  ]),
  ...(['regexSplit', 'mustRegexSplit'] as const).map((name): [string, GoFunc] => [
    name,
    fn(['string', 'string', 'int'], (a) => regexSplit(mustCompile(s(a[0])), s(a[1]), n(a[2]))),
  ]),
  ['regexQuoteMeta', fn(['string'], (a) => quoteMeta(s(a[0])))],
];
