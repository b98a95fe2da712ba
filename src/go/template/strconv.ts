// Go's strconv formatting (FormatFloat, Quote, ParseInt, ParseFloat) for JS values, so that numbers
// and strings print byte for byte as Promtail prints them: `1e+06` from fmt, `1000000` from getString,
// `"a\tb"` from %q.

/** A decimal digit string `d` (no leading or trailing zeros) with the decimal point after `dp` digits. */
export interface Digits {
  d: string;
  dp: number;
}

/** The shortest digits that read back as x (x > 0), which Go and JS both choose the same way. */
export function shortestDigits(x: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  const s = x.toExponential();
  const e = s.indexOf('e');
  const mant = s.slice(0, e).replace('.', '');
  return trim({ d: mant, dp: Number(s.slice(e + 1)) + 1 });
}

/** Every digit of the binary value of x (x >= 0), exactly. */
function exactDigits(x: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & 0xfffffffffffffn;
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  if (exp >= 0) {
    const s = (mant << BigInt(exp)).toString();
    return trim({ d: s, dp: s.length });
  }
  // m / 2^k = m * 5^k / 10^k
  const s = (mant * 5n ** BigInt(-exp)).toString();
  return trim({ d: s, dp: s.length + exp });
}

function trim(a: Digits): Digits {
  let n = a.d.length;
  while (n > 0 && a.d.charCodeAt(n - 1) === 48) n--;
  if (n === 0) return { d: '', dp: 0 };
  return n === a.d.length ? a : { d: a.d.slice(0, n), dp: a.dp };
}

/** Rounds to nd digits, half to even, as Go's decimal.Round does. */
function round(a: Digits, nd: number): Digits {
  if (nd < 0 || nd >= a.d.length) return a;
  let up: boolean;
  const c = a.d.charCodeAt(nd);
  if (c === 53 && nd + 1 === a.d.length) {
    up = nd > 0 && (a.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  } else up = c >= 53;
  if (!up) return trim({ d: a.d.slice(0, nd), dp: a.dp });
  let i = nd - 1;
  while (i >= 0 && a.d[i] === '9') i--;
  if (i < 0) return { d: '1', dp: a.dp + 1 };
  return trim({ d: a.d.slice(0, i) + String.fromCharCode(a.d.charCodeAt(i) + 1), dp: a.dp });
}

function fmtE(neg: boolean, a: Digits, prec: number, e: string): string {
  let out = neg ? '-' : '';
  out += a.d.length ? a.d[0] : '0';
  if (prec > 0) {
    out += '.';
    const m = Math.min(a.d.length, prec + 1);
    out += a.d.slice(1, m);
    out += '0'.repeat(Math.max(0, prec + 1 - Math.max(m, 1)));
  }
  let exp = a.d.length === 0 ? 0 : a.dp - 1;
  const sign = exp < 0 ? '-' : '+';
  exp = Math.abs(exp);
  return `${out}${e}${sign}${exp < 10 ? `0${exp}` : exp}`;
}

function fmtF(neg: boolean, a: Digits, prec: number): string {
  let out = neg ? '-' : '';
  if (a.dp > 0) {
    const m = Math.min(a.d.length, a.dp);
    out += a.d.slice(0, m) + '0'.repeat(a.dp - m);
  } else out += '0';
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) {
      const j = a.dp + i - 1;
      out += j >= 0 && j < a.d.length ? a.d[j] : '0';
    }
  }
  return out;
}

export type FloatFormat = 'e' | 'E' | 'f' | 'g' | 'G';

/** Go's strconv.FormatFloat(x, fmt, prec, 64); prec < 0 means the shortest exact form. */
export function formatFloat(x: number, fmt: FloatFormat, prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return '+Inf';
  if (x === Number.NEGATIVE_INFINITY) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const ax = Math.abs(x);
  const shortest = prec < 0;
  let digs: Digits;
  if (shortest) {
    digs = shortestDigits(ax);
    if (fmt === 'e' || fmt === 'E') prec = Math.max(digs.d.length - 1, 0);
    else if (fmt === 'f') prec = Math.max(digs.d.length - digs.dp, 0);
    else prec = digs.d.length;
  } else {
    const exact = exactDigits(ax);
    if (fmt === 'e' || fmt === 'E') digs = round(exact, prec + 1);
    else if (fmt === 'f') digs = round(exact, exact.dp + prec);
    else {
      if (prec === 0) prec = 1;
      digs = round(exact, prec);
    }
  }
  if (fmt === 'e' || fmt === 'E') return fmtE(neg, digs, prec, fmt);
  if (fmt === 'f') return fmtF(neg, digs, prec);
  let eprec = prec;
  if (eprec > digs.d.length && digs.d.length >= digs.dp) eprec = digs.d.length;
  if (shortest) eprec = 6;
  const exp = digs.dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (prec > digs.d.length) prec = digs.d.length;
    return fmtE(neg, digs, prec - 1, fmt === 'g' ? 'e' : 'E');
  }
  if (prec > digs.dp) prec = digs.d.length;
  return fmtF(neg, digs, Math.max(prec - digs.dp, 0));
}

/** strconv.FormatFloat(x, 'f', -1, 64): how Promtail turns a JSON number into a label value. */
export function formatFloatPlain(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e21 && !Object.is(x, -0)) return String(x);
  const s = String(x);
  if (!s.includes('e') && s !== 'NaN' && !s.includes('Infinity') && !Object.is(x, -0)) return s;
  return formatFloat(x, 'f', -1);
}

/** fmt's %v for a float64: the shortest form, in exponent notation from 1e+21 and below 1e-04. */
export function formatFloatV(x: number): string {
  return formatFloat(x, 'g', -1);
}

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Go's unicode.IsPrint for one code point. */
export function isPrint(cp: number): boolean {
  if (cp < 0x7f) return cp >= 0x20;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  return printable.test(String.fromCodePoint(cp));
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Go's strconv.Quote (asciiOnly: QuoteToASCII), with the same escapes. */
export function quote(s: string, asciiOnly = false, q = '"'): string {
  let out = q;
  for (let i = 0; i < s.length; i++) {
    let cp = s.codePointAt(i)!;
    if (cp > 0xffff) i++;
    else if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // a lone surrogate becomes U+FFFD in UTF-8
    const ch = String.fromCodePoint(cp);
    if (ch === q || ch === '\\') {
      out += `\\${ch}`;
      continue;
    }
    if (asciiOnly ? cp < 0x7f && cp >= 0x20 : isPrint(cp)) {
      out += ch;
      continue;
    }
    switch (cp) {
      case 7:
        out += '\\a';
        break;
      case 8:
        out += '\\b';
        break;
      case 12:
        out += '\\f';
        break;
      case 10:
        out += '\\n';
        break;
      case 13:
        out += '\\r';
        break;
      case 9:
        out += '\\t';
        break;
      case 11:
        out += '\\v';
        break;
      default:
        if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
        else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
        else out += `\\U${hex(cp, 8)}`;
    }
  }
  return out + q;
}

/** Go's strconv.CanBackquote. */
export function canBackquote(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '`' || cp === 0xfeff || cp === 0xfffd) return false;
    if (cp < 0x20 && ch !== '\t') return false;
    if (cp === 0x7f) return false;
  }
  return true;
}

/** Go's strconv.Unquote for "..." and `...` literals; undefined on invalid syntax. */
export function unquote(lit: string): string | undefined {
  if (lit.length < 2) return undefined;
  const q = lit[0];
  if (q !== lit[lit.length - 1]) return undefined;
  const body = lit.slice(1, -1);
  if (q === '`') return body.includes('`') ? undefined : body.replaceAll('\r', '');
  if (q !== '"' && q !== "'") return undefined;
  let out = '';
  for (let i = 0; i < body.length; ) {
    const c = body[i]!;
    if (c === q || c === '\n') return undefined;
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const r = unescapeAt(body, i, q);
    if (!r) return undefined;
    out += r.text;
    i = r.next;
  }
  if (q === "'" && [...out].length !== 1) return undefined;
  return out;
}

/** Decodes the escape sequence at body[i] (a backslash), as in a Go string or rune literal. */
export function unescapeAt(body: string, i: number, q: string): { text: string; next: number } | undefined {
  const e = body[i + 1];
  const simple: Record<string, string> = {
    a: '\x07',
    b: '\b',
    f: '\f',
    n: '\n',
    r: '\r',
    t: '\t',
    v: '\v',
    '\\': '\\',
  };
  if (e === undefined) return undefined;
  if (simple[e] !== undefined) return { text: simple[e]!, next: i + 2 };
  if (e === q) return { text: q, next: i + 2 };
  const fixed = (len: number, radix: number, max: number) => {
    const digits = body.slice(i + 2, i + 2 + len);
    if (digits.length !== len || !(radix === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/).test(digits))
      return undefined;
    const v = Number.parseInt(digits, radix);
    if (v > max || (v >= 0xd800 && v <= 0xdfff && len > 2)) return undefined;
    return v;
  };
  if (e === 'x' || (e >= '0' && e <= '7')) {
    const v =
      e === 'x'
        ? fixed(2, 16, 255)
        : (() => {
            const digits = body.slice(i + 1, i + 4);
            return /^[0-7]{3}$/.test(digits) && Number.parseInt(digits, 8) <= 255
              ? Number.parseInt(digits, 8)
              : undefined;
          })();
    if (v === undefined) return undefined;
    // A byte escape: the bytes form UTF-8 in Go; a lone high byte cannot be kept in a JS string.
    return { text: v < 0x80 ? String.fromCharCode(v) : '\ufffd', next: i + 4 };
  }
  if (e === 'u' || e === 'U') {
    const len = e === 'u' ? 4 : 8;
    const v = fixed(len, 16, 0x10ffff);
    if (v === undefined) return undefined;
    return { text: String.fromCodePoint(v), next: i + 2 + len };
  }
  return undefined;
}

/** Go's strconv.ParseInt(s, 0, 64) (base prefixes, underscores); undefined when invalid or out of range. */
export function parseGoInt(s: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(s);
  if (!m) return undefined;
  let body = m[2]!;
  // Underscores only between digits or after a base prefix, as Go's underscoreOK demands.
  if (body.includes('_')) {
    if (!/^(0[xXoObB]?)?(_?[0-9a-fA-F]+)+$/.test(body) || body.endsWith('_')) return undefined;
    body = body.replaceAll('_', '');
  }
  let v: bigint;
  if (/^0[xXoObB]/.test(body)) v = BigInt(body.toLowerCase());
  else if (body.length > 1 && body[0] === '0') v = BigInt(`0o${body.slice(1)}`);
  else v = BigInt(body);
  if (m[1] === '-') v = -v;
  if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) return undefined;
  return v;
}

/** Go's strconv.ParseFloat(s, 64); undefined when invalid (Go then returns 0 and an error). */
export function parseGoFloat(s: string): number | undefined {
  const t = s.replaceAll('_', '');
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return Number.NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?0[xX]/.test(t)) {
    const m = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/.exec(t);
    if (!m || (m[2] === '' && m[3] === '')) return undefined;
    const mant = Number.parseInt(`${m[2]}${m[3]}` || '0', 16) / 16 ** m[3]!.length;
    const v = mant * 2 ** Number(m[4]);
    return m[1] === '-' ? -v : v;
  }
  return undefined;
}
