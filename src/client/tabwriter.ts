// Go's text/tabwriter as Promtail's -dry-run uses it (`tabwriter.NewWriter(os.Stdout, 0, 8, 0,
// '\t', 0)`, flushed after each entry), so that logferry prints the same bytes. A cell is the text
// before a tab (or `\v`); it is padded with tabs to the next multiple of 8 columns of the widest
// cell of its column block, counted in code points: a cell whose width is already a multiple of
// 8 gets no tab at all. A line without a tab ends a block (and, as in Go, flushes it).

interface Cell {
  text: string;
  /** Width in code points (Go counts runes). */
  width: number;
}

const tabWidth = 8;

/** What Go's tabwriter writes for `text` written at once and then flushed. */
export function tabwriterFormat(text: string): string {
  return new TabWriter().run(text);
}

class TabWriter {
  private out = '';
  private lines: Cell[][] = [[]];
  private cell = '';
  private widths: number[] = [];

  run(text: string): string {
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      // '\t', '\v', '\n', '\f' end a cell; '\n' and '\f' also end the line.
      if (c !== 0x09 && c !== 0x0b && c !== 0x0a && c !== 0x0c) continue;
      this.cell += text.slice(n, i);
      n = i + 1;
      const cells = this.terminateCell();
      if (c === 0x0a || c === 0x0c) {
        this.lines.push([]);
        // A line of one cell does not take part in the columns of the next lines.
        if (c === 0x0c || cells === 1) this.flush();
      }
    }
    this.cell += text.slice(n);
    this.flush();
    return this.out;
  }

  private terminateCell(): number {
    const line = this.lines[this.lines.length - 1]!;
    line.push({ text: this.cell, width: codePoints(this.cell) });
    this.cell = '';
    return line.length;
  }

  private flush(): void {
    if (this.cell.length > 0) this.terminateCell();
    this.format(0, this.lines.length);
    this.lines = [[]];
    this.widths = [];
  }

  /** Go's Writer.format: the widths of column `widths.length` per block of lines that have it. */
  private format(line0: number, line1: number): void {
    const column = this.widths.length;
    for (let t = line0; t < line1; t++) {
      // The last cell of a line is not in a column.
      if (column >= this.lines[t]!.length - 1) continue;
      this.writeLines(line0, t);
      line0 = t;
      let width = 0;
      for (; t < line1; t++) {
        const line = this.lines[t]!;
        if (column >= line.length - 1) break;
        if (line[column]!.width > width) width = line[column]!.width;
      }
      this.widths.push(width);
      this.format(line0, t);
      this.widths.pop();
      line0 = t;
    }
    this.writeLines(line0, line1);
  }

  private writeLines(line0: number, line1: number): void {
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i]!;
      for (let j = 0; j < line.length; j++) {
        const c = line[j]!;
        this.out += c.text;
        if (j < this.widths.length) this.out += padding(c.width, this.widths[j]!);
      }
      // The last buffered line has no newline (the text ended there).
      if (i + 1 !== this.lines.length) this.out += '\n';
    }
  }
}

/** Tabs from a cell of `textWidth` to the end of a column `cellWidth` wide (rounded up to 8). */
function padding(textWidth: number, cellWidth: number): string {
  const end = Math.ceil(cellWidth / tabWidth) * tabWidth;
  return '\t'.repeat(Math.ceil((end - textWidth) / tabWidth));
}

function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A surrogate pair is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}
