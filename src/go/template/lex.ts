// The lexer of Go's text/template: splits a template into text and the tokens of actions, with
// Go's trim markers (`{{- ` and ` -}}`), comments and error messages.

export enum T {
  Error,
  Bool,
  Char,
  CharConstant,
  Complex,
  Assign,
  Declare,
  EOF,
  Field,
  Identifier,
  LeftDelim,
  LeftParen,
  Number,
  Pipe,
  RawString,
  RightDelim,
  RightParen,
  Space,
  String,
  Text,
  Variable,
  // Keywords come after this marker.
  Keyword,
  Block,
  Break,
  Continue,
  Dot,
  Define,
  Else,
  End,
  If,
  Nil,
  Range,
  Template,
  With,
}

export interface Item {
  typ: T;
  /** Index of the item in the template text. */
  pos: number;
  val: string;
  line: number;
}

const keywords: Record<string, T> = {
  '.': T.Dot,
  block: T.Block,
  break: T.Break,
  continue: T.Continue,
  define: T.Define,
  else: T.Else,
  end: T.End,
  if: T.If,
  range: T.Range,
  nil: T.Nil,
  template: T.Template,
  with: T.With,
};

/** How Go prints an item in a parse error (`"foo"`, `<if>`, `EOF`). */
export function itemString(i: Item): string {
  if (i.typ === T.EOF) return 'EOF';
  if (i.typ === T.Error) return i.val;
  if (i.typ > T.Keyword) return `<${i.val}>`;
  const chars = [...i.val];
  if (chars.length > 10) return `${goQuote(chars.slice(0, 10).join(''))}...`;
  return goQuote(i.val);
}

function goQuote(s: string): string {
  // %q of a short token; JSON quoting matches Go's for the printable ASCII tokens seen here.
  return JSON.stringify(s);
}

/** Go's %#U: `U+0021 '!'`. */
export function runeU(cp: number): string {
  const h = cp.toString(16).toUpperCase().padStart(4, '0');
  return /[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u.test(String.fromCodePoint(cp))
    ? `U+${h} '${String.fromCodePoint(cp)}'`
    : `U+${h}`;
}

const spaceChars = ' \t\r\n';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

const alnum = /^[\p{L}\p{Nd}_]$/u;
function isAlphaNumeric(c: string | undefined): boolean {
  if (c === undefined) return false;
  const x = c.charCodeAt(0);
  if (x < 0x80) return (x >= 48 && x <= 57) || (x >= 65 && x <= 90) || (x >= 97 && x <= 122) || x === 95;
  return alnum.test(c);
}

/** Splits a template into items; the last item is EOF or an Error. */
export function lex(input: string, leftDelim = '{{', rightDelim = '}}'): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let line = 1;

  const countLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (input.charCodeAt(i) === 10) line++;
  };
  const hasLeftTrimMarker = (at: number) => input[at] === '-' && isSpace(input[at + 1]);
  const hasRightTrimMarker = (at: number) => isSpace(input[at]) && input[at + 1] === '-';
  const atRightDelim = (at: number): { delim: boolean; trim: boolean } => {
    if (hasRightTrimMarker(at) && input.startsWith(rightDelim, at + 2)) return { delim: true, trim: true };
    if (input.startsWith(rightDelim, at)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  };
  const leftTrimLength = (at: number) => {
    let i = at;
    while (i < input.length && spaceChars.includes(input[i]!)) i++;
    return i - at;
  };
  const charAt = (at: number): string | undefined => {
    if (at >= input.length) return undefined;
    const cp = input.codePointAt(at)!;
    return String.fromCodePoint(cp);
  };
  const error = (at: number, startLine: number, msg: string): Item[] => {
    items.push({ typ: T.Error, pos: at, val: msg, line: startLine });
    return items;
  };

  for (;;) {
    // Text up to the next left delimiter.
    const x = input.indexOf(leftDelim, pos);
    if (x < 0) {
      if (pos < input.length) {
        items.push({ typ: T.Text, pos, val: input.slice(pos), line });
        countLines(pos, input.length);
      }
      items.push({ typ: T.EOF, pos: input.length, val: '', line });
      return items;
    }
    const afterDelim = x + leftDelim.length;
    const trimLeft = hasLeftTrimMarker(afterDelim);
    let textEnd = x;
    if (trimLeft) while (textEnd > pos && spaceChars.includes(input[textEnd - 1]!)) textEnd--;
    if (textEnd > pos) items.push({ typ: T.Text, pos, val: input.slice(pos, textEnd), line });
    countLines(pos, x);
    pos = afterDelim + (trimLeft ? 2 : 0);

    if (input.startsWith('/*', pos)) {
      const startLine = line;
      const end = input.indexOf('*/', pos + 2);
      if (end < 0) return error(x, startLine, 'unclosed comment');
      countLines(pos, end);
      let p = end + 2;
      const rd = atRightDelim(p);
      if (!rd.delim) return error(x, startLine, 'comment ends before closing delimiter');
      p += (rd.trim ? 2 : 0) + rightDelim.length;
      if (rd.trim) {
        const t = leftTrimLength(p);
        countLines(p, p + t);
        p += t;
      }
      pos = p;
      continue;
    }

    items.push({ typ: T.LeftDelim, pos: x, val: leftDelim, line });
    let parenDepth = 0;
    // Inside the action.
    for (;;) {
      const rd = atRightDelim(pos);
      if (rd.delim) {
        if (parenDepth !== 0) return error(pos, line, 'unclosed left paren');
        const at = pos + (rd.trim ? 2 : 0);
        items.push({ typ: T.RightDelim, pos: at, val: rightDelim, line });
        pos = at + rightDelim.length;
        if (rd.trim) {
          const t = leftTrimLength(pos);
          countLines(pos, pos + t);
          pos += t;
        }
        break;
      }
      const start = pos;
      const startLine = line;
      const c = charAt(pos);
      if (c === undefined) return error(start, startLine, 'unclosed action');
      if (isSpace(c)) {
        let end = pos;
        while (isSpace(input[end])) end++;
        // A space followed by `-}}` belongs to the trim marker, not to this run.
        if (hasRightTrimMarker(end - 1) && input.startsWith(rightDelim, end + 1)) end--;
        if (end > pos) {
          items.push({ typ: T.Space, pos, val: input.slice(pos, end), line });
          countLines(pos, end);
          pos = end;
        } else {
          // The single space is the trim marker's: the loop sees the right delimiter next.
          const rd2 = atRightDelim(pos);
          if (!rd2.delim) return error(pos, line, 'unclosed action');
        }
        continue;
      }
      switch (c) {
        case '=':
          items.push({ typ: T.Assign, pos, val: '=', line });
          pos++;
          continue;
        case ':':
          if (input[pos + 1] !== '=') return error(start, startLine, 'expected :=');
          items.push({ typ: T.Declare, pos, val: ':=', line });
          pos += 2;
          continue;
        case '|':
          items.push({ typ: T.Pipe, pos, val: '|', line });
          pos++;
          continue;
        case '"':
        case "'": {
          // A quoted string or a character constant: up to the closing quote, on one line.
          const string = c === '"';
          const i = quotedEnd(input, pos, c);
          if (i < 0)
            return error(
              start,
              startLine,
              string ? 'unterminated quoted string' : 'unterminated character constant',
            );
          items.push({ typ: string ? T.String : T.CharConstant, pos, val: input.slice(pos, i), line });
          pos = i;
          continue;
        }
        case '`': {
          const end = input.indexOf('`', pos + 1);
          if (end < 0) return error(start, startLine, 'unterminated raw quoted string');
          items.push({ typ: T.RawString, pos, val: input.slice(pos, end + 1), line });
          countLines(pos, end);
          pos = end + 1;
          continue;
        }
        case '$':
        case '.': {
          if (c === '.') {
            const nx = input.charCodeAt(pos + 1);
            if (pos + 1 < input.length && nx >= 48 && nx <= 57) break; // a number such as .5
          }
          const typ = c === '$' ? T.Variable : T.Field;
          let i = pos + 1;
          if (atTerminator(i)) {
            items.push({ typ: c === '$' ? T.Variable : T.Dot, pos, val: c, line });
            pos = i;
            continue;
          }
          while (isAlphaNumeric(charAt(i))) i += charAt(i)!.length;
          if (!atTerminator(i))
            return error(start, startLine, `bad character ${runeU(input.codePointAt(i)!)}`);
          items.push({ typ, pos, val: input.slice(pos, i), line });
          pos = i;
          continue;
        }
        case '(':
          items.push({ typ: T.LeftParen, pos, val: '(', line });
          parenDepth++;
          pos++;
          continue;
        case ')':
          items.push({ typ: T.RightParen, pos, val: ')', line });
          parenDepth--;
          pos++;
          if (parenDepth < 0) return error(start, startLine, `unexpected right paren ${runeU(0x29)}`);
          continue;
      }
      if (c === '.' || c === '+' || c === '-' || (c >= '0' && c <= '9')) {
        const r = scanNumber(pos);
        if (!r.ok)
          return error(start, startLine, `bad number syntax: ${JSON.stringify(input.slice(pos, r.end))}`);
        let end = r.end;
        let typ = T.Number;
        if (input[end] === '+' || input[end] === '-') {
          const r2 = scanNumber(end);
          if (!r2.ok || input[r2.end - 1] !== 'i')
            return error(start, startLine, `bad number syntax: ${JSON.stringify(input.slice(pos, r2.end))}`);
          end = r2.end;
          typ = T.Complex;
        }
        items.push({ typ, pos, val: input.slice(pos, end), line });
        pos = end;
        continue;
      }
      if (isAlphaNumeric(c)) {
        let i = pos;
        while (isAlphaNumeric(charAt(i))) i += charAt(i)!.length;
        const word = input.slice(pos, i);
        if (!atTerminator(i)) return error(start, startLine, `bad character ${runeU(input.codePointAt(i)!)}`);
        const kw = keywords[word];
        let typ: T;
        if (kw !== undefined && kw > T.Keyword) typ = kw;
        else if (word === 'true' || word === 'false') typ = T.Bool;
        else typ = T.Identifier;
        items.push({ typ, pos, val: word, line });
        pos = i;
        continue;
      }
      const cp = input.codePointAt(pos)!;
      if (cp <= 0x7f && cp >= 0x20 && cp !== 0x7f) {
        items.push({ typ: T.Char, pos, val: c, line });
        pos++;
        continue;
      }
      return error(start, startLine, `unrecognized character in action: ${runeU(cp)}`);
    }
  }

  function atTerminator(at: number): boolean {
    const c = input[at];
    if (c === undefined || isSpace(c)) return true;
    if ('.,|:)('.includes(c)) return true;
    return c === rightDelim[0];
  }

  function scanNumber(start: number): { ok: boolean; end: number } {
    let i = start;
    const accept = (set: string) => {
      if (i < input.length && set.includes(input[i]!)) {
        i++;
        return true;
      }
      return false;
    };
    const acceptRun = (set: string) => {
      while (i < input.length && set.includes(input[i]!)) i++;
    };
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    if (isAlphaNumeric(charAt(i))) return { ok: false, end: i + charAt(i)!.length };
    return { ok: true, end: i };
  }
}

/** Index just past the `quote` that closes the literal opened at `open`, or -1 at a newline or the end. */
function quotedEnd(input: string, open: number, quote: string): number {
  let i = open + 1;
  for (;;) {
    const ch = input[i];
    if (ch === undefined || ch === '\n') return -1;
    if (ch === '\\') {
      const nx = input[i + 1];
      if (nx === undefined || nx === '\n') return -1;
      i += 2;
      continue;
    }
    i++;
    if (ch === quote) return i;
  }
}
