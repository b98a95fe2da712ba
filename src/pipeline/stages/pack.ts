// The `pack` stage: folds chosen labels and extracted values into the line, as Promtail's pack
// stage, so they stay queryable (LogQL `| unpack`) without becoming stream labels. The line
// becomes `{"<name>":"<value>",...,"_entry":"<original line>"}` with the names in byte order,
// escaped as Promtail's JSON library (json-iterator, HTML-safe) escapes them; the packed names
// are removed from the stream labels, and the timestamp becomes the time of packing unless
// `ingest_timestamp: false`.

import { type LabelSet, nowNanos } from '../../types.js';
import { extractedToString } from '../extracted.js';
import type { StageDefinition } from '../stage.js';

/** The key of the original line in a packed line (Loki's logqlmodel.PackedEntryKey). */
export const packedEntryKey = '_entry';

const hex = '0123456789abcdef';
// Everything json-iterator escapes with EscapeHTML: quotes, backslash, controls, <, >, &,
// U+2028/U+2029, and lone surrogates (invalid UTF-8 in Go, written as \ufffd).
const needsEscape = /["\\\u0000-\u001f<>&\u2028\u2029\uD800-\uDFFF]/;

/** A JSON string literal exactly as Promtail's pack stage writes it. */
export function packJsonString(s: string): string {
  if (!needsEscape.test(s)) return `"${s}"`;
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c === 0x22) esc = '\\"';
    else if (c === 0x5c) esc = '\\\\';
    else if (c === 0x0a) esc = '\\n';
    else if (c === 0x0d) esc = '\\r';
    else if (c === 0x09) esc = '\\t';
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26) esc = `\\u00${hex[c >> 4]}${hex[c & 15]}`;
    else if (c === 0x2028 || c === 0x2029) esc = `\\u202${hex[c & 15]}`;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      esc = '\\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) esc = '\\ufffd';
    if (esc === undefined) continue;
    out += s.slice(start, i) + esc;
    start = i + 1;
  }
  return `${out}${s.slice(start)}"`;
}

/** Orders strings by their UTF-8 bytes, as Go's sort.Strings. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export const packStage: StageDefinition = {
  type: 'pack',
  create(options) {
    options.ignoreUnknownKeys(['labels', 'ingest_timestamp']);
    const names = [...new Set(options.get('labels').stringList([]))].sort(compareUtf8);
    const ingestTimestamp = options.get('ingest_timestamp').boolean(true);
    const quotedNames = names.map(packJsonString);
    const found: number[] = [];
    const values: string[] = [];
    return {
      type: 'pack',
      process(entry, out) {
        found.length = 0;
        values.length = 0;
        for (let i = 0; i < names.length; i++) {
          const name = names[i]!;
          let value: string | undefined;
          // Promtail reads the extracted map (which holds the labels the entry started with);
          // a label added later in the pipeline is packed too.
          if (Object.hasOwn(entry.extracted, name)) value = extractedToString(entry.extracted[name]);
          else if (Object.hasOwn(entry.labels, name)) value = entry.labels[name];
          if (value === undefined) continue;
          found.push(i);
          values.push(value);
        }
        let line = '{';
        for (let k = 0; k < found.length; k++) {
          line += `${k ? ',' : ''}${quotedNames[found[k]!]}:${packJsonString(values[k]!)}`;
        }
        line += `${found.length ? ',' : ''}"${packedEntryKey}":${packJsonString(entry.line)}}`;
        entry.line = line;

        let labels: LabelSet | undefined;
        for (const i of found) {
          const name = names[i]!;
          if (!Object.hasOwn(labels ?? entry.labels, name)) continue;
          labels ??= { ...entry.labels };
          delete labels[name];
        }
        if (labels) entry.labels = labels;
        if (ingestTimestamp) entry.timestamp = nowNanos();
        out.emit(entry);
      },
    };
  },
};
