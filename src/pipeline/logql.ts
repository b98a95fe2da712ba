// The part of LogQL that Promtail's `match` stage accepts: a stream selector
// (`{app="x", env=~"prod|dev"}`) followed by line filters (`|= "text"`, `!= "text"`, `|~ "re"`,
// `!~ "re"`). Parser pipelines (`| json`, label filters) are not part of it, as in Promtail.
// Errors read as Promtail's: `parse error at line 1, col 6: literal not terminated`.

import { Regex, RegexSyntaxError } from '../regex/regex.js';
import type { LabelSet } from '../types.js';

export type MatchType = '=' | '!=' | '=~' | '!~';
export type LineFilterType = '|=' | '!=' | '|~' | '!~';

/** One `name op "value"` of a stream selector; a missing label matches as the empty string. */
export interface LabelMatcher {
  readonly name: string;
  readonly type: MatchType;
  readonly value: string;
  matches(value: string): boolean;
}

/** One line filter; regexes are not anchored, as in LogQL. */
export interface LineFilter {
  readonly type: LineFilterType;
  readonly value: string;
  test(line: string): boolean;
}

export interface LogSelector {
  readonly matchers: readonly LabelMatcher[];
  readonly filters: readonly LineFilter[];
  /** True when every matcher accepts the labels (the line filters are not consulted). */
  matchesLabels(labels: LabelSet): boolean;
  /** True when every line filter accepts the line. */
  matchesLine(line: string): boolean;
  /** The selector in canonical form (`{a="b"} |= "c"`). */
  toString(): string;
}

/** A selector that cannot be parsed; `line` and `col` are 1-based and point at the offending token. */
export class LogQLSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(`parse error at line ${line}, col ${col}: ${reason}`);
    this.name = 'LogQLSyntaxError';
  }
}

/** Parses a stream selector with optional line filters; throws LogQLSyntaxError. */
export function parseLogSelector(input: string): LogSelector {
  return new Parser(input).parse();
}

// ---- lexer -------------------------------------------------------------------------------------

type TokenKind = 'IDENTIFIER' | 'STRING' | 'EOF' | '{' | '}' | ',' | '.' | MatchType | '|=' | '|~';

interface Token {
  kind: TokenKind;
  /** The identifier's text, or the string's unquoted value. */
  text: string;
  line: number;
  col: number;
}

const operators = new Set(['{', '}', ',', '.', '=', '!=', '=~', '!~', '|=', '|~']);

function isIdentStart(c: string): boolean {
  return c === '_' || /\p{L}/u.test(c);
}

function isIdentPart(c: string): boolean {
  return c === '_' || /[\p{L}\p{Nd}]/u.test(c);
}

/** Reads tokens the way Go's text/scanner does for Promtail's lexer (Go identifiers, quoted strings, comments skipped). */
class Lexer {
  private pos = 0;
  private line = 1;
  private col = 1;

  constructor(private readonly src: string) {}

  next(): Token {
    this.skipSpaceAndComments();
    const line = this.line;
    const col = this.col;
    const c = this.peekChar();
    if (c === undefined) return { kind: 'EOF', text: '', line, col };
    if (c === '"') return { kind: 'STRING', text: this.quoted(line, col), line, col };
    if (c === '`') return { kind: 'STRING', text: this.raw(line, col), line, col };
    if (isIdentStart(c)) {
      let text = '';
      while (this.peekChar() !== undefined && isIdentPart(this.peekChar()!)) text += this.take();
      return { kind: 'IDENTIFIER', text, line, col };
    }
    if (/[0-9]/.test(c)) {
      // Go's scanner reads a number here; Promtail's lexer hands it on as an identifier.
      let text = '';
      while (this.peekChar() !== undefined && /[0-9A-Za-z_.]/.test(this.peekChar()!)) text += this.take();
      return { kind: 'IDENTIFIER', text, line, col };
    }
    this.take();
    const after = this.peekChar();
    const two = c + after;
    if (after !== undefined && operators.has(two)) {
      this.take();
      return { kind: two as TokenKind, text: two, line, col };
    }
    if (operators.has(c)) return { kind: c as TokenKind, text: c, line, col };
    return { kind: 'IDENTIFIER', text: c, line, col };
  }

  private peekChar(offset = 0): string | undefined {
    const cp = this.src.codePointAt(this.pos + offset);
    return cp === undefined ? undefined : String.fromCodePoint(cp);
  }

  private take(): string {
    const c = this.peekChar()!;
    this.pos += c.length;
    if (c === '\n') {
      this.line++;
      this.col = 1;
    } else {
      this.col++;
    }
    return c;
  }

  private skipSpaceAndComments(): void {
    for (;;) {
      const c = this.peekChar();
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        this.take();
      } else if (c === '/' && this.peekChar(1) === '/') {
        while (this.peekChar() !== undefined && this.peekChar() !== '\n') this.take();
      } else if (c === '/' && this.peekChar(1) === '*') {
        const line = this.line;
        const col = this.col;
        this.take();
        this.take();
        for (;;) {
          const d = this.peekChar();
          if (d === undefined) throw new LogQLSyntaxError('comment not terminated', line, col);
          this.take();
          if (d === '*' && this.peekChar() === '/') {
            this.take();
            break;
          }
        }
      } else {
        return;
      }
    }
  }

  /** A Go interpreted string literal, unquoted as strconv.Unquote does (\x and octal escapes are bytes). */
  private quoted(line: number, col: number): string {
    this.take();
    const bytes: number[] = [];
    const pushText = (s: string) => {
      for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
    };
    for (;;) {
      const c = this.peekChar();
      if (c === undefined || c === '\n') throw new LogQLSyntaxError('literal not terminated', line, col);
      this.take();
      if (c === '"') break;
      if (c !== '\\') {
        pushText(c);
        continue;
      }
      const e = this.peekChar();
      if (e === undefined) throw new LogQLSyntaxError('literal not terminated', line, col);
      this.take();
      const simple: Record<string, string> = {
        a: '\x07',
        b: '\b',
        f: '\f',
        n: '\n',
        r: '\r',
        t: '\t',
        v: '\v',
        '\\': '\\',
        '"': '"',
      };
      if (simple[e] !== undefined) {
        pushText(simple[e]);
      } else if (/[0-7]/.test(e)) {
        const digits = e + this.takeDigits(2, /[0-7]/, line, col);
        const v = Number.parseInt(digits, 8);
        if (v > 255) throw new LogQLSyntaxError('invalid syntax', line, col);
        bytes.push(v);
      } else if (e === 'x') {
        bytes.push(Number.parseInt(this.takeDigits(2, /[0-9a-fA-F]/, line, col), 16));
      } else if (e === 'u' || e === 'U') {
        const cp = Number.parseInt(this.takeDigits(e === 'u' ? 4 : 8, /[0-9a-fA-F]/, line, col), 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
          throw new LogQLSyntaxError('invalid syntax', line, col);
        pushText(String.fromCodePoint(cp));
      } else {
        throw new LogQLSyntaxError('invalid char escape', line, col);
      }
    }
    return Buffer.from(bytes).toString('utf8');
  }

  private takeDigits(n: number, allowed: RegExp, line: number, col: number): string {
    let out = '';
    for (let i = 0; i < n; i++) {
      const c = this.peekChar();
      if (c === undefined || !allowed.test(c)) throw new LogQLSyntaxError('invalid char escape', line, col);
      out += this.take();
    }
    return out;
  }

  /** A Go raw string literal: no escapes; carriage returns are discarded as Go does. */
  private raw(line: number, col: number): string {
    this.take();
    let out = '';
    for (;;) {
      const c = this.peekChar();
      if (c === undefined) throw new LogQLSyntaxError('literal not terminated', line, col);
      this.take();
      if (c === '`') return out;
      if (c !== '\r') out += c;
    }
  }
}

// ---- parser ------------------------------------------------------------------------------------

const filterOps: readonly LineFilterType[] = ['!=', '!~', '|~', '|='];
const matchOps: readonly MatchType[] = ['=', '!=', '=~', '!~'];

class Parser {
  private readonly lexer: Lexer;
  private tok: Token;

  constructor(input: string) {
    this.lexer = new Lexer(input);
    this.tok = this.lexer.next();
  }

  parse(): LogSelector {
    this.expect(['{']);
    this.advance();
    const matchers: LabelMatcher[] = [];
    for (;;) {
      matchers.push(this.matcher());
      this.expect(['}', ',']);
      const sep = this.tok.kind;
      this.advance();
      if (sep === '}') break;
    }
    const filters: LineFilter[] = [];
    while (this.tok.kind !== 'EOF') {
      this.expect(filterOps);
      const type = this.tok.kind as LineFilterType;
      this.advance();
      this.expect(['STRING']);
      filters.push(newLineFilter(type, this.tok));
      this.advance();
    }
    return new Selector(matchers, filters);
  }

  private matcher(): LabelMatcher {
    this.expect(['IDENTIFIER']);
    const name = this.tok.text;
    this.advance();
    this.expect(matchOps);
    const type = this.tok.kind as MatchType;
    this.advance();
    this.expect(['STRING']);
    const m = newLabelMatcher(name, type, this.tok);
    this.advance();
    return m;
  }

  private advance(): void {
    this.tok = this.lexer.next();
  }

  /** Fails unless the current token is one of `kinds`, with goyacc's wording. */
  private expect(kinds: readonly TokenKind[]): void {
    if (kinds.includes(this.tok.kind)) return;
    const got = this.tok.kind === 'EOF' ? '$end' : this.tok.kind;
    throw new LogQLSyntaxError(
      `syntax error: unexpected ${got}, expecting ${kinds.join(' or ')}`,
      this.tok.line,
      this.tok.col,
    );
  }
}

function compile(source: string, anchored: boolean, tok: Token): Regex {
  try {
    // Prometheus anchors label regexes and lets `.` match newlines (`^(?s:...)$`).
    return Regex.compile(anchored ? `^(?s:${source})$` : source);
  } catch (e) {
    if (e instanceof RegexSyntaxError) throw new LogQLSyntaxError(e.message, tok.line, tok.col);
    throw e;
  }
}

function newLabelMatcher(name: string, type: MatchType, tok: Token): LabelMatcher {
  const value = tok.text;
  switch (type) {
    case '=':
      return { name, type, value, matches: (v) => v === value };
    case '!=':
      return { name, type, value, matches: (v) => v !== value };
    case '=~': {
      const re = compile(value, true, tok);
      return { name, type, value, matches: (v) => re.test(v) };
    }
    case '!~': {
      const re = compile(value, true, tok);
      return { name, type, value, matches: (v) => !re.test(v) };
    }
  }
}

function newLineFilter(type: LineFilterType, tok: Token): LineFilter {
  const value = tok.text;
  switch (type) {
    case '|=':
      return { type, value, test: (line) => line.includes(value) };
    case '!=':
      return { type, value, test: (line) => !line.includes(value) };
    case '|~': {
      const re = compile(value, false, tok);
      return { type, value, test: (line) => re.test(line) };
    }
    case '!~': {
      const re = compile(value, false, tok);
      return { type, value, test: (line) => !re.test(line) };
    }
  }
}

class Selector implements LogSelector {
  constructor(
    readonly matchers: readonly LabelMatcher[],
    readonly filters: readonly LineFilter[],
  ) {}

  matchesLabels(labels: LabelSet): boolean {
    for (const m of this.matchers) {
      const v = labels[m.name];
      // typeof guards against names such as `constructor` reaching Object.prototype.
      if (!m.matches(typeof v === 'string' ? v : '')) return false;
    }
    return true;
  }

  matchesLine(line: string): boolean {
    for (const f of this.filters) if (!f.test(line)) return false;
    return true;
  }

  toString(): string {
    const ms = this.matchers.map((m) => `${m.name}${m.type}${JSON.stringify(m.value)}`).join(', ');
    return `{${ms}}${this.filters.map((f) => ` ${f.type} ${JSON.stringify(f.value)}`).join('')}`;
  }
}
