// Splits a syslog byte stream into frames, as Promtail's syslog parser (go-syslog) does: the
// first byte of a stream decides its framing for good. `<` is non-transparent framing (RFC 6587,
// LF trailer): a message starts at a line beginning with `<` and runs up to the next such line,
// so lines that do not begin with `<` continue the message before (multi-line messages); a
// digit is octet counting (RFC 5425/6587, `MSGLEN SP MSG`); anything else is not syslog and
// ends the stream. Memory per stream is bounded by `maxMessageLength`: a longer line is
// discarded up to its end (counted once), a longer counted frame ends the stream, since nothing
// of it can be trusted.

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const LT = 0x3c;

/** Where frames and framing errors go. A frame is bytes [start, end) of buf, valid during the call only. */
export interface FrameSink {
  frame(buf: Buffer, start: number, end: number): void;
  /** A framing error; `fatal` means the stream cannot go on (the connection is closed). */
  error(reason: string, fatal: boolean): void;
}

enum Mode {
  Unknown = 0,
  Lines = 1,
  Counted = 2,
  Failed = 3,
}

export class SyslogFramer {
  private mode = Mode.Unknown;
  /** Lines: bytes of an unfinished line. Counted: the unfinished header digits or message. */
  private pending: Buffer | undefined;
  private pendingLength = 0;
  /** Lines: discarding a line longer than the maximum, up to its LF. */
  private skipping = false;
  /** Counted: length of the message being read, or -1 while reading a header. */
  private need = -1;
  /** Counted: the header digits read so far (a header split between reads). */
  private header = '';

  constructor(
    private readonly sink: FrameSink,
    private readonly maxMessageLength: number,
  ) {}

  /** False once a fatal framing error ended the stream: the caller closes the connection. */
  get ok(): boolean {
    return this.mode !== Mode.Failed;
  }

  /** Bytes held for an unfinished frame. */
  get buffered(): number {
    return this.pendingLength + this.header.length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0 || this.mode === Mode.Failed) return;
    if (this.mode === Mode.Unknown) {
      const b = chunk[0]!;
      if (b === LT) this.mode = Mode.Lines;
      else if (b >= 0x30 && b <= 0x39) this.mode = Mode.Counted;
      else {
        this.fail(`invalid or unsupported framing. first byte: '${String.fromCharCode(b)}'`);
        return;
      }
    }
    if (this.mode === Mode.Lines) this.pushLines(chunk);
    else this.pushCounted(chunk);
  }

  /**
   * The stream ended (or timed out): the held message is complete. An unfinished last line is
   * parsed on its own, as go-syslog's best-effort mode does; an unfinished counted frame is an error.
   */
  end(): void {
    if (this.mode === Mode.Lines) {
      this.emitCandidate();
      if (this.pending && this.pendingLength > 0 && !this.skipping) {
        const line = this.pending.subarray(0, this.pendingLength);
        this.sink.frame(line, 0, line.length);
      }
    } else if (this.mode === Mode.Counted && (this.need >= 0 || this.header)) {
      this.sink.error(
        `unexpected EOF: expecting a message of ${this.need >= 0 ? this.need : this.header} octets`,
        false,
      );
    }
    this.pending = undefined;
    this.pendingLength = 0;
    this.header = '';
    this.need = -1;
  }

  /** True while a complete message is held back, waiting to see whether continuation lines follow. */
  get holding(): boolean {
    return this.candBuf !== undefined;
  }

  /**
   * Hands on the held message now (no continuation came in time). Not while an unfinished line
   * that would continue it is pending.
   */
  flush(): void {
    if (this.pendingLength > 0 && this.pending![0] !== LT) return;
    this.emitCandidate();
  }

  private fail(reason: string): void {
    this.mode = Mode.Failed;
    this.pending = undefined;
    this.pendingLength = 0;
    this.sink.error(reason, true);
  }

  private pushLines(chunk: Buffer): void {
    const max = this.maxMessageLength;
    let p = 0;
    const n = chunk.length;
    if (this.skipping || this.pending) {
      const lf = chunk.indexOf(LF);
      const upto = lf === -1 ? n : lf;
      if (this.skipping) {
        if (lf === -1) return;
        this.skipping = false;
      } else if (this.pendingLength + upto > max) {
        this.tooLong();
        if (lf === -1) {
          this.skipping = true;
          return;
        }
      } else if (lf === -1) {
        this.append(chunk, 0, n);
        return;
      } else {
        this.append(chunk, 0, lf);
        const line = this.pending!;
        const len = this.pendingLength;
        this.pending = undefined;
        this.pendingLength = 0;
        this.line(line, 0, len);
      }
      p = lf + 1;
    }
    while (p < n) {
      const lf = chunk.indexOf(LF, p);
      if (lf === -1) {
        if (n - p > max) {
          this.tooLong();
          this.skipping = true;
        } else {
          this.append(chunk, p, n);
        }
        return;
      }
      if (lf - p > max) this.tooLong();
      else this.line(chunk, p, lf);
      p = lf + 1;
    }
  }

  // The held message: bytes [candStart, candEnd) of candBuf, which is a read chunk (never reused)
  // or, once continuation lines joined it, a buffer of its own.
  private candBuf: Buffer | undefined;
  private candStart = 0;
  private candEnd = 0;

  /** One complete line (without its LF). */
  private line(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[start] === LT) {
      this.emitCandidate();
      this.candBuf = buf;
      this.candStart = start;
      this.candEnd = end;
      return;
    }
    if (!this.candBuf) {
      // A continuation of nothing (after a discarded line): go-syslog parses it as a message of its own.
      if (end > start) this.sink.frame(buf, start, end);
      return;
    }
    const len = this.candEnd - this.candStart + 1 + end - start;
    if (len > this.maxMessageLength) {
      this.candBuf = undefined;
      this.tooLong();
      return;
    }
    const joined = Buffer.allocUnsafe(len);
    this.candBuf.copy(joined, 0, this.candStart, this.candEnd);
    joined[this.candEnd - this.candStart] = LF;
    buf.copy(joined, this.candEnd - this.candStart + 1, start, end);
    this.candBuf = joined;
    this.candStart = 0;
    this.candEnd = len;
  }

  private emitCandidate(): void {
    const buf = this.candBuf;
    if (!buf) return;
    this.candBuf = undefined;
    this.sink.frame(buf, this.candStart, this.candEnd);
  }

  private tooLong(): void {
    this.emitCandidate();
    this.pending = undefined;
    this.pendingLength = 0;
    this.sink.error(`message too long to parse: longer than the max length ${this.maxMessageLength}`, false);
  }

  private append(chunk: Buffer, start: number, end: number): void {
    const len = end - start;
    if (len === 0) return;
    const need = this.pendingLength + len;
    if (!this.pending || this.pending.length < need) {
      // Grow geometrically up to the maximum (plus a slack for the header), never beyond.
      const size = Math.min(Math.max(need, (this.pending?.length ?? 256) * 2), this.maxMessageLength + 16);
      const next = Buffer.allocUnsafe(Math.max(size, need));
      if (this.pending) this.pending.copy(next, 0, 0, this.pendingLength);
      this.pending = next;
    }
    chunk.copy(this.pending, this.pendingLength, start, end);
    this.pendingLength = need;
  }

  private pushCounted(chunk: Buffer): void {
    const n = chunk.length;
    let p = 0;
    while (p < n) {
      if (this.need < 0) {
        // Header: MSGLEN SP. Between frames, a stray LF or CR is skipped (some senders add one).
        if (!this.header) {
          while (p < n && (chunk[p] === LF || chunk[p] === CR)) p++;
          if (p === n) return;
        }
        let q = p;
        while (q < n && chunk[q]! >= 0x30 && chunk[q]! <= 0x39) q++;
        this.header += chunk.toString('latin1', p, q);
        if (this.header.length > 20) {
          this.fail(`found ${this.header}, expecting a MSGLEN of at most ${this.maxMessageLength}`);
          return;
        }
        if (q === n) return; // the header continues in the next read
        if (!this.header) {
          this.fail(`found ${JSON.stringify(String.fromCharCode(chunk[q]!))}, expecting a MSGLEN`);
          return;
        }
        if (chunk[q] !== SP) {
          this.fail(`found ${JSON.stringify(String.fromCharCode(chunk[q]!))}, expecting a WS`);
          return;
        }
        const len = Number(this.header);
        this.header = '';
        if (len > this.maxMessageLength) {
          this.fail(`message too long to parse. was size ${len}, max length ${this.maxMessageLength}`);
          return;
        }
        if (len === 0) {
          this.fail('found ILLEGAL, expecting a SYSLOGMSG containing 0 octets');
          return;
        }
        this.need = len;
        p = q + 1;
        continue;
      }
      const need = this.need;
      if (this.pendingLength === 0 && n - p >= need) {
        const start = p;
        p += need;
        this.need = -1;
        if (chunk[start] !== LT) {
          this.fail(`found ILLEGAL, expecting a SYSLOGMSG containing ${need} octets`);
          return;
        }
        this.sink.frame(chunk, start, p);
        continue;
      }
      if (!this.pending || this.pending.length < need) this.pending = Buffer.allocUnsafe(need);
      const take = Math.min(need - this.pendingLength, n - p);
      chunk.copy(this.pending, this.pendingLength, p, p + take);
      this.pendingLength += take;
      p += take;
      if (this.pendingLength === need) {
        const frame = this.pending;
        this.pending = undefined;
        this.pendingLength = 0;
        this.need = -1;
        if (frame[0] !== LT) {
          this.fail(`found ILLEGAL, expecting a SYSLOGMSG containing ${need} octets`);
          return;
        }
        this.sink.frame(frame, 0, need);
      }
    }
  }
}
