// A scrape config's `encoding:` (an IANA character set name, as Promtail's ianaindex reads it):
// how the tailer finds the newline in the file's bytes and turns a line's bytes into UTF-8 text.
// ASCII-compatible encodings (ISO-8859-*, windows-125x, Shift_JIS, EUC-*, GBK, GB18030, Big5,
// KOI8-*) never use byte 0x0a inside a character, so lines split on it as for UTF-8; UTF-16
// splits on the two-byte newline at a character boundary. Decoding uses Node's TextDecoder
// (full ICU), except ISO-8859-1, which WHATWG maps to windows-1252 but Go reads as Latin-1.

/** How a tailer splits and decodes the lines of a file in one character set. */
export interface LineCodec {
  /** The character set, as given. */
  readonly name: string;
  /** Bytes of the newline sequence (1, or 2 for UTF-16). */
  readonly newlineBytes: number;
  /**
   * Index in `view` of the last byte of the next newline at or after `from` (the first byte the
   * caller has not searched yet), or -1. `base` is the file offset of `view[0]`.
   */
  indexOfNewline(view: Buffer, from: number, base: number): number;
  /** The text of bytes [start, end) of `buf`. */
  decode(buf: Buffer, start: number, end: number): string;
}

/** Why `encoding` names no character set logferry can read; undefined when it can. */
export function checkEncoding(name: string): string | undefined {
  try {
    createLineCodec(name);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** A codec for `name`; undefined for UTF-8 (the tailer's own fast path). Throws for unknown names. */
export function createLineCodec(name: string): LineCodec | undefined {
  const key = name.trim().toLowerCase().replace(/_/g, '-');
  if (key === 'utf-8' || key === 'utf8' || key === 'csutf8') return undefined;
  if (latin1Names.has(key)) return singleByte(name, (buf, s, e) => buf.toString('latin1', s, e));
  // Node 20's TextDecoder reads windows-1252 as Latin-1 (a Node bug): map 0x80-0x9f ourselves.
  if (key === 'windows-1252' || key === 'cp1252' || key === 'x-cp1252')
    return singleByte(name, (buf, s, e) => buf.toString('latin1', s, e).replace(/[\x80-\x9f]/g, cp1252));
  const utf16 = utf16Names.get(key);
  if (utf16 !== undefined) return utf16Codec(name, utf16);
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(key);
  } catch {
    throw new Error(
      `unknown encoding "${name}" (use an IANA name such as ISO-8859-1, windows-1252, Shift_JIS, EUC-KR, GBK, UTF-16LE)`,
    );
  }
  if (decoder.encoding === 'utf-16le' || decoder.encoding === 'utf-16be')
    return utf16Codec(name, decoder.encoding === 'utf-16le' ? 'le' : 'be');
  if (decoder.encoding === 'utf-8') return undefined;
  return singleByte(name, (buf, s, e) => decoder.decode(buf.subarray(s, e)));
}

const latin1Names = new Set([
  'iso-8859-1',
  'iso8859-1',
  'iso-ir-100',
  'latin1',
  'l1',
  'ibm819',
  'cp819',
  'csisolatin1',
  'iso-8859-1:1987',
]);

// Go's ianaindex reads plain "UTF-16" big-endian unless a byte order mark says otherwise; most
// files so labelled come from Windows, little-endian with a BOM. logferry reads them as
// little-endian (see docs/differences.md).
const utf16Names = new Map<string, 'le' | 'be'>([
  ['utf-16le', 'le'],
  ['utf-16be', 'be'],
  ['utf-16', 'le'],
  ['csutf16le', 'le'],
  ['csutf16be', 'be'],
  ['csutf16', 'le'],
]);

function singleByte(name: string, decode: LineCodec['decode']): LineCodec {
  return {
    name,
    newlineBytes: 1,
    indexOfNewline: (view, from) => view.indexOf(10, from),
    decode,
  };
}

function utf16Codec(name: string, order: 'le' | 'be'): LineCodec {
  const decoder = new TextDecoder(order === 'le' ? 'utf-16le' : 'utf-16be');
  // Little-endian "\n" is 0a 00 starting at an even file offset; big-endian is 00 0a, so the 0a
  // stands at an odd offset.
  const parity = order === 'le' ? 0 : 1;
  return {
    name,
    newlineBytes: 2,
    indexOfNewline(view, from, base) {
      // Little-endian only: its 0a is the first byte, so half a newline may end the carried bytes.
      // (Big-endian's 0a is the last byte: starting at from - 1 would find the newline just used.)
      let at = view.indexOf(10, order === 'le' ? Math.max(0, from - 1) : from);
      while (at !== -1) {
        if ((base + at) % 2 === parity) {
          if (order === 'le') {
            if (at + 1 >= view.length) return -1;
            if (view[at + 1] === 0) return at + 1;
          } else if (at > 0 && view[at - 1] === 0) {
            return at;
          }
        }
        at = view.indexOf(10, at + 1);
      }
      return -1;
    },
    decode: (buf, s, e) => decoder.decode(buf.subarray(s, e)),
  };
}

// windows-1252's 0x80-0x9f; the five it leaves undefined stay as the C1 controls, as in Go.
const cp1252High =
  '\u20ac\x81\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\x8d\u017d\x8f\x90\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\x9d\u017e\u0178';

function cp1252(c: string): string {
  return cp1252High[c.charCodeAt(0) - 0x80]!;
}
