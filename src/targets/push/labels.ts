// The labels string of a pushed stream (`{a="b", c="d"}`) read as Promtail reads it: Prometheus's
// ParseMetric (an optional metric name, then equality pairs whose values are Go string literals in
// "...", '...' or `...`). Shared with the test Loki receiver, which parses what clients send.

import type { LabelSet } from '../../types.js';

const nameStart = /[a-zA-Z_]/;
const nameChar = /[a-zA-Z0-9_]/;
const metricStart = /[a-zA-Z_:]/;
const metricChar = /[a-zA-Z0-9_:]/;

/**
 * Parses a series description: `{a="b", c='d', e=`raw`}`, `name{...}` or `name` (the name becomes
 * `__name__`). A trailing comma is allowed, as in PromQL. Throws an Error whose message starts
 * with `error parsing labels` on anything else, including a label given twice.
 */
export function parseLabels(s: string): LabelSet {
  const fail = (why: string): never => {
    throw new Error(`error parsing labels ${JSON.stringify(s)}: ${why}`);
  };
  const out: LabelSet = {};
  let i = 0;
  const ws = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  };
  const end = () => {
    ws();
    if (i !== s.length) fail(`unexpected text at offset ${i}`);
    return out;
  };
  ws();
  if (metricStart.test(s[i] ?? '')) {
    const start = i;
    while (i < s.length && metricChar.test(s[i]!)) i++;
    out.__name__ = s.slice(start, i);
    ws();
    if (i === s.length) return out;
  }
  if (s[i] !== '{') fail('expected "{"');
  i++;
  for (;;) {
    ws();
    if (s[i] === '}') {
      i++;
      return end();
    }
    const start = i;
    if (!nameStart.test(s[i] ?? '')) fail(`expected a label name at offset ${i}`);
    while (i < s.length && nameChar.test(s[i]!)) i++;
    const name = s.slice(start, i);
    ws();
    if (s[i] !== '=' || s[i + 1] === '~') fail(`expected "=" after ${name}`);
    i++;
    ws();
    const [value, next] = readGoString(s, i, fail);
    i = next;
    if (Object.hasOwn(out, name)) fail(`duplicate label name ${name}`);
    if (name === '__proto__') {
      Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
    } else out[name] = value;
    ws();
    if (s[i] === ',') {
      i++;
      continue;
    }
    if (s[i] === '}') {
      i++;
      return end();
    }
    fail(`expected "," or "}" at offset ${i}`);
  }
}

const simpleEscapes: Record<string, number> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
  '"': 34,
  "'": 39,
};
const hex2 = /^[0-9a-fA-F]{2}$/;
const hex4 = /^[0-9a-fA-F]{4}$/;
const hex8 = /^[0-9a-fA-F]{8}$/;
const octal3 = /^[0-7]{3}$/;

/** Reads a Go string literal at s[i]; returns its value and the offset after it. */
function readGoString(s: string, i: number, fail: (why: string) => never): [string, number] {
  const quote = s[i];
  if (quote === '`') {
    const close = s.indexOf('`', i + 1);
    if (close < 0) fail('unterminated raw string');
    return [s.slice(i + 1, close), close + 1];
  }
  if (quote !== '"' && quote !== "'") fail(`expected a quoted value at offset ${i}`);
  i++;
  const start = i;
  // Fast path: no escape before the closing quote.
  for (;;) {
    if (i >= s.length) fail('unterminated string');
    const c = s[i]!;
    if (c === quote) return [s.slice(start, i), i + 1];
    if (c === '\\') break;
    if (c === '\n') fail('newline in string');
    i++;
  }
  const bytes: number[] = [...Buffer.from(s.slice(start, i), 'utf8')];
  for (;;) {
    if (i >= s.length) fail('unterminated string');
    const c = s[i]!;
    if (c === quote) break;
    if (c === '\n') fail('newline in string');
    if (c !== '\\') {
      const w = s.codePointAt(i)! > 0xffff ? 2 : 1;
      for (const b of Buffer.from(s.slice(i, i + w), 'utf8')) bytes.push(b);
      i += w;
      continue;
    }
    const e = s[i + 1];
    i += 2;
    if (e !== undefined && simpleEscapes[e] !== undefined) {
      // Go allows \' only in '...' and \" only in "...".
      if ((e === "'" || e === '"') && e !== quote) fail(`unknown escape \\${e} at offset ${i - 2}`);
      bytes.push(simpleEscapes[e]!);
    } else if (e === 'x') {
      const h = s.slice(i, i + 2);
      if (!hex2.test(h)) fail(`invalid \\x escape at offset ${i}`);
      bytes.push(Number.parseInt(h, 16));
      i += 2;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const h = s.slice(i, i + n);
      if (!(e === 'u' ? hex4 : hex8).test(h)) fail(`invalid \\${e} escape at offset ${i}`);
      const cp = Number.parseInt(h, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) fail(`invalid code point \\${e}${h}`);
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
      i += n;
    } else if (e !== undefined && e >= '0' && e <= '7') {
      const o = s.slice(i - 1, i + 2);
      if (!octal3.test(o) || Number.parseInt(o, 8) > 255) fail(`invalid octal escape at offset ${i}`);
      bytes.push(Number.parseInt(o, 8));
      i += 2;
    } else fail(`unknown escape \\${e ?? ''} at offset ${i - 2}`);
  }
  return [Buffer.from(bytes).toString('utf8'), i + 1];
}
