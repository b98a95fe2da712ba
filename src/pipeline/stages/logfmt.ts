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

function syntaxError(msg: string, at: number, lineNum: number): never {
  throw new LogfmtSyntaxError(`logfmt syntax error at pos ${at + 1} on line ${lineNum}: ${msg}`);
}

/** Options of one decode: which keys the caller wants (all when absent). */
export type KeyFilter = (key: string) => boolean;

/**
 * Decodes one record (line[from, to), without its newline) as go-logfmt's ScanKeyval loop does,
 * calling `sink` for each wanted pair. Throws LogfmtSyntaxError where go-logfmt stops.
 */
function decodeRecord(
  line: string,
  from: number,
  to: number,
  lineNum: number,
  sink: KeyvalSink,
  want?: KeyFilter,
): void {
  let pos = from;
  for (;;) {
    // Garbage (spaces and control characters) before a key.
    while (pos < to && line.charCodeAt(pos) <= 32) pos++;
    if (pos >= to) return;

    const start = pos;
    let multibyte = false;
    let c = 0;
    while (pos < to) {
      c = line.charCodeAt(pos);
      if (c === 61 || c === 34 || c <= 32) break;
      if (c >= 0x80) multibyte = true;
      pos++;
    }
    if (pos < to && c === 34) syntaxError(`unexpected '"'`, pos - from, lineNum);
    if (pos < to && c === 61 && pos === start) syntaxError(`unexpected '='`, pos - from, lineNum);
    const key = line.slice(start, pos);
    if (multibyte && key.includes('\ufffd')) syntaxError('invalid key', pos - from, lineNum);
    const wanted = want === undefined || want(key);
    if (pos >= to || c !== 61) {
      // A key without '='.
      if (wanted) sink(key, '');
      if (pos >= to) return;
      continue;
    }

    // After '='.
    pos++;
    if (pos >= to) {
      if (wanted) sink(key, '');
      return;
    }
    const first = line.charCodeAt(pos);
    if (first <= 32) {
      if (wanted) sink(key, '');
      continue;
    }
    if (first === 34) {
      const qstart = pos;
      let hasEsc = false;
      let esc = false;
      let p = pos + 1;
      for (; p < to; p++) {
        const q = line.charCodeAt(p);
        if (esc) esc = false;
        else if (q === 92) {
          hasEsc = true;
          esc = true;
        } else if (q === 34) break;
      }
      if (p >= to) syntaxError('unterminated quoted value', to - from, lineNum);
      pos = p + 1;
      if (hasEsc) {
        const v = unquote(line.slice(qstart + 1, p));
        if (v === undefined) syntaxError('invalid quoted value', pos - from, lineNum);
        if (wanted) sink(key, v);
      } else if (wanted) sink(key, line.slice(qstart + 1, p));
      continue;
    }
    const vstart = pos;
    while (pos < to) {
      const v = line.charCodeAt(pos);
      if (v === 61 || v === 34) syntaxError(`unexpected '${v === 61 ? '=' : '"'}'`, pos - from, lineNum);
      if (v <= 32) break;
      pos++;
    }
    if (wanted) sink(key, line.slice(vstart, pos));
    if (pos >= to) return;
  }
}

/**
 * Decodes logfmt text: each line is a record (a trailing \r is dropped, as bufio.ScanLines does).
 * Pairs before a syntax error reach `sink`; the error is then thrown.
 */
export function decodeLogfmt(text: string, sink: KeyvalSink, want?: KeyFilter): void {
  let start = 0;
  let lineNum = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    const next = end < 0 ? text.length : end + 1;
    if (end < 0) end = text.length;
    const to = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    lineNum++;
    decodeRecord(text, start, to, lineNum, sink, want);
    start = next;
  }
}

class LogfmtStage implements Stage {
  readonly type = 'logfmt';
  private readonly sinkTarget: { extracted: Record<string, unknown> } = { extracted: {} };
  private readonly sink: KeyvalSink;
  private readonly want: KeyFilter;

  constructor(
    /** logfmt key → extracted names. */
    private readonly inverse: Map<string, string[]>,
    private readonly source: string | undefined,
    private readonly logger: Logger,
  ) {
    // One sink for the stage's life: no closure per line.
    this.want = (key) => this.inverse.has(key);
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
        decodeLogfmt(input, this.sink, this.want);
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
    options.ignoreUnknownKeys(['mapping', 'source']);
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
