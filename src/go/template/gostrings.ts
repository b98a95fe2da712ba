// Go's strings package functions that templates call (ToUpper, Title, Trim, Replace, ...), with
// Go's rules where they differ from JS: simple one-rune case mapping (Go keeps `ß` in ToUpper),
// Go's set of white space, byte-based cut sets and Replace with an empty `old`.

const goSpace = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

/** Go's unicode.IsSpace. */
export function isGoSpace(ch: string): boolean {
  return goSpace.test(ch);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function mapRunes(s: string, f: (ch: string) => string): string {
  let out = '';
  for (const ch of s) {
    const m = f(ch);
    // Go maps one rune to one rune; JS may expand (ß → SS): keep the rune then.
    out += m.length === ch.length || [...m].length === 1 ? m : ch;
  }
  return out;
}

export function toUpper(s: string): string {
  return isAscii(s) ? s.toUpperCase() : mapRunes(s, (c) => c.toUpperCase());
}

export function toLower(s: string): string {
  return isAscii(s) ? s.toLowerCase() : mapRunes(s, (c) => c.toLowerCase());
}

function isLetterOrDigit(ch: string): boolean {
  return /[\p{L}\p{Nd}]/u.test(ch);
}

function isSeparator(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  if (c <= 0x7f) return !/[0-9A-Za-z_]/.test(ch);
  if (isLetterOrDigit(ch)) return false;
  return isGoSpace(ch);
}

/** Go's strings.Title. */
export function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += isSeparator(prev) ? toUpper(ch) : ch;
    prev = ch;
  }
  return out;
}

function cutsetTest(cutset: string): (ch: string) => boolean {
  if (cutset.length === 1) return (ch) => ch === cutset;
  const set = new Set(cutset);
  return (ch) => set.has(ch);
}

export function trimLeft(s: string, cutset: string): string {
  if (s === '' || cutset === '') return s;
  const inSet = cutsetTest(cutset);
  let i = 0;
  for (const ch of s) {
    if (!inSet(ch)) break;
    i += ch.length;
  }
  return s.slice(i);
}

export function trimRight(s: string, cutset: string): string {
  if (s === '' || cutset === '') return s;
  const inSet = cutsetTest(cutset);
  const chars = [...s];
  let n = chars.length;
  while (n > 0 && inSet(chars[n - 1]!)) n--;
  return chars.slice(0, n).join('');
}

export function trim(s: string, cutset: string): string {
  return trimRight(trimLeft(s, cutset), cutset);
}

export function trimSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && goSpace.test(s[start]!)) start++;
  while (end > start && goSpace.test(s[end - 1]!)) end--;
  return s.slice(start, end);
}

export function trimPrefix(s: string, prefix: string): string {
  return prefix !== '' && s.startsWith(prefix) ? s.slice(prefix.length) : s;
}

export function trimSuffix(s: string, suffix: string): string {
  return suffix !== '' && s.endsWith(suffix) ? s.slice(0, s.length - suffix.length) : s;
}

/** Go's strings.Replace(s, old, new, n); n < 0 replaces all. */
export function replace(s: string, old: string, repl: string, n: number): string {
  if (old === repl || n === 0) return s;
  if (old === '') {
    // Inserts `repl` before each rune and at the end, up to n times.
    const chars = [...s];
    let out = '';
    let done = 0;
    for (let i = 0; i <= chars.length; i++) {
      if (n < 0 || done < n) {
        out += repl;
        done++;
      }
      if (i < chars.length) out += chars[i];
    }
    return out;
  }
  if (n < 0) return s.split(old).join(repl);
  let out = '';
  let pos = 0;
  for (let done = 0; done < n; done++) {
    const at = s.indexOf(old, pos);
    if (at < 0) break;
    out += s.slice(pos, at) + repl;
    pos = at + old.length;
  }
  return out + s.slice(pos);
}

/** Go's strings.Split; an empty separator splits into runes. */
export function split(s: string, sep: string, n = -1): string[] {
  if (n === 0) return [];
  if (sep === '') {
    const chars = [...s];
    if (n < 0 || n >= chars.length) return chars;
    return [...chars.slice(0, n - 1), chars.slice(n - 1).join('')];
  }
  if (n < 0) return s.split(sep);
  const out: string[] = [];
  let pos = 0;
  while (out.length < n - 1) {
    const at = s.indexOf(sep, pos);
    if (at < 0) break;
    out.push(s.slice(pos, at));
    pos = at + sep.length;
  }
  out.push(s.slice(pos));
  return out;
}

/** s[start:end] with Go's byte offsets (UTF-8), for functions such as trunc and substr. */
export function byteSlice(s: string, start: number, end?: number): string {
  if (isAscii(s)) return s.slice(start, end);
  const b = Buffer.from(s, 'utf8');
  return b.subarray(start, end).toString('utf8');
}

export function byteLength(s: string): number {
  return isAscii(s) ? s.length : Buffer.byteLength(s, 'utf8');
}
