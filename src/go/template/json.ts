// JSON encoding the way Go writes it: `<`, `>` and `&` escaped as \u003c.., U+2028/U+2029 escaped,
// map keys sorted (encoding/json) or kept in order (json-iterator, which Promtail's json stage uses),
// and Go's float formats.

import { formatFloat } from './strconv.js';
import { compareStrings, type GoValue, isGoMap } from './value.js';

export interface JsonOptions {
  /** Escape <, > and & (Go's default). */
  escapeHTML: boolean;
  /** encoding/json sorts map keys; json-iterator's default config keeps its map order. */
  sortKeys: boolean;
  /** encoding/json writes 1e-7, json-iterator 1e-07. */
  floats: 'encoding/json' | 'jsoniter';
  /** MarshalIndent's indent (no prefix). */
  indent?: string;
}

/** Go-style JSON string literal. */
export function jsonString(s: string, escapeHTML: boolean): string {
  let out = '"';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x20) {
      esc =
        c === 10
          ? '\\n'
          : c === 13
            ? '\\r'
            : c === 9
              ? '\\t'
              : c === 8
                ? '\\b'
                : c === 12
                  ? '\\f'
                  : `\\u00${c.toString(16).padStart(2, '0')}`;
    } else if (c === 34) esc = '\\"';
    else if (c === 92) esc = '\\\\';
    else if (escapeHTML && (c === 60 || c === 62 || c === 38)) esc = `\\u00${c.toString(16)}`;
    else if (c === 0x2028 || c === 0x2029) esc = `\\u${c.toString(16)}`;
    else if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate is invalid UTF-8 for Go, which writes U+FFFD instead.
      const pair =
        c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff;
      if (pair) {
        i++;
        continue;
      }
      esc = '\\ufffd';
    }
    if (esc !== undefined) {
      out += s.slice(last, i) + esc;
      last = i + 1;
    }
  }
  return `${out + s.slice(last)}"`;
}

function jsonFloat(x: number, style: JsonOptions['floats']): string {
  if (!Number.isFinite(x))
    throw new Error(`json: unsupported value: ${Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf'}`);
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    const s = formatFloat(x, 'e', -1);
    return style === 'encoding/json' ? s.replace(/e([+-])0(\d)$/, 'e$1$2') : s;
  }
  return formatFloat(x, 'f', -1);
}

/** Marshals a Go value to JSON text; throws on values Go cannot encode (NaN, Inf). */
export function goJsonMarshal(v: GoValue, opts: JsonOptions): string {
  return encode(v, opts, '');
}

function encode(v: GoValue, opts: JsonOptions, depth: string): string {
  switch (typeof v) {
    case 'string':
      return jsonString(v, opts.escapeHTML);
    case 'number':
      return jsonFloat(v, opts.floats);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return 'null';
  }
  if (v === null) return 'null';
  const inner = opts.indent !== undefined ? depth + opts.indent : '';
  const nl = opts.indent !== undefined ? `\n${inner}` : '';
  const close = opts.indent !== undefined ? `\n${depth}` : '';
  const colon = opts.indent !== undefined ? ': ' : ':';
  if (v instanceof Uint8Array) return `"${Buffer.from(v).toString('base64')}"`;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[${v.map((x) => nl + encode(x, opts, inner)).join(',')}${close}]`;
  }
  if (isGoMap(v)) {
    const keys = Object.keys(v);
    if (keys.length === 0) return '{}';
    if (opts.sortKeys) keys.sort(compareStrings);
    return `{${keys.map((k) => `${nl}${jsonString(k, opts.escapeHTML)}${colon}${encode(v[k], opts, inner)}`).join(',')}${close}}`;
  }
  return 'null';
}

/** encoding/json.Unmarshal into interface{}: numbers become float64. Throws on invalid JSON. */
export function goJsonUnmarshal(text: string): GoValue {
  return JSON.parse(text) as GoValue;
}
