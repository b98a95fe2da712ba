// An incremental parser of the journal export format (`journalctl --output=export`), fed the
// child's stdout chunk by chunk. Memory stays bounded whatever the input: a value keeps at most
// `maxFieldBytes` (the rest is counted and skipped), an entry at most `maxFields` fields, and a
// malformed stream loses only the entry it breaks (the parser resynchronises on the next blank
// line). See https://systemd.io/JOURNAL_EXPORT_FORMATS/:
//
//   __CURSOR=s=...;i=1;...\n          text field: NAME=value, no newline in the value
//   MESSAGE\n<le64 size><bytes>\n      binary field: any bytes (newlines, non-UTF-8)
//   \n                                 a blank line ends the entry

/** One entry of the stream, fields in stream order (`__CURSOR`, `__REALTIME_TIMESTAMP`, ... included). */
export interface ExportRecord {
  names: string[];
  /** The values, each cut to `maxFieldBytes`. May share memory with the chunks fed in. */
  values: Buffer[];
  /** Each value's full size in the stream, before cutting. */
  sizes: number[];
  /** Bytes the entry took in the stream. */
  bytes: number;
}

export interface ExportParserOptions {
  /** Bytes of a value that are kept; the rest is skipped. Default 64 KiB. */
  maxFieldBytes?: number;
  /** Fields an entry may have before it is dropped as malformed. Default 4096. */
  maxFields?: number;
}

const maxNameBytes = 256;
/** journald refuses larger data objects (DATA_SIZE_MAX is 768 MiB); a larger size is garbage. */
const maxStreamFieldBytes = 1024 * 1024 * 1024;
const NL = 10;
const EQ = 61;

enum Mode {
  Name,
  Text,
  Size,
  Binary,
  BinaryEnd,
  Resync,
}

export class ExportParser {
  /** Malformed entries skipped so far. */
  errors = 0;
  private readonly maxFieldBytes: number;
  private readonly maxFields: number;
  private mode = Mode.Name;
  private name = '';
  private nameBytes: number[] = [];
  private parts: Buffer[] = [];
  private kept = 0;
  private size = 0;
  private sizeBuf = Buffer.alloc(8);
  private sizeGot = 0;
  private remaining = 0;
  private sawNewline = false;
  private names: string[] = [];
  private values: Buffer[] = [];
  private sizes: number[] = [];
  private bytes = 0;

  constructor(
    private readonly onRecord: (record: ExportRecord) => void,
    private readonly onError: (reason: string) => void,
    options: ExportParserOptions = {},
  ) {
    this.maxFieldBytes = options.maxFieldBytes ?? 64 * 1024;
    this.maxFields = options.maxFields ?? 4096;
  }

  /** True when the stream so far ended exactly between two entries. */
  get idle(): boolean {
    return this.mode === Mode.Name && this.nameBytes.length === 0 && this.names.length === 0;
  }

  push(chunk: Buffer): void {
    const end = chunk.length;
    let p = 0;
    while (p < end) {
      const start = p;
      switch (this.mode) {
        case Mode.Name: {
          if (this.nameBytes.length === 0) {
            if (chunk[p] === NL) {
              p++;
              this.bytes += 1;
              this.finishEntry();
              continue;
            }
            // Fast path: a whole text field inside this chunk, sliced without copying.
            const nl = chunk.indexOf(NL, p);
            if (nl >= 0) {
              const eq = chunk.indexOf(EQ, p);
              if (eq > p && eq < nl && eq - p <= maxNameBytes && validName(chunk, p, eq)) {
                this.name = chunk.toString('latin1', p, eq);
                const size = nl - eq - 1;
                const value = chunk.subarray(
                  eq + 1,
                  size > this.maxFieldBytes ? eq + 1 + this.maxFieldBytes : nl,
                );
                p = nl + 1;
                this.bytes += p - start;
                this.addField(value, size);
                continue;
              }
            }
          }
          while (p < end) {
            const c = chunk[p]!;
            if (c === EQ || c === NL) break;
            if (c <= 0x20 || c >= 0x7f) {
              this.fail(`invalid byte 0x${c.toString(16)} in a field name`);
              break;
            }
            if (this.nameBytes.length >= maxNameBytes) {
              this.fail(`field name longer than ${maxNameBytes} bytes`);
              break;
            }
            this.nameBytes.push(c);
            p++;
          }
          if (this.mode !== Mode.Name || p === end) break;
          if (this.nameBytes.length === 0) {
            this.fail('field with an empty name');
            break;
          }
          this.name = String.fromCharCode(...this.nameBytes);
          this.nameBytes.length = 0;
          this.mode = chunk[p] === EQ ? Mode.Text : Mode.Size;
          this.sizeGot = 0;
          p++;
          break;
        }
        case Mode.Text: {
          const nl = chunk.indexOf(NL, p);
          const stop = nl < 0 ? end : nl;
          this.keep(chunk, p, stop);
          p = stop;
          if (nl >= 0) {
            p++;
            this.bytes += p - start;
            this.addField(this.takeValue(), this.size);
            continue;
          }
          break;
        }
        case Mode.Size: {
          const n = Math.min(8 - this.sizeGot, end - p);
          chunk.copy(this.sizeBuf, this.sizeGot, p, p + n);
          this.sizeGot += n;
          p += n;
          if (this.sizeGot === 8) {
            const size = this.sizeBuf.readBigUInt64LE(0);
            if (size > BigInt(maxStreamFieldBytes)) {
              this.bytes += p - start;
              this.fail(`binary field ${this.name} claims ${size} bytes`);
              continue;
            }
            this.remaining = Number(size);
            this.mode = this.remaining === 0 ? Mode.BinaryEnd : Mode.Binary;
          }
          break;
        }
        case Mode.Binary: {
          const n = Math.min(this.remaining, end - p);
          this.keep(chunk, p, p + n);
          this.remaining -= n;
          p += n;
          if (this.remaining === 0) this.mode = Mode.BinaryEnd;
          break;
        }
        case Mode.BinaryEnd: {
          if (chunk[p] !== NL) {
            this.bytes += p - start;
            this.fail(`binary field ${this.name} is not followed by a newline`);
            continue;
          }
          p++;
          this.bytes += p - start;
          this.mode = Mode.Name;
          this.addField(this.takeValue(), this.size);
          continue;
        }
        case Mode.Resync: {
          // Skip to the end of the broken entry: the next blank line.
          while (p < end) {
            const c = chunk[p++];
            if (c === NL) {
              if (this.sawNewline) {
                this.mode = Mode.Name;
                this.bytes = 0;
                break;
              }
              this.sawNewline = true;
            } else {
              this.sawNewline = false;
            }
          }
          continue;
        }
      }
      this.bytes += p - start;
    }
  }

  /** The stream ended: an entry cut short is reported as an error. The parser is then ready for a new stream. */
  end(): void {
    if (this.mode !== Mode.Resync && !this.idle) this.fail('the stream ended inside an entry');
    this.reset();
  }

  /** Forgets any partial entry without reporting it (the stream was stopped on purpose). */
  reset(): void {
    this.names = [];
    this.values = [];
    this.sizes = [];
    this.parts = [];
    this.kept = 0;
    this.size = 0;
    this.bytes = 0;
    this.nameBytes.length = 0;
    this.sawNewline = false;
    this.mode = Mode.Name;
  }

  private keep(chunk: Buffer, from: number, to: number): void {
    this.size += to - from;
    const room = this.maxFieldBytes - this.kept;
    if (room <= 0 || to === from) return;
    const stop = Math.min(to, from + room);
    // Copy: the chunk may be large and this piece is small; do not pin the chunk.
    this.parts.push(Buffer.from(chunk.subarray(from, stop)));
    this.kept += stop - from;
  }

  private takeValue(): Buffer {
    const value = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.kept);
    this.parts = [];
    this.kept = 0;
    return value;
  }

  private addField(value: Buffer, size: number): void {
    this.size = 0;
    this.mode = Mode.Name;
    if (this.names.length >= this.maxFields) {
      this.fail(`entry has more than ${this.maxFields} fields`, true);
      return;
    }
    this.names.push(this.name);
    this.values.push(value);
    this.sizes.push(size);
  }

  private finishEntry(): void {
    if (this.names.length === 0) {
      this.bytes = 0;
      return; // stray blank line
    }
    const record: ExportRecord = {
      names: this.names,
      values: this.values,
      sizes: this.sizes,
      bytes: this.bytes,
    };
    this.names = [];
    this.values = [];
    this.sizes = [];
    this.bytes = 0;
    this.onRecord(record);
  }

  /** Drops the entry and skips to the next blank line; `atLineStart` when the last byte consumed was a newline. */
  private fail(reason: string, atLineStart = false): void {
    this.errors++;
    this.reset();
    this.mode = Mode.Resync;
    this.sawNewline = atLineStart;
    this.onError(reason);
  }
}

function validName(chunk: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = chunk[i]!;
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}
