// The `logfmt` stage: reads key=value pairs from the line (or an extracted value) exactly as
// go-logfmt's decoder does, and sets the mapped keys as extracted values. Keys without a value give
// "", quoted values take JSON-style escapes, and a syntax error stops decoding, keeping what was
// read before it (as Promtail does).

import type { Logger } from '../../log.js';
import type { Entry } from '../../types.js';
import { extractedToString } from '../extracted.js';
import type { Stage, StageDefinition, StageOutput } from '../stage.js';

/** Receives each key/value pair; the value is "" for a key without one. */
export type KeyvalSink = (key: string, value: string) => void;

/** Why decoding stopped, as go-logfmt words it (`logfmt syntax error at pos 9 on line 1: ...`). */
export class LogfmtSyntaxError extends Error {}

function hex4(s: string, at: number): number {
  if (at + 6 > s.length || s[at] !== '\\' || s[at + 1] !== 'u') return -1;
  const h = s.slice(at + 2, at + 6);
  return /^[0-9a-fA-F]{4}$/.test(h) ? Number.parseInt(h, 16) : -1;
}

/** go-logfmt's unquoteBytes over the text between the quotes; undefined when invalid. */
function unquote(body: string): string | undefined {
  let out = '';
  for (let r = 0; r < body.length; ) {
    const c = body.charCodeAt(r);
    if (c === 92) {
      const e = body[r + 1];
      switch (e) {
        case '"':
        case '\\':
        case '/':
        case "'":
          out += e;
          r += 2;
          continue;
        case 'b':
          out += '\b';
          r += 2;
          continue;
        case 'f':
          out += '\f';
          r += 2;
          continue;
        case 'n':
          out += '\n';
          r += 2;
          continue;
        case 'r':
          out += '\r';
          r += 2;
          continue;
        case 't':
          out += '\t';
          r += 2;
          continue;
        case 'u': {
          let rr = hex4(body, r);
          if (rr < 0) return undefined;
          r += 6;
          if (rr >= 0xd800 && rr <= 0xdfff) {
            const rr1 = hex4(body, r);
            if (rr <= 0xdbff && rr1 >= 0xdc00 && rr1 <= 0xdfff) {
              out += String.fromCharCode(rr, rr1);
              r += 6;
              continue;
            }
            rr = 0xfffd;
          }
          out += String.fromCharCode(rr);
          continue;
        }
        default:
          return undefined;
      }
    }
    if (c === 34 || c < 32) return undefined;
    out += body[r];
    r++;
  }
  return out;
}

/**
 * Decodes one record (a line without its newline) as go-logfmt's ScanKeyval loop does, calling
 * `sink` for each pair. Throws LogfmtSyntaxError where go-logfmt stops with an error.
 */
function decodeRecord(line: string, lineNum: number, sink: KeyvalSink): void {
  const len = line.length;
  let pos = 0;
  const fail: (msg: string, at: number) => never = (msg, at) => {
    throw new LogfmtSyntaxError(`logfmt syntax error at pos ${at + 1} on line ${lineNum}: ${msg}`);
  };
  for (;;) {
    // Garbage (spaces and control characters) before a key.
    while (pos < len && line.charCodeAt(pos) <= 32) pos++;
    if (pos >= len) return;

    const start = pos;
    let key = '';
    for (;;) {
      if (pos >= len) {
        key = line.slice(start, pos);
        if (key.includes('\ufffd')) fail('invalid key', pos);
        sink(key, '');
        return;
      }
      const c = line.charCodeAt(pos);
      if (c === 61) {
        if (pos === start) fail(`unexpected '='`, pos);
        key = line.slice(start, pos);
        if (key.includes('\ufffd')) fail('invalid key', pos);
        break;
      }
      if (c === 34) fail(`unexpected '"'`, pos);
      if (c <= 32) {
        key = line.slice(start, pos);
        if (key.includes('\ufffd')) fail('invalid key', pos);
        sink(key, '');
        break;
      }
      pos++;
    }
    if (line.charCodeAt(pos) !== 61) continue; // a key without '=' was sunk above

    // After '='.
    pos++;
    if (pos >= len) {
      sink(key, '');
      return;
    }
    const first = line.charCodeAt(pos);
    if (first <= 32) {
      sink(key, '');
      continue;
    }
    if (first === 34) {
      const qstart = pos;
      let hasEsc = false;
      let esc = false;
      let p = pos + 1;
      for (; p < len; p++) {
        const c = line.charCodeAt(p);
        if (esc) esc = false;
        else if (c === 92) {
          hasEsc = true;
          esc = true;
        } else if (c === 34) break;
      }
      if (p >= len) fail('unterminated quoted value', len);
      pos = p + 1;
      if (hasEsc) {
        const v = unquote(line.slice(qstart + 1, p));
        if (v === undefined) fail('invalid quoted value', pos);
        sink(key, v);
      } else sink(key, line.slice(qstart + 1, p));
      continue;
    }
    const vstart = pos;
    for (;;) {
      if (pos >= len) {
        sink(key, line.slice(vstart));
        return;
      }
      const c = line.charCodeAt(pos);
      if (c === 61 || c === 34) fail(`unexpected '${c === 61 ? '=' : '"'}'`, pos);
      if (c <= 32) {
        sink(key, line.slice(vstart, pos));
        break;
      }
      pos++;
    }
  }
}

/**
 * Decodes logfmt text: each line is a record (a trailing \r is dropped, as bufio.ScanLines does).
 * Pairs before a syntax error reach `sink`; the error is then thrown.
 */
export function decodeLogfmt(text: string, sink: KeyvalSink): void {
  let start = 0;
  let lineNum = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    const next = end < 0 ? text.length : end + 1;
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    lineNum++;
    decodeRecord(line, lineNum, sink);
    start = next;
  }
}

class LogfmtStage implements Stage {
  readonly type = 'logfmt';
  private readonly sinkTarget: { extracted: Record<string, unknown> } = { extracted: {} };
  private readonly sink: KeyvalSink;

  constructor(
    /** logfmt key → extracted names. */
    private readonly inverse: Map<string, string[]>,
    private readonly source: string | undefined,
    private readonly logger: Logger,
  ) {
    // One sink for the stage's life: no closure per line.
    this.sink = (key, value) => {
      const names = this.inverse.get(key);
      if (names) for (const n of names) this.sinkTarget.extracted[n] = value;
    };
  }

  process(entry: Entry, out: StageOutput): void {
    let input: string | undefined = entry.line;
    if (this.source !== undefined) {
      input = Object.hasOwn(entry.extracted, this.source)
        ? extractedToString(entry.extracted[this.source])
        : undefined;
    }
    if (input !== undefined) {
      this.sinkTarget.extracted = entry.extracted;
      try {
        decodeLogfmt(input, this.sink);
      } catch (e) {
        if (!(e instanceof LogfmtSyntaxError)) throw e;
        this.logger.debug('failed to decode logfmt', { err: e.message });
      }
    }
    out.emit(entry);
  }
}

export const logfmtStage: StageDefinition = {
  type: 'logfmt',
  create(options, ctx) {
    options.expectKeys(['mapping', 'source']);
    const mappingNode = options.get('mapping');
    const names = mappingNode.keys();
    if (names.length === 0) (options.missing ? options : mappingNode).fail('logfmt mapping is required');
    const inverse = new Map<string, string[]>();
    for (const name of names) {
      const node = mappingNode.get(name);
      const key = node.missing ? name : node.string() || name;
      const list = inverse.get(key);
      if (list) list.push(name);
      else inverse.set(key, [name]);
    }
    const sourceNode = options.get('source');
    const source = sourceNode.optionalString();
    if (source === '') sourceNode.fail('empty source');
    return new LogfmtStage(inverse, source, ctx.logger.with({ component: 'stage', type: 'logfmt' }));
  },
};
