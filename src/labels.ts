// Label sets as text and label checks, shared by every step: Loki's labels string (Go's
// strconv.Quote for values, names sorted), and which label names and values Loki accepts.

import type { LabelSet } from './types.js';

// --- the labels string --------------------------------------------------------------------------

// Characters Go's strconv.Quote writes as they are: printable ASCII other than `"` and `\`.
const plainAscii = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const shortEscapes: Record<number, string> = {
  7: '\\a',
  8: '\\b',
  9: '\\t',
  10: '\\n',
  11: '\\v',
  12: '\\f',
  13: '\\r',
  34: '\\"',
  92: '\\\\',
};

/**
 * Quotes a string as Go's strconv.Quote does, so label values match what Promtail sends byte
 * for byte. A lone UTF-16 surrogate (which no UTF-8 string can hold) is taken as U+FFFD, as
 * the UTF-8 encoder does for the line.
 */
export function goQuote(s: string): string {
  if (plainAscii.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        cp = (cp - 0xd800) * 0x400 + (next - 0xdc00) + 0x10000;
        i++;
      } else cp = 0xfffd;
    }
    const short = shortEscapes[cp];
    if (short !== undefined) out += short;
    else if (cp >= 0x20 && cp < 0x7f) out += String.fromCharCode(cp);
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else {
      const ch = String.fromCodePoint(cp);
      if (printable.test(ch)) out += ch;
      else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
      else out += `\\U${cp.toString(16).padStart(8, '0')}`;
    }
  }
  return `${out}"`;
}

/**
 * The labels string Loki expects: `{a="b", c="d"}`, names sorted (by UTF-16 code unit, which for
 * valid label names is byte order, as Go sorts), values quoted by goQuote. `without` names one
 * label to leave out (Promtail leaves `__tenant_id__` out).
 */
export function formatLabels(labels: LabelSet, without?: string): string {
  const names = Object.keys(labels);
  names.sort();
  const pairs: string[] = [];
  for (const name of names) {
    if (name !== without) pairs.push(`${name}=${goQuote(labels[name]!)}`);
  }
  // join() makes one flat string: a string built by += is a tree of pieces, three times the size,
  // and this one is kept for as long as its stream lives (10,000 files: 10,000 of them).
  return ['{', pairs.join(', '), '}'].join('');
}

// --- label checks ---------------------------------------------------------------------------

const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A label name Loki accepts: `[a-zA-Z_][a-zA-Z0-9_]*` (Prometheus's classic names; Loki's push
 * API rejects the UTF-8 names newer Prometheus libraries allow).
 */
export function isValidLabelName(name: string): boolean {
  return labelNamePattern.test(name);
}

// A lone surrogate is what invalid UTF-8 becomes in a JS string: Go's LabelValue.IsValid rejects it.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A label value Promtail accepts (valid UTF-8, any content). */
export function isValidLabelValue(value: string): boolean {
  return !loneSurrogate.test(value);
}
