// `-config.expand-env=true`: environment variable references in the config text, expanded before
// YAML parsing, with the grammar of github.com/drone/envsubst (what Promtail uses), so a
// Promtail config expands to the same text here.
//
// Supported, as drone/envsubst evaluates them (a variable set to "" counts as unset, as there):
//   ${VAR}                 value, "" when unset
//   ${VAR:-word} ${VAR:=word} ${VAR=word}
//                          word when VAR is unset or empty (nothing is assigned)
//   ${#VAR}                length in bytes
//   ${VAR^} ${VAR^^} ${VAR,} ${VAR,,}
//                          upper/lower case the first or every character
//   ${VAR:offset} ${VAR:offset:length}
//                          substring in bytes; a negative offset counts from the end
//   ${VAR#glob} ${VAR##glob} ${VAR%glob} ${VAR%%glob}
//                          strip the shortest/longest matching prefix/suffix (`*` matches `/` too)
//   ${VAR/old/new} ${VAR//old/new} ${VAR/#old/new} ${VAR/%old/new}
//                          replace the first/every/leading/trailing literal `old`
//   $$                     a literal `$` (so `$${VAR}` stays `${VAR}`)
//   \\ and \/              a literal `\` and `/`: this applies to the whole file, so a backslash
//                          that must survive is written `\\` (Promtail's documentation says so)
//   $VAR                   left as it is: only the braced form is a reference
// Nested references work in words: `${A:-${B:-x}}`. A malformed reference (`${`, `${A.b}`) is
// an error naming its line.
//
// Deliberate differences from drone/envsubst, where it is broken and users expect the shell:
//   ${VAR-word}   drone reads a variable named `VAR-word` (always ""); here it is the shell's
//                 "word when VAR is unset" (a variable really named `VAR-word` still wins).
//   ${VAR:?msg} ${VAR?msg}
//                 drone substitutes msg; here the config is rejected with msg when VAR is
//                 unset or empty (`:?`) or unset (`?`), as Promtail's documentation promises.
//   ${VAR:+word} ${VAR+word}
//                 drone substitutes VAR or word; here word when VAR is set and non-empty (`:+`)
//                 or set (`+`), else "" (drone rejects `+` without a colon).

import { readFileSync } from 'node:fs';

export type Env = Readonly<Record<string, string | undefined>>;

/** A malformed reference, or a `${VAR:?message}` whose variable is unset. */
export class EnvExpansionError extends Error {
  constructor(
    /** 1-based line of the `${` in the original text. */
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'EnvExpansionError';
  }
}

export interface ExpandResult {
  text: string;
  /** Line of the original text that a line of the expanded text comes from. */
  originalLine(line: number): number;
}

/** Expands references in `text`; throws EnvExpansionError. */
export function expandEnv(text: string, env: Env): string {
  return new Expander(text, env).run().text;
}

/** Expands references and keeps track of lines, so errors in the result point into the original. */
export function expandEnvWithLines(text: string, env: Env): ExpandResult {
  return new Expander(text, env).run();
}

class BadSubstitution extends Error {}

const identChar = /[\p{L}\p{Nd}_-]/u;

class Expander {
  private pos = 0;
  private out = '';
  /** outLines[i] = original line of expanded line i (1-based; index 0 unused). */
  private readonly outLines: number[] = [0, 1];
  private readonly newlines: number[] = [];

  constructor(
    private readonly src: string,
    private readonly env: Env,
  ) {
    for (let i = src.indexOf('\n'); i !== -1; i = src.indexOf('\n', i + 1)) this.newlines.push(i);
  }

  run(): ExpandResult {
    const { src } = this;
    while (this.pos < src.length) {
      const next = nextSpecial(src, this.pos);
      if (next > this.pos) this.verbatim(src.slice(this.pos, next), this.pos);
      this.pos = next;
      if (next >= src.length) break;
      const c = src[next];
      const d = src[next + 1];
      if (c === '$' && d === '{') {
        const start = next;
        const line = this.lineAt(start);
        this.pos += 2;
        let value: string;
        try {
          value = this.parseFunc();
        } catch (e) {
          if (e instanceof BadSubstitution) {
            const end = src.indexOf('\n', start);
            const snippet = src.slice(start, end === -1 ? undefined : Math.min(end, start + 60));
            throw new EnvExpansionError(
              line,
              `bad substitution in "${snippet}"${e.message ? `: ${e.message}` : ''}`,
            );
          }
          if (e instanceof RequiredVariable) throw new EnvExpansionError(line, e.message);
          throw e;
        }
        this.substituted(value, line);
      } else if ((c === '$' && d === '$') || (c === '\\' && (d === '\\' || d === '/'))) {
        this.verbatim(d!, next + 1);
        this.pos += 2;
      } else {
        this.verbatim(c!, next);
        this.pos += 1;
      }
    }
    const outLines = this.outLines;
    return {
      text: this.out,
      originalLine: (line) => outLines[line] ?? outLines[outLines.length - 1] ?? line,
    };
  }

  private verbatim(text: string, at: number): void {
    this.out += text;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
      this.outLines.push(this.lineAt(at + i) + 1);
    }
  }

  private substituted(value: string, line: number): void {
    this.out += value;
    for (let i = value.indexOf('\n'); i !== -1; i = value.indexOf('\n', i + 1)) this.outLines.push(line);
  }

  private lineAt(offset: number): number {
    let lo = 0;
    let hi = this.newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.newlines[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  }

  private lookup(name: string): string | undefined {
    return Object.hasOwn(this.env, name) ? this.env[name] : undefined;
  }

  private value(name: string): string {
    return this.lookup(name) ?? '';
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private expectClose(): void {
    if (this.src[this.pos] !== '}') throw new BadSubstitution(this.pos >= this.src.length ? 'missing }' : '');
    this.pos++;
  }

  private scanIdent(): string {
    const start = this.pos;
    while (this.pos < this.src.length && identChar.test(this.src[this.pos]!)) this.pos++;
    return this.src.slice(start, this.pos);
  }

  /** After `${`: one reference up to its `}`, evaluated. */
  private parseFunc(): string {
    if (this.peek() === '#') {
      this.pos++;
      const name = this.scanIdent();
      if (!name) throw new BadSubstitution('');
      this.expectClose();
      return String(Buffer.byteLength(this.value(name)));
    }
    const identStart = this.pos;
    const ident = this.scanIdent();
    if (!ident) throw new BadSubstitution('');
    const dash = ident.indexOf('-');
    if (dash > 0 && this.lookup(ident) === undefined) {
      // ${VAR-word}: see the module comment.
      const name = ident.slice(0, dash);
      this.pos = identStart + dash + 1;
      const word = this.parseWords();
      return this.lookup(name) ?? word;
    }
    const c = this.peek();
    switch (c) {
      case ':': {
        const op = this.src[this.pos + 1];
        if (op === '=' || op === '-' || op === '?' || op === '+') {
          this.pos += 2;
          return this.defaultFunc(ident, `:${op}`, this.parseWords());
        }
        return this.parseSubstr(ident);
      }
      case '=':
      case '?':
      case '+':
        this.pos++;
        return this.defaultFunc(ident, c, this.parseWords());
      case ',':
      case '^':
        return this.parseCasing(ident);
      case '/':
        return this.parseReplace(ident);
      case '#':
      case '%':
        return this.parseRemove(ident, c);
      default:
        this.expectClose();
        return this.value(ident);
    }
  }

  private defaultFunc(name: string, op: string, word: string): string {
    const v = this.lookup(name);
    switch (op) {
      case ':?':
      case '?':
        if (v === undefined || (op === ':?' && v === '')) {
          throw new RequiredVariable(word ? `${name}: ${word}` : `${name}: variable is not set`);
        }
        return v;
      case ':+':
        return v ? word : '';
      case '+':
        return v === undefined ? '' : word;
      default:
        // `=`, `:=`, `:-`: drone/envsubst cannot tell unset from empty.
        return v ? v : word;
    }
  }

  /** The word of a default function: text and nested references up to the closing `}`. */
  private parseWords(): string {
    let word = '';
    while (this.peek() !== '}') {
      if (this.pos >= this.src.length) throw new BadSubstitution('missing }');
      word += this.parseParam((ch) => ch !== '}', false);
    }
    this.pos++;
    return word;
  }

  /** One argument: a nested reference, or a run of accepted characters (at least one). */
  private parseParam(accept: (ch: string) => boolean, escapes: boolean): string {
    const { src } = this;
    if (src[this.pos] === '$' && src[this.pos + 1] === '{') {
      this.pos += 2;
      return this.parseFunc();
    }
    let text = '';
    while (this.pos < src.length) {
      const c = src[this.pos]!;
      const d = src[this.pos + 1];
      if (c === '$' && d === '{') break;
      if (escapes && ((c === '$' && d === '$') || (c === '\\' && (d === '\\' || d === '/')))) {
        text += d;
        this.pos += 2;
        continue;
      }
      if (!accept(c)) break;
      text += c;
      this.pos++;
    }
    if (!text) throw new BadSubstitution(this.pos >= src.length ? 'missing }' : '');
    return text;
  }

  private parseSubstr(name: string): string {
    this.pos++; // ':'
    const args = [this.parseParam((ch) => ch !== ':' && ch !== '}', false)];
    if (this.peek() !== '}') {
      if (this.peek() !== ':') throw new BadSubstitution('missing }');
      while (this.peek() === ':') this.pos++;
      args.push(this.parseParam((ch) => ch !== '}', false));
    }
    this.expectClose();
    return substring(this.value(name), args);
  }

  private parseCasing(name: string): string {
    let op = '';
    while (op.length < 2 && (this.peek() === ',' || this.peek() === '^')) op += this.src[this.pos++];
    this.expectClose();
    const v = this.value(name);
    const first = v.codePointAt(0);
    const rest = first === undefined ? '' : v.slice(String.fromCodePoint(first).length);
    switch (op) {
      case ',':
        return first === undefined ? v : String.fromCodePoint(first).toLowerCase() + rest;
      case ',,':
        return v.toLowerCase();
      case '^':
        return first === undefined ? v : String.fromCodePoint(first).toUpperCase() + rest;
      case '^^':
        return v.toUpperCase();
      default:
        return v;
    }
  }

  private parseReplace(name: string): string {
    this.pos++; // '/'
    let op = '/';
    const c = this.peek();
    if (c === '/' || c === '#' || c === '%') {
      op += c;
      this.pos++;
    }
    const pattern = this.parseParam((ch) => ch !== '/', true);
    if (this.peek() !== '/') throw new BadSubstitution('expected / after the pattern');
    while (this.peek() === '/') this.pos++;
    let replacement: string | undefined;
    if (this.peek() !== '}') replacement = this.parseParam((ch) => ch !== '}', true);
    this.expectClose();
    const v = this.value(name);
    switch (op) {
      case '/':
        return v.replace(pattern, () => replacement ?? '');
      case '//':
        return v.split(pattern).join(replacement ?? '');
      case '/#':
        return replacement !== undefined && v.startsWith(pattern) ? replacement + v.slice(pattern.length) : v;
      default:
        return replacement !== undefined && v.endsWith(pattern)
          ? v.slice(0, v.length - pattern.length) + replacement
          : v;
    }
  }

  private parseRemove(name: string, ch: '#' | '%'): string {
    let op = '';
    while (op.length < 2 && this.peek() === ch) op += this.src[this.pos++];
    const pattern = this.parseParam((c) => c !== '}', false);
    this.expectClose();
    const v = this.value(name);
    const longest = op.length === 2;
    if (ch === '#') return trimPrefix(v, pattern, longest);
    // drone/envsubst trims a suffix by reversing both the value and the pattern.
    return reverse(trimPrefix(reverse(v), reverse(pattern), longest));
  }
}

class RequiredVariable extends Error {}

/** Index of the next `$` or `\` at or after `from` (src.length when none). */
function nextSpecial(src: string, from: number): number {
  const a = src.indexOf('$', from);
  const b = src.indexOf('\\', from);
  if (a === -1) return b === -1 ? src.length : b;
  return b === -1 ? a : Math.min(a, b);
}

function goAtoi(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

/** `${VAR:offset:length}` on bytes, as drone/envsubst does (and bash, for ASCII). */
function substring(v: string, args: string[]): string {
  const bytes = Buffer.from(v);
  let pos = goAtoi(args[0]!);
  if (pos === undefined) return v;
  if (pos < 0) pos = Math.max(0, bytes.length + pos);
  if (args.length === 1) return pos < bytes.length ? bytes.subarray(pos).toString() : '';
  const length = goAtoi(args[1]!);
  if (length === undefined) return v;
  // Where Go would panic (offset past the end, negative length) the result is empty.
  if (pos + length >= bytes.length) return pos <= bytes.length ? bytes.subarray(pos).toString() : '';
  if (length < 0) return '';
  return bytes.subarray(pos, pos + length).toString();
}

function reverse(s: string): string {
  return Array.from(s).reverse().join('');
}

/** Strips the shortest (or longest) non-empty prefix of v matching the glob. */
function trimPrefix(v: string, pattern: string, longest: boolean): string {
  const chars = Array.from(v);
  let shortest = -1;
  for (let n = chars.length; n > 0; n--) {
    const m = globMatch(pattern, chars.slice(0, n).join(''));
    if (m === undefined) return v;
    if (m) {
      if (longest) return chars.slice(n).join('');
      shortest = n;
    }
  }
  return shortest === -1 ? v : chars.slice(shortest).join('');
}

/**
 * Shell glob as drone/envsubst's copy of Go's path.Match reads it, except that `*` also matches
 * `/`: `*`, `?`, `[a-z]`, `[^a-z]`, `\x`. Undefined for a malformed pattern.
 */
function globMatch(pattern: string, name: string): boolean | undefined {
  const p = Array.from(pattern);
  const s = Array.from(name);
  const memo = new Map<number, boolean | undefined>();
  const match = (pi: number, si: number): boolean | undefined => {
    const key = pi * (s.length + 1) + si;
    if (memo.has(key)) return memo.get(key);
    let result: boolean | undefined;
    if (pi === p.length) result = si === s.length;
    else {
      const c = p[pi]!;
      if (c === '*') {
        result = false;
        for (let k = si; k <= s.length && !result; k++) {
          const r = match(pi + 1, k);
          if (r === undefined) return undefined;
          result = r;
        }
      } else if (c === '?') {
        result = si < s.length ? match(pi + 1, si + 1) : false;
      } else if (c === '[') {
        const cls = parseClass(p, pi + 1);
        if (!cls) return undefined;
        result = si < s.length && cls.test(s[si]!) ? match(cls.end, si + 1) : false;
      } else {
        let lit = c;
        let next = pi + 1;
        if (c === '\\') {
          if (pi + 1 >= p.length) return undefined;
          lit = p[pi + 1]!;
          next = pi + 2;
        }
        result = si < s.length && s[si] === lit ? match(next, si + 1) : false;
      }
    }
    memo.set(key, result);
    return result;
  };
  return match(0, 0);
}

function parseClass(p: string[], from: number): { test(ch: string): boolean; end: number } | undefined {
  let i = from;
  const negate = p[i] === '^';
  if (negate) i++;
  const ranges: [string, string][] = [];
  let first = true;
  while (i < p.length && (p[i] !== ']' || first)) {
    first = false;
    let lo = p[i]!;
    if (lo === '\\') {
      i++;
      if (i >= p.length) return undefined;
      lo = p[i]!;
    }
    i++;
    let hi = lo;
    if (p[i] === '-' && i + 1 < p.length && p[i + 1] !== ']') {
      i++;
      hi = p[i]!;
      if (hi === '\\') {
        i++;
        if (i >= p.length) return undefined;
        hi = p[i]!;
      }
      i++;
    }
    ranges.push([lo, hi]);
  }
  if (p[i] !== ']') return undefined;
  return {
    end: i + 1,
    test: (ch) => ranges.some(([lo, hi]) => lo <= ch && ch <= hi) !== negate,
  };
}

/** A hint when the file holds `${VAR}` references that were not expanded. */
export function envHint(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return '';
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    // Not in a YAML comment (a rough cut: `#` before the reference).
    const m = /^[^#]*?\$\{([A-Za-z_][A-Za-z0-9_]*)/.exec(lines[i]!);
    if (m) {
      return `hint: ${file}:${i + 1} uses \${${m[1]}}, which is only replaced by the environment variable's value with -config.expand-env=true\n`;
    }
  }
  return '';
}
